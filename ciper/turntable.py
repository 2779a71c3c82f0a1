"""Turntable photographs: each object turned in depth, its azimuth in the file name.

    <data_dir>/<file>    every image file's path under data_dir (POSIX, relative to it) matches
                         `file_pattern`: a regular expression with the named groups `object`
                         and `angle` (degrees), and optionally `session` (a lighting or camera)

COIL-100 as published is `dataset=coil100` (files `obj<K>__<A>.png`, COIL_PATTERN);
any other turntable set is `dataset=turntable` with its own pattern, e.g. ALOI's
`<K>/<K>_r<A>.png`: file_pattern=(?P<object>\\d+)/\\d+_r(?P<angle>\\d+)\\.png.

Labels: object (in numeric order where every name is a number); sequence = the
object (in each session); frame = the angle in turntable steps, where a step is
the greatest common divisor of 360 degrees and every angle (to 0.001 degree:
5 degrees for COIL-100), so a turn has `period` = 360 / step frames and pose
355 neighbours pose 0 (`cyclic`); pose columns azimuth_sin, azimuth_cos. Any
subset of objects and poses loads; `max_objects` keeps the first N objects.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from ciper.folders import IMAGE_SUFFIXES, DataError, need_dir, read_images
from ciper.imageset import ImageSet

COIL_PATTERN = r"obj(?P<object>\d+)__(?P<angle>\d+(?:\.\d+)?)\.png"
REQUIRED_GROUPS = ("object", "angle")
MILLI = 1000  # angles are compared in thousandths of a degree
POSE_NAMES = ["azimuth_sin", "azimuth_cos"]


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot name turntable files (None if it can)."""
    try:
        groups = re.compile(pattern).groupindex
    except re.error as e:
        return f"file_pattern={pattern!r} is not a regular expression ({e})"
    lacking = [g for g in REQUIRED_GROUPS if g not in groups]
    if lacking:
        return (
            f"file_pattern={pattern!r} lacks the named group(s) {', '.join(lacking)}; "
            f"write them as (?P<object>...) and (?P<angle>...)"
        )
    return None


@dataclass(frozen=True)
class Turntable:
    """What the file names say, before any pixel is read."""

    root: Path
    files: list[Path]
    objects: list[str]  # per file: the object's name
    sessions: list[str]  # per file: the session's name ("" without a session group)
    angles: list[int]  # per file: azimuth in thousandths of a degree, in [0, 360000)


def layout(pattern: str) -> str:
    return f"image files under <data_dir> whose paths match file_pattern={pattern!r} (groups object and angle)"


def _order(names) -> list[str]:
    """Distinct names in numeric order where all are numbers, else in text order."""
    names = set(names)
    return sorted(names, key=int) if all(n.isdigit() for n in names) else sorted(names)


def _image_names(root: Path):
    """Paths of the image files under root, relative to it, with / between folders (os.walk
    reads the entries' types from the directory: no stat, no Path, per file)."""
    for folder, _, names in os.walk(root, followlinks=True):
        sub = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in names:
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                yield name if sub == "." else f"{sub}/{name}"


def scan(data_dir, pattern: str, max_objects: int = 0, what: str = "turntable") -> Turntable:
    """The files and their labels, from the names alone; DataError names what does not fit."""
    root = need_dir(data_dir, what, layout(pattern))
    problem = pattern_problem(pattern)
    if problem:
        raise DataError(problem)
    regex = re.compile(pattern)
    names = sorted(_image_names(root))
    if not names:
        raise DataError(
            f"{what} folder {root} has no image files ({', '.join(sorted(IMAGE_SUFFIXES))}); expected {layout(pattern)}"
        )
    files = [root / name for name in names]
    matches = [regex.fullmatch(name) for name in names]
    stray = [name for name, m in zip(names, matches) if m is None]
    if stray:
        shown = ", ".join(stray[:3]) + (f" and {len(stray) - 3} more" if len(stray) > 3 else "")
        raise DataError(
            f"{len(stray)} image file(s) in {root} do not match file_pattern={pattern!r}: {shown}; "
            f"move them out of data_dir or give a file_pattern that names them all"
        )
    objects = [m["object"] for m in matches]
    sessions = [(m.groupdict().get("session") or "") for m in matches]
    angles = []
    for f, m in zip(files, matches):
        try:
            degrees = float(m["angle"])
        except ValueError:
            degrees = math.nan
        if not math.isfinite(degrees):
            raise DataError(f"{f}: angle {m['angle']!r} is not a number of degrees; fix file_pattern's angle group")
        angles.append(round(degrees * MILLI) % (360 * MILLI))
    seen: dict = {}
    for f, key in zip(files, zip(objects, sessions, angles)):
        if key in seen:
            raise DataError(
                f"{seen[key]} and {f} are both object {key[0]} at {key[2] / MILLI:g} degrees; "
                f"keep one, or add a session group to file_pattern"
            )
        seen[key] = f
    if max_objects:
        keep = set(_order(objects)[:max_objects])
        picked = [i for i, o in enumerate(objects) if o in keep]
        files, objects, sessions, angles = ([x[i] for i in picked] for x in (files, objects, sessions, angles))
    return Turntable(root, files, objects, sessions, angles)


def load(data_dir, size: int, pattern: str, max_objects: int = 0, name: str = "turntable") -> ImageSet:
    table = scan(data_dir, pattern, max_objects, name)
    step = math.gcd(360 * MILLI, *table.angles)
    object_ids = {o: i for i, o in enumerate(_order(table.objects))}
    session_ids = {s: i for i, s in enumerate(sorted(set(table.sessions)))}
    objects = torch.tensor([object_ids[o] for o in table.objects])
    sessions = torch.tensor([session_ids[s] for s in table.sessions])
    radians = torch.deg2rad(torch.tensor(table.angles, dtype=torch.float64) / MILLI)
    return ImageSet(
        images=read_images(table.files, size),
        objects=objects,
        sessions=sessions if len(session_ids) > 1 else None,
        poses=torch.stack([radians.sin(), radians.cos()], 1).float(),
        pose_names=list(POSE_NAMES),
        sequences=objects * len(session_ids) + sessions,
        frame_index=torch.tensor(table.angles) // step,
        name=name,
        cyclic=True,
        period=360 * MILLI // step,
    )
