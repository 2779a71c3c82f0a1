"""The CIPER objective's terms as small pure functions (ciper/model.py combines them)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """NT-Xent (SimCLR): each of the 2B views must pick its partner among the other 2B - 1."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    n = z1.shape[0]
    targets = torch.arange(2 * n, device=z.device).roll(n)  # view i's partner is i + n (mod 2n)
    return F.cross_entropy(logits, targets)


def standardise(r: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Z-score each parameter over the batch, so every column weighs the same in the MSE
    (a batch-norm without affine weights); constant columns become 0."""
    return (r - r.mean(0)) / (r.std(0, unbiased=False) + eps)


def prediction_loss(pred: torch.Tensor, r: torch.Tensor, group_sizes: list[int] | None = None) -> torch.Tensor:
    """MSE between predicted and true (standardised) parameter changes: averaged within each
    group of adjacent columns (one augmentation op, or the pose change), then averaged over
    groups. Each op weighs the same however many columns it has, and the loss keeps its scale
    (about 1 at initialisation) however many ops there are, so alpha means the same for every
    op set. pred, r: [B, sum(group_sizes)]."""
    err = (pred - standardise(r)) ** 2
    if group_sizes is None:
        return err.mean()
    return torch.stack([e.mean() for e in err.split(group_sizes, dim=1)]).mean()
