"""Checkpoints: written atomically, read back with weights_only=True (no code runs)."""

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
