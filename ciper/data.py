"""The train/test split of an `ImageSet`, and the sampler of time-augmented pairs.

The split shares no sequence with training: no test frame comes from a sequence
(one object in one session) that is trained on, or, where every object is one
sequence (a turntable), no test frame lies within `time_window` frames of a
training frame. The rules (`Config.split`):

  sequences    whole sequences held out, spread like a Latin square: object o holds
               out its sequences at positions (o * h + j) mod n_o (h = n_o *
               test_fraction, rounded), so every object and every session stays in training
  pose_blocks  every sequence holds out `split_blocks` blocks of consecutive frames
               spread around it; the `time_window` frames on either side of a block
               are dropped (neither trained nor tested). A cyclic sequence (a turntable)
               wraps around
  random       frames at random (data without sequences only: nothing to leak)
  official     the data's own split (CIFAR10's test set, a folder's train/test)
  auto         official if the data has one, else sequences where every object has
               two or more, else pose_blocks where it has sequences, else random

Frame distance is the difference of frame indices (`ImageSet.frame_index`), not of
positions among the frames present: on a cyclic sequence it is circular, over
`ImageSet.period` frames a turn (pose 355 degrees neighbours pose 0).

Time-augmented pairs (the paper's CORe50/TDW setting): a frame and another
frame of the same sequence at most `time_window` frames away. They are drawn
from the training frames only, so a held-out frame is never a positive partner,
and a frame whose neighbours were all dropped pairs with itself.
"""

from __future__ import annotations

import torch

from ciper.config import Config, ConfigError, held_out_count
from ciper.datasets import load_dataset
from ciper.imageset import ImageSet


def resolve_rule(data: ImageSet, rule: str) -> str:
    """The split rule that `auto` means for this data (other rules are returned as they are)."""
    if rule != "auto":
        return rule
    if data.is_test is not None:
        return "official"
    if not data.has_time:
        return "random"
    return "sequences" if int(sequences_per_object(data).min()) >= 2 else "pose_blocks"


def sequences_per_object(data: ImageSet) -> torch.Tensor:
    """[num_objects] how many sequences each object has."""
    first = torch.zeros(int(data.sequences.max()) + 1, dtype=torch.long)
    first.scatter_(0, data.sequences, data.objects)
    present = torch.zeros_like(first, dtype=torch.bool)
    present[data.sequences] = True
    return torch.bincount(first[present], minlength=data.num_objects)


def held_out_sequences(data: ImageSet, test_fraction: float) -> torch.Tensor:
    """bool [num sequence ids]: the sequences the `sequences` rule holds out."""
    n_ids = int(data.sequences.max()) + 1
    seq_object = torch.full((n_ids,), -1, dtype=torch.long)
    seq_object[data.sequences] = data.objects
    seq_session = torch.zeros(n_ids, dtype=torch.long)
    if data.sessions is not None:
        seq_session[data.sequences] = data.sessions
    held = torch.zeros(n_ids, dtype=torch.bool)
    for o in range(data.num_objects):
        ids = torch.nonzero(seq_object == o).squeeze(1)
        if len(ids) == 0:
            continue
        ids = ids[torch.argsort(seq_session[ids] * n_ids + ids)]  # by session, then id
        h = held_out_count(len(ids), test_fraction)
        if len(ids) < 2 or not 1 <= h <= len(ids) - 1:
            raise ConfigError(
                f"split=sequences holds out {len(ids)} * test_fraction={test_fraction} = {h} of object {o}'s "
                f"{len(ids)} sequences, which leaves {'no test' if h < 1 else 'no training'} sequence; "
                f"change test_fraction, or use split=pose_blocks (one sequence per object, e.g. a turntable)"
            )
        held[ids[(o * h + torch.arange(h)) % len(ids)]] = True
    return held


def cycle_length(data: ImageSet) -> int:
    """Frames in one turn of a cyclic sequence (0 for data that is not cyclic)."""
    if not data.cyclic:
        return 0
    return data.period or int(data.frame_index.max()) + 1


