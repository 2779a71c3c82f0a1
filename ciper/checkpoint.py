"""Checkpoints: written atomically, read back with weights_only=True (no code runs).

A training run's checkpoint holds what resuming needs to continue bit-identically: the
model, optimiser, schedule and batch-order generator, the epochs done and their metrics.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from ciper.records import atomic_write_bytes

FILE_NAME = "checkpoint.pt"  # a run's (and a trial checkpoint folder's) checkpoint file


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read; the message names the file."""


def save(path: str | Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load(path: str | Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated, corrupt, or not a checkpoint at all
        raise CheckpointError(
            f"checkpoint {path} is unreadable ({type(e).__name__}); delete it to start the run over"
        ) from e


def save_training(path: Path, config: dict, model, optimizer, scheduler, generator, history: list[dict]) -> None:
    """The state after the last epoch in `history` (each entry holds its "epoch")."""
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "generator": generator.get_state(),
        "epoch": history[-1]["epoch"],
        "history": history,
        "config": config,
    }
    save(path, state)


def resume_training(path: Path | None, model, optimizer, scheduler, generator) -> tuple[int, list[dict]]:
    """Load the checkpoint at `path` into the training state; (epochs done, their metrics),
    or (0, []) where there is no checkpoint to go on from."""
    if path is None or not path.exists():
        return 0, []
    state = load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    generator.set_state(state["generator"])
    return state["epoch"], state["history"]


def final_checkpoint(folder: Path) -> Path | None:
    """The checkpoint a run or a trial left in `folder`: a study trial's newest
    checkpoint_*/checkpoint.pt, else a run folder's own checkpoint.pt; None if there is none."""
    folder = Path(folder)
    found = sorted(folder.glob(f"checkpoint_*/{FILE_NAME}"))
    if found:
        return found[-1]
    own = folder / FILE_NAME
    return own if own.is_file() else None


def trial_checkpoint(ray_dir: Path, trial_id: str) -> Path | None:
    """The final checkpoint of trial `trial_id` in a study's Ray folder (<study>/ray); None if none."""
    return next((c for d in sorted(Path(ray_dir).glob(f"*{trial_id}_*")) if (c := final_checkpoint(d))), None)
