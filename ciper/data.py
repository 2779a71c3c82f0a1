"""The train/test split of an `ImageSet`, and the sampler of time-augmented pairs.

Time-augmented pairs (the paper's CORe50/TDW setting): a frame and another
frame of the same sequence (one object in one session) at most `time_window`
frames away. Their view change is the "augmentation" the prediction head
regresses.
"""

from __future__ import annotations

import torch

from ciper.config import ConfigError
from ciper.imageset import ImageSet


def split(data: ImageSet, test_fraction: float, seed: int) -> tuple[ImageSet, ImageSet]:
    """Train/test split: the data's official one if it has it; otherwise sequences
    hold out their last frames (no test frame sits between two training frames)
    and other data is split at random."""
    if data.is_test is not None:
        is_test = data.is_test
    elif data.has_time:
        length = torch.zeros(int(data.sequences.max()) + 1, dtype=torch.long)
        length.scatter_reduce_(0, data.sequences, data.frames + 1, reduce="amax")
        cut = (length.float() * (1 - test_fraction)).floor().long()
        is_test = data.frames >= cut[data.sequences]
    else:
        g = torch.Generator().manual_seed(seed)
        is_test = torch.zeros(len(data), dtype=torch.bool)
        is_test[torch.randperm(len(data), generator=g)[: int(len(data) * test_fraction)]] = True
    return data.subset(torch.nonzero(~is_test).squeeze(1)), data.subset(torch.nonzero(is_test).squeeze(1))


class TimePairs:
    """Samples a partner frame for each frame: same sequence, within +-window frames."""

    def __init__(self, data: ImageSet, window: int):
        if not data.has_time:
            raise ConfigError(f"pairs=time needs sequences, and {data.name} has none; use pairs=synthetic")
        self._index(data.sequences, data.frames, window)

    @classmethod
    def of_frames(cls, sequences: torch.Tensor, frames: torch.Tensor, window: int) -> "TimePairs":
        """Pairs over frames given by their sequence and position alone (e.g. two splits together)."""
        pairs = cls.__new__(cls)
        pairs._index(sequences, frames, window)
        return pairs

    def _index(self, sequences: torch.Tensor, frames: torch.Tensor, window: int) -> None:
        order = torch.argsort(sequences * (int(frames.max()) + 1) + frames)
        self.order = order  # positions sorted by (sequence, frame)
        self.rank = torch.empty_like(order)
        self.rank[order] = torch.arange(len(order))  # where each frame sits in that order
        seq_sorted = sequences[order]
        starts = torch.searchsorted(seq_sorted, seq_sorted, right=False)
        ends = torch.searchsorted(seq_sorted, seq_sorted, right=True) - 1
        self.lo = torch.empty_like(order)
        self.hi = torch.empty_like(order)
        self.lo[order], self.hi[order] = starts, ends
        self.window = window

    def partners(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        rank = self.rank[index]
        lo = torch.maximum(self.lo[index], rank - self.window)
        hi = torch.minimum(self.hi[index], rank + self.window)
        # a uniform offset in [lo, hi] that skips the frame itself
        span = (hi - lo).clamp(min=1)
        offset = (torch.rand(len(index), generator=generator) * span).long()
        pick = lo + offset
        pick = torch.where(pick >= rank, pick + 1, pick).clamp(max=hi)
        pick = torch.where(hi == lo, rank, pick)  # a one-frame sequence pairs with itself
        return self.order[pick]
