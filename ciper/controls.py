"""No-learning controls: fixed functions of the pixels, read by the same probes as an encoder.

A trained model's number means something only where these stay well below it:

  pixels   the image average-pooled to 8x8, colour kept (192 values for RGB): what
           position, size, brightness and a coarse colour layout tell, with no learning
  colour   per-channel mean and standard deviation plus a 4x4x4 colour histogram:
           what colour alone tells

Both are `nn.Module`s that map images [B, 3, H, W] in [0, 1] to features [B, D], so
every probe (ciper/probes.py) runs on them unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

POOLED_SIDE = 8
HISTOGRAM_BINS = 4  # per channel


class PooledPixels(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x.float(), POOLED_SIDE).flatten(1)


class ColourStatistics(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().flatten(2)  # [B, 3, H*W]
        bins = (x.clamp(0, 1) * HISTOGRAM_BINS).long().clamp(max=HISTOGRAM_BINS - 1)
        cell = (bins[:, 0] * HISTOGRAM_BINS + bins[:, 1]) * HISTOGRAM_BINS + bins[:, 2]  # [B, H*W]
        histogram = F.one_hot(cell, HISTOGRAM_BINS**3).float().mean(1)
        return torch.cat([x.mean(2), x.std(2), histogram], 1)


CONTROLS = {"pixels": PooledPixels, "colour": ColourStatistics}


class Control(nn.Module):
    """A control in a model's place: `.encoder` is the fixed feature map (no parameters)."""

    def __init__(self, name: str):
        super().__init__()
        self.encoder = CONTROLS[name]()
