"""The CIPER model: one shared encoder, a projection head and a prediction head.

The objective is written in `CIPER.losses`, where it is computed:

    loss = loss_con + alpha * loss_pred      head_mode=both (alpha = 0: contrastive only)
    loss = loss_con                          head_mode=contrastive
    loss = alpha * loss_pred                 head_mode=predictive

loss_pred is the mean over target groups (the pose change of time pairs, one
group per augmentation op) of each group's MSE, so alpha weighs the prediction
task the same whatever the number of ops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ciper.augment import Pipeline
from ciper.config import Config, ConfigError
from ciper.encoders import build_encoder
from ciper.heads import PredictionHead, ProjectionHead
from ciper.imageset import ImageSet
from ciper.losses import info_nce, prediction_loss


def target_groups(cfg: Config, data: ImageSet) -> dict[str, list[str]]:
    """Columns of r (the parameter change between two views that the prediction head
    regresses), grouped: what a time pair's partner changed (cfg.time_pair_target), then one
    group per augmentation op."""
    groups = {}
    if cfg.time_pairs and cfg.time_pair_target == "pose_change":
        if data.poses is None:
            raise ConfigError(
                f"time_pair_target=pose_change needs pose labels, and {data.name} has none; "
                f"set time_pair_target=frame_gap (the frame offset) or none (only the synthetic ops)"
            )
        names = data.pose_change_names
        turn = [n for n in names if n.startswith("drot_")]
        if turn:  # a 3D rotation is a group of its own, weighed like an augmentation op
            groups["pose_rotation"] = [f"pose/{n}" for n in turn]
        groups["pose"] = [f"pose/{n}" for n in names if n not in turn]
    elif cfg.time_pairs and cfg.time_pair_target == "frame_gap":
        groups["frame_gap"] = ["time/frame_gap"]
    if cfg.synthetic_pairs:
        groups.update(Pipeline.from_config(cfg).groups)
    return groups


def build_model(cfg: Config, data: ImageSet) -> "CIPER":
    """The model cfg describes for this data; refuses a prediction head with nothing to predict."""
    return CIPER(cfg, prediction_groups(cfg, data))


def prediction_groups(cfg: Config, data: ImageSet) -> dict[str, list[str]]:
    """target_groups, or a ConfigError where a prediction head would have nothing to predict
    (studies call it before Ray starts)."""
    groups = target_groups(cfg, data)
    if cfg.uses_prediction and not groups:
        raise ConfigError(
            f"head_mode={cfg.head_mode} with alpha={cfg.alpha} has nothing to predict: pairs={cfg.pairs}, "
            f"time_pair_target={cfg.time_pair_target}; add augmentation ops (pairs=time+synthetic), "
            f"use time_pair_target=frame_gap, or head_mode=contrastive"
        )
    return groups


class CIPER(nn.Module):
    def __init__(self, cfg: Config, target_groups: dict[str, list[str]]):
        super().__init__()
        self.group_sizes = [len(cols) for cols in target_groups.values()]  # r's columns, group by group
        self.head_mode, self.alpha, self.temperature = cfg.head_mode, cfg.alpha, cfg.temperature
        self.encoder = build_encoder(cfg.encoder, cfg.latent_dim, cfg.width, cfg.image_size)
        self.projector = ProjectionHead(cfg.latent_dim, cfg.head_hidden, cfg.proj_dim) if cfg.uses_contrast else None
        self.predictor = (
            PredictionHead(cfg.latent_dim, cfg.head_hidden, sum(self.group_sizes), cfg.head_input)
            if cfg.uses_prediction
            else None
        )

    def losses(self, views: torch.Tensor, r: torch.Tensor) -> dict[str, torch.Tensor]:
        """views: [2B, C, H, W], rows :B the first view of each pair and B: the second;
        r: [B, target_dim]. Both views go through the encoder as one batch (one pass,
        one BatchNorm statistic)."""
        h = self.encoder(views).float()
        h1, h2 = h.chunk(2)
        out = {}
        if self.projector is not None:
            z1, z2 = self.projector(h).float().chunk(2)
            out["loss_con"] = info_nce(z1, z2, self.temperature)
        if self.predictor is not None:
            out["loss_pred"] = prediction_loss(self.predictor(h1, h2).float(), r, self.group_sizes)
        if self.head_mode == "predictive":
            out["loss"] = self.alpha * out["loss_pred"]
        elif self.predictor is None:  # head_mode=contrastive, or alpha = 0
            out["loss"] = out["loss_con"]
        else:
            out["loss"] = out["loss_con"] + self.alpha * out["loss_pred"]
        return out


@dataclass
class Trained:
    """A model with the data it was trained on: what evaluation reads (a finished or
    interrupted run, or a reference encoder)."""

    cfg: Config
    model: CIPER
    train_set: ImageSet
    test_set: ImageSet
    device: torch.device
    history: list[dict] = field(default_factory=list)
