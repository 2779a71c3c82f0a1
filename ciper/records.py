"""Writing results safely and stamping them with the code version."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
CODE = ("ciper", "studies", "analysis", "pyproject.toml")  # what a trial's numbers can depend on


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def json_ready(value):
    """The value as write_json writes it (NaN as null, numpy scalars as numbers)."""
    return _clean(value)


def _clean(value):
    """JSON has no NaN: write null instead, so every reader can parse the file; a numpy scalar is
    written as the Python number it holds."""
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(path: str | os.PathLike, obj) -> None:
    atomic_write_bytes(path, (json.dumps(_clean(obj), indent=2, sort_keys=True) + "\n").encode())


_VERSION = None


def code_version() -> str:
    """The git commit of the ciper checkout (with '+dirty.<digest of the edits>' for uncommitted
    edits to the code, CODE), or the package version where git cannot say ('ciper-<version>',
    which ciper/study/runs.py never reuses a run for)."""
    global _VERSION
    if _VERSION is None:
        try:
            sha = subprocess.run(
                ["git", "rev-parse", "--short=12", "HEAD"],
                cwd=_REPO,
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            # uncommitted edits to the code (tracked or new files under CODE): the commit and a digest
            # of the edits, so that two edited trees differ; documents and result tables do not count
            git = dict(cwd=_REPO, capture_output=True, timeout=30, check=True)
            diff = subprocess.run(["git", "diff", "HEAD", "--binary", "--", *CODE], **git).stdout
            new = subprocess.run(["git", "ls-files", "-o", "--exclude-standard", "--", *CODE], **git).stdout
            for name in sorted(new.decode().split()):
                diff += name.encode() + (_REPO / name).read_bytes()
            _VERSION = sha + (f"+dirty.{hashlib.sha256(diff).hexdigest()[:8]}" if diff.strip() else "")
        except (OSError, subprocess.SubprocessError):  # no git, not a checkout, or git failed
            from importlib.metadata import PackageNotFoundError, version

            try:
                _VERSION = "ciper-" + version("ciper")
            except PackageNotFoundError:
                _VERSION = "unknown"
    return _VERSION
