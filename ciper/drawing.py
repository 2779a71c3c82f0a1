"""What both built-in worlds (and the grayscale augmentation) draw with; a world's cache key
reads this file's source too, so editing one world leaves the other's cache as it is."""

from __future__ import annotations

import torch

GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # RGB -> grey, as torchvision's rgb_to_grayscale


def reflect(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """Fold a random walk back into [low, high]."""
    span = high - low
    y = torch.remainder(x - low, 2 * span)
    return low + torch.where(y > span, 2 * span - y, y)
