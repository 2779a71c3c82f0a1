"""The two heads on top of the shared encoder; both are dropped after training.

ProjectionHead -> contrastive embedding z (InfoNCE: invariant features).
PredictionHead -> predicted parameter change r between two views (MSE:
equivariant features). Its input is either the difference h2 - h1 (the CIPER
paper) or the concatenation [h1, h2] (AugSelf; the authors' later code).
"""

from __future__ import annotations

import torch
from torch import nn


def mlp(cin: int, hidden: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cin, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, cout))


class ProjectionHead(nn.Module):
    def __init__(self, latent_dim: int, hidden: int, out_dim: int):
        super().__init__()
        self.mlp = mlp(latent_dim, hidden, out_dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.mlp(h)


def pair_features(h1: torch.Tensor, h2: torch.Tensor, mode: str) -> torch.Tensor:
    """What the prediction head (and the aug_r2 read-out) sees of a pair of views."""
    if mode == "diff":
        return h2 - h1
    if mode == "concat":
        return torch.cat([h1, h2], 1)
    raise ValueError(f"unknown head_input '{mode}'; choose diff or concat")


class PredictionHead(nn.Module):
    def __init__(self, latent_dim: int, hidden: int, out_dim: int, mode: str = "diff"):
        super().__init__()
        self.mode = mode
        self.mlp = mlp(latent_dim * (2 if mode == "concat" else 1), hidden, out_dim)

    def forward(self, h1: torch.Tensor, h2: torch.Tensor) -> torch.Tensor:
        return self.mlp(pair_features(h1, h2, self.mode))
