"""Built-in worlds cached on disk: each generated once per machine, then read back in a blink.

A world is keyed by its parameters and by the source of the code that draws it,
so changing either builds a new one. The file holds a digest of its own
contents: a file that is truncated, corrupt or altered is rebuilt (with a
warning), never trusted. Files are written atomically, so trials that start
together on a cold cache at worst both build the same world.

The folder is $CIPER_CACHE_DIR, else $XDG_CACHE_HOME/ciper, else ~/.cache/ciper.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import torch

from ciper.imageset import ImageSet
from ciper.records import atomic_write_bytes

FORMAT = 1


def cache_dir() -> Path:
    root = os.environ.get("CIPER_CACHE_DIR")
    if root:
        return Path(root).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "ciper"


def cache_path(kind: str, params: dict, code: list[ModuleType]) -> Path:
    """Where the world of these parameters, drawn by this code, is kept."""
    key = hashlib.sha256(json.dumps({"kind": kind, "params": params, "format": FORMAT}, sort_keys=True).encode())
    for module in code:
        key.update(Path(module.__file__).read_bytes())
    return cache_dir() / "worlds" / f"{kind}-{key.hexdigest()[:24]}.pt"


def _digest(fields: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(fields):
        value = fields[name]
        h.update(name.encode())
        if torch.is_tensor(value):
            h.update(str((value.dtype, tuple(value.shape))).encode())
            h.update(value.contiguous().view(torch.uint8).numpy().tobytes() if value.numel() else b"")
        else:
            h.update(json.dumps(value).encode())
    return h.hexdigest()


def _fields(data: ImageSet) -> dict:
    return {f.name: getattr(data, f.name) for f in dataclasses.fields(ImageSet) if getattr(data, f.name) is not None}


def save(path: Path, data: ImageSet) -> None:
    fields = _fields(data)
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "fields": fields, "digest": _digest(fields)}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load(path: Path) -> ImageSet:
    """The world in `path`; ValueError if the file is unreadable or does not match its digest."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        fields = state["fields"]
        ok = state["format"] == FORMAT and state["digest"] == _digest(fields)
    except Exception as e:  # truncated, corrupt, or not ours
        raise ValueError(f"{type(e).__name__}: {e}") from e
    if not ok:
        raise ValueError("its contents do not match their digest")
    return ImageSet(**fields)


def cached_world(kind: str, build: Callable[..., ImageSet], params: dict, code: list[ModuleType]) -> ImageSet:
    """build(**params), from the cache when it holds a sound copy; stored there otherwise."""
    path = cache_path(kind, params, code)
    if path.exists():
        try:
            return load(path)
        except ValueError as e:
            print(f"warning: world cache file {path} is unusable ({e}); rebuilding it", file=sys.stderr)
    data = build(**params)
    try:
        save(path, data)
    except OSError as e:
        print(
            f"warning: cannot cache the world in {path.parent} ({e.strerror}); set CIPER_CACHE_DIR "
            f"to a folder you can write",
            file=sys.stderr,
        )
    return data
