"""Datasets as in-memory tensors, the train/test split, and the pair sampler.

Every dataset (the built-in world, CIFAR10, CORe50, TDW) becomes one `ImageSet`:
uint8 images plus whatever ground truth it has (object, session, view
parameters, and the sequence each frame belongs to). Keeping images as one
tensor lets the training step index a batch and augment it on the device
without any per-image Python work.

Time-augmented pairs (the paper's CORe50/TDW setting): a frame and another
frame of the same sequence (one object in one session) at most `time_window`
frames away. Their view change is the "augmentation" the prediction head
regresses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ciper.config import Config, ConfigError


@dataclass
class ImageSet:
    images: torch.Tensor                  # uint8 [N, 3, H, W]
    objects: torch.Tensor                 # long [N]: the class a probe predicts
    sessions: torch.Tensor | None = None  # long [N]: background/lighting condition
    views: torch.Tensor | None = None     # float [N, V]: view parameters, normalised to about [-1, 1]
    view_names: list[str] = field(default_factory=list)
    sequences: torch.Tensor | None = None # long [N]: which sequence a frame belongs to
    frames: torch.Tensor | None = None    # long [N]: position of the frame in its sequence
    is_test: torch.Tensor | None = None   # bool [N]: an official test split, when the data has one
    name: str = "dataset"

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def num_objects(self) -> int:
        return int(self.objects.max()) + 1

    @property
    def num_sessions(self) -> int:
        return 0 if self.sessions is None else int(self.sessions.max()) + 1

    @property
    def has_time(self) -> bool:
        return self.sequences is not None

    def subset(self, index: torch.Tensor) -> "ImageSet":
        pick = lambda t: None if t is None else t[index]
        return ImageSet(self.images[index], self.objects[index], pick(self.sessions), pick(self.views),
                        list(self.view_names), pick(self.sequences), pick(self.frames),
                        pick(self.is_test), self.name)


def to_device(tensors: list[torch.Tensor], device: torch.device | str) -> list[torch.Tensor]:
    """Small CPU tensors (indices, sampled parameters) to `device` in one copy.

    On CUDA the copy goes through pinned memory and does not block: a plain
    `.to("cuda")` of pageable memory makes the host wait for the GPU's queue to
    drain, so the next step could not be queued while this one computes.
    Values travel as float64, exact for every integer below 2**53; the same
    packing runs on every device, so the CPU tests exercise it.
    """
    device = torch.device(device)
    if not tensors:
        return []
    flat = torch.cat([t.reshape(-1).to(torch.float64) for t in tensors])
    if device.type == "cuda":
        flat = flat.pin_memory().to(device, non_blocking=True)
    else:
        flat = flat.to(device)
    pieces = flat.split([t.numel() for t in tensors])
    return [piece.view(t.shape).to(t.dtype) for piece, t in zip(pieces, tensors)]


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
        order = torch.argsort(data.sequences * (int(data.frames.max()) + 1) + data.frames)
        self.order = order                                   # positions sorted by (sequence, frame)
        self.rank = torch.empty_like(order)
        self.rank[order] = torch.arange(len(order))          # where each frame sits in that order
        seq_sorted = data.sequences[order]
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
        pick = torch.where(hi == lo, rank, pick)             # a one-frame sequence pairs with itself
        return self.order[pick]


def load_dataset(cfg: Config) -> ImageSet:
    """The dataset a config names, as an ImageSet (errors name the path and the layout)."""
    if cfg.dataset == "world":
        from ciper.world import generate_world
        return generate_world(objects=cfg.world_objects, sessions=cfg.world_sessions,
                              frames=cfg.world_frames, size=cfg.image_size, seed=cfg.world_seed)
    from ciper import folders
    loader = {"cifar10": folders.load_cifar10, "core50": folders.load_core50, "tdw": folders.load_tdw}
    return loader[cfg.dataset](cfg.data_dir, cfg.image_size)