def frame_distance(a: torch.Tensor, b: torch.Tensor, period: int = 0) -> torch.Tensor:
    """|a - b| in frames, circular over `period` frames when period > 0 (broadcasts)."""
    d = (a - b).abs()
    return torch.minimum(d % period, period - d % period) if period else d


def pose_block_masks(data: ImageSet, test_fraction: float, blocks: int, gap: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(is_test, is_train) per frame for the `pose_blocks` rule: `blocks` blocks of consecutive
    frames spread evenly around each sequence; a frame within `gap` frames of a test frame
    (circular distance on cyclic data) is dropped."""
    is_test = torch.zeros(len(data), dtype=torch.bool)
    is_train = torch.zeros(len(data), dtype=torch.bool)
    period = cycle_length(data)
    for s in torch.unique(data.sequences).tolist():
        rows = torch.nonzero(data.sequences == s).squeeze(1)
        pos = torch.argsort(torch.argsort(data.frame_index[rows]))  # 0..L-1 along the sequence
        length = len(rows)
        width = max(1, round(length * test_fraction / blocks))
        starts = [round(b * length / blocks + (length / blocks - width) / 2) for b in range(blocks)]
        test_pos = torch.tensor([(a + i) for a in starts for i in range(width)])
        if data.cyclic:
            test_pos = test_pos % length
        test = torch.zeros(length, dtype=torch.bool)
        test[test_pos[(test_pos >= 0) & (test_pos < length)]] = True
        frames = data.frame_index[rows].sort().values  # frame index at each position
        drop = (frame_distance(frames[:, None], frames[test][None, :], period) <= gap).any(1)
        if bool(drop.all()):
            raise ConfigError(
                f"split=pose_blocks leaves sequence {s} ({length} frames) no training frame: {blocks} blocks of "
                f"{width} frames with time_window={gap} frames around each cover it; lower split_blocks, "
                f"test_fraction or time_window"
            )
        is_test[rows] = test[pos]
        is_train[rows] = ~drop[pos]
    return is_test, is_train


def split(data: ImageSet, rule: str, test_fraction: float, seed: int, time_window: int = 1, blocks: int = 4):
    """(train, test, rule): the frames of each side under `rule` (see the module docstring),
    and the rule that ran (what `auto` resolved to)."""
    rule = resolve_rule(data, rule)
    is_train = None
    if rule == "official":
        if data.is_test is None:
            raise ConfigError(f"split=official but {data.name} has no official split; use split=auto")
        is_test = data.is_test
    elif rule == "sequences":
        if not data.has_time:
            raise ConfigError(f"split=sequences needs sequences, and {data.name} has none; use split=random")
        is_test = held_out_sequences(data, test_fraction)[data.sequences]
    elif rule == "pose_blocks":
        if not data.has_time:
            raise ConfigError(f"split=pose_blocks needs sequences, and {data.name} has none; use split=random")
        is_test, is_train = pose_block_masks(data, test_fraction, blocks, time_window)
    elif rule == "random":
        if data.has_time:
            raise ConfigError(
                f"split=random would put frames of one sequence on both sides ({data.name} has sequences); "
                f"use split=sequences or split=pose_blocks"
            )
        g = torch.Generator().manual_seed(seed)
        is_test = torch.zeros(len(data), dtype=torch.bool)
        is_test[torch.randperm(len(data), generator=g)[: int(len(data) * test_fraction)]] = True
    else:
        raise ConfigError(f"split={rule!r} is not a split rule")
    if is_train is None:
        is_train = ~is_test
    train = data.subset(torch.nonzero(is_train & ~is_test).squeeze(1))
    test = data.subset(torch.nonzero(is_test).squeeze(1))
    if len(test) == 0 or len(train) == 0:
        side = "test" if len(test) == 0 else "training"
        raise ConfigError(f"split={rule} leaves {data.name} with an empty {side} side; change test_fraction")
    missing = sorted(set(test.objects.tolist()) - set(train.objects.tolist()))
    if missing:
        raise ConfigError(
            f"split={rule} leaves object(s) {missing[:5]} with no training frame; change test_fraction or the split"
        )
    return train, test, rule


def split_of(data: ImageSet, cfg) -> tuple[ImageSet, ImageSet, str]:
    """`split` with the config's rule and settings: (train, test, rule that ran)."""
    return split(data, cfg.split, cfg.test_fraction, cfg.seed, cfg.time_window, cfg.split_blocks)


def training_split(cfg: Config) -> tuple[ImageSet, ImageSet]:
    """(train, held-out) sides of cfg's data, the training side capped at max_train_images."""
    train_set, test_set, _ = split_of(load_dataset(cfg), cfg)
    if cfg.max_train_images and len(train_set) > cfg.max_train_images:
        keep = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(cfg.seed))
        train_set = train_set.subset(keep[: cfg.max_train_images].sort().values)
    return train_set, test_set


