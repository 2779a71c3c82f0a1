"""The CIPER model: one shared encoder, a projection head and a prediction head."""

from __future__ import annotations

import torch
from torch import nn

from ciper.config import Config
from ciper.encoders import build_encoder
from ciper.heads import PredictionHead, ProjectionHead
from ciper.losses import ciper_loss, info_nce, prediction_loss


class CIPER(nn.Module):
    def __init__(self, cfg: Config, target_groups: dict[str, list[str]]):
        super().__init__()
        self.group_sizes = [len(cols) for cols in target_groups.values()]  # r's columns, group by group
        target_dim = sum(self.group_sizes)
        self.encoder = build_encoder(cfg.encoder, cfg.latent_dim, cfg.width, cfg.image_size)
        self.projector = ProjectionHead(cfg.latent_dim, cfg.head_hidden, cfg.proj_dim) if cfg.uses_contrast else None
        self.predictor = (
            PredictionHead(cfg.latent_dim, cfg.head_hidden, target_dim, cfg.head_input)
            if cfg.uses_prediction and target_dim > 0
            else None
        )
        self.temperature, self.alpha = cfg.temperature, cfg.alpha

    def losses(self, views: torch.Tensor, r: torch.Tensor) -> dict[str, torch.Tensor]:
        """views: [2B, C, H, W], rows :B the first view of each pair and B: the second;
        r: [B, target_dim]. Both views go through the encoder as one batch (one pass,
        one BatchNorm statistic)."""
        h = self.encoder(views).float()
        h1, h2 = h.chunk(2)
        l_con = info_nce(*self.projector(h).float().chunk(2), self.temperature) if self.projector is not None else None
        l_pred = (
            prediction_loss(self.predictor(h1, h2).float(), r, self.group_sizes) if self.predictor is not None else None
        )
        out = {"loss": ciper_loss(l_con, l_pred, self.alpha)}
        if l_con is not None:
            out["loss_con"] = l_con
        if l_pred is not None:
            out["loss_pred"] = l_pred
        return out
