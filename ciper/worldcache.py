"""Datasets cached on disk: each built once per machine, then read back in a blink.

A built-in world is keyed by its parameters and by the source of the code that
draws it; a folder dataset (COIL-100, an image folder, labels.csv, CORe50, TDW,
CIFAR10) by the names, sizes and modification times of the files it reads, the
loader's parameters (image size, ...) and the loader's code. Changing any of
them builds a new entry. The file holds a digest of its own contents: a file
that is truncated, corrupt or altered is rebuilt (with a warning), never
trusted. Files are written atomically, so trials that start together on a cold
cache at worst both build the same entry.

The folder is $CIPER_CACHE_DIR, else $XDG_CACHE_HOME/ciper, else ~/.cache/ciper
(built-in worlds under worlds/, folder datasets under folders/).
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


def cache_path(kind: str, params: dict, code: list[ModuleType], folder: str = "worlds") -> Path:
    """Where the data of these parameters, built by this code, is kept."""
    key = hashlib.sha256(json.dumps({"kind": kind, "params": params, "format": FORMAT}, sort_keys=True).encode())
    for module in code:
        key.update(Path(module.__file__).read_bytes())
    return cache_dir() / folder / f"{kind}-{key.hexdigest()[:24]}.pt"


def file_listing(root: Path, files: list[Path]) -> str:
    """A digest of the files' names (relative to root), sizes and modification times."""
    listing = []
    for f in files:
        st = f.stat()
        listing.append([f.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()


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
        if ok:
            return ImageSet(**fields)
    except Exception as e:  # truncated, corrupt, or not ours
        raise ValueError(f"{type(e).__name__}: {e}") from e
    raise ValueError("its contents do not match their digest")


def cached(path: Path, build: Callable[[], ImageSet]) -> ImageSet:
    """build(), from the cache file `path` when it holds a sound copy; stored there otherwise."""
    if path.exists():
        try:
            return load(path)
        except ValueError as e:
            print(f"warning: cache file {path} is unusable ({e}); rebuilding it", file=sys.stderr)
    data = build()
    try:
        save(path, data)
    except OSError as e:
        print(
            f"warning: cannot cache {data.name} in {path.parent} ({e.strerror}); set CIPER_CACHE_DIR "
            f"to a folder you can write",
            file=sys.stderr,
        )
    return data


def cached_world(kind: str, build: Callable[..., ImageSet], params: dict, code: list[ModuleType]) -> ImageSet:
    """build(**params), from the cache when it holds a sound copy; stored there otherwise."""
    return cached(cache_path(kind, params, code), lambda: build(**params))


def cached_folder(
    kind: str, build: Callable[[], ImageSet], params: dict, root: Path, files: list[Path], code: list[ModuleType]
) -> ImageSet:
    """build() of a folder dataset, decoded once: keyed by params, the files' names, sizes and
    mtimes (`files`: every file build reads, under `root`) and the loader's code."""
    key = {**params, "files": file_listing(root, files)}
    return cached(cache_path(kind, key, code, folder="folders"), build)