class TimePairs:
    """Samples a partner for each frame: a frame of the same sequence at most `window` frames
    away (circular on cyclic data), uniformly among the frames present, never the frame itself
    unless no other frame is that close."""

    def __init__(self, data: ImageSet, window: int):
        if not data.has_time:
            raise ConfigError(f"pairs=time needs sequences, and {data.name} has none; use pairs=synthetic")
        self._index(data.sequences, data.frame_index, window, cycle_length(data))

    @classmethod
    def of_frames(cls, sequences: torch.Tensor, frames: torch.Tensor, window: int, period: int = 0) -> "TimePairs":
        """Pairs over frames given by their sequence and frame index alone (e.g. two splits
        together); period > 0: sequences are cyclic with that many frames a turn."""
        pairs = cls.__new__(cls)
        pairs._index(sequences, frames, window, period)
        return pairs

    def _index(self, sequences: torch.Tensor, frames: torch.Tensor, window: int, period: int) -> None:
        """Sort the frames by (sequence, frame index); on cyclic data each frame also appears one
        turn earlier and one later, so that every frame's candidates are one contiguous run of
        that order: [lo, hi], found by binary search on the frame index +- window."""
        n = len(frames)
        if period:
            frames = frames % period
            back = min(window, (period - 1) // 2)  # a window over half a turn: each frame once
            ahead = min(window, period - 1 - back)
            shifts = torch.tensor([0, -period, period])
        else:
            back = ahead = window
            shifts = torch.zeros(1, dtype=torch.long)
        ext_frames = (frames[None, :] + shifts[:, None]).reshape(-1)  # copy 0 first: the frames themselves
        ext_source = torch.arange(n).repeat(len(shifts))
        low = int(ext_frames.min()) - back
        band = int(ext_frames.max()) + ahead - low + 1  # key range of one sequence, queries included
        keys = sequences.repeat(len(shifts)) * band + (ext_frames - low)
        order = torch.argsort(keys, stable=True)
        sorted_keys = keys[order]
        self.source = ext_source[order]  # the frame at each place of the order
        rank = torch.empty_like(order)
        rank[order] = torch.arange(len(order))
        self.rank = rank[:n]  # where each frame itself sits in the order
        own = keys[:n]
        self.lo = torch.searchsorted(sorted_keys, own - back, right=False)
        self.hi = torch.searchsorted(sorted_keys, own + ahead, right=True) - 1
        self.window = window

    def partners(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """[B] a partner for each frame of `index` [B]; one uniform draw per frame from `generator`."""
        rank, lo, hi = self.rank[index], self.lo[index], self.hi[index]
        # a uniform place in [lo, hi] that skips the frame itself
        span = (hi - lo).clamp(min=1)
        offset = (torch.rand(len(index), generator=generator) * span).long()
        pick = lo + offset
        pick = torch.where(pick >= rank, pick + 1, pick).clamp(max=hi)
        pick = torch.where(hi == lo, rank, pick)  # no other frame within the window: itself
        return self.source[pick]
