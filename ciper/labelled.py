"""Any labelled image folder: a table of labels beside a folder of images.

    <data_dir>/labels.csv    columns: file, <label column>; optional session, sequence,
                             frame, and the numeric pose columns the config names
    <data_dir>/images/       the files the table names (PNG or JPEG, any size)

`dataset=folder` reads a `label` column and the pose columns in `pose_columns`
(`pose_columns=azimuth:deg,elevation`: a column marked `:deg` is an angle in
degrees and becomes <name>_sin, <name>_cos; the others are min-max scaled to
[-1, 1]). `dataset=tdw` is the same reader with TDW's names: label column
`object`, pose columns `azimuth:deg, elevation, distance`.

Sessions, sequences and frames: `session` names a recording condition; frames of
one `sequence` (default: one per label and session) in `frame` order (default:
row order) are time-augmented pairs. Without pose columns (video frames) a time
pair has no pose change to predict: time_pair_target=frame_gap or none says what
the prediction head learns instead (ciper/config.py). Every row is checked before anything is
trained: a missing column, a non-numeric value or a missing image is one line
naming the row and the fix.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from ciper.folders import DataError, need_dir, read_images
from ciper.imageset import ImageSet


@dataclass(frozen=True)
class Columns:
    """Which columns of labels.csv mean what."""

    label: str = "label"
    poses: tuple[str, ...] = ()  # numeric pose columns; "name:deg" marks an angle in degrees

    @property
    def pose_columns(self) -> list[str]:
        return [c.removesuffix(":deg") for c in self.poses]

    def layout(self) -> str:
        cols = ", ".join(["file", self.label, *self.pose_columns])
        return (
            f"<data_dir>/labels.csv with columns {cols} (optional: session, sequence, frame) "
            f"and the images under <data_dir>/images/"
        )


TDW = Columns(label="object", poses=("azimuth:deg", "elevation", "distance"))


def _number(table: Path, row: dict, col: str, line: int) -> float:
    try:
        value = float(row[col])
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise DataError(f"{table} row {line}: {col}={row[col]!r} is not a number; every {col} must be numeric")
    return value


def check_labelled(data_dir, columns: Columns, what: str) -> tuple[Path, Path, list[dict]]:
    """Read and check the whole table (not the images' pixels); returns (root, table, rows)."""
    layout = columns.layout()
    root = need_dir(data_dir, what, layout)
    table = root / "labels.csv"
    if not table.is_file():
        raise DataError(f"{what} folder {root} has no labels.csv; expected {layout}")
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise DataError(f"{table} has no rows; expected {layout}")
    missing = [c for c in ["file", columns.label, *columns.pose_columns] if c not in rows[0]]
    if missing:
        raise DataError(f"{table} lacks column(s) {', '.join(missing)}; expected {layout}")
    numeric = [*columns.pose_columns, *(["frame"] if "frame" in rows[0] else [])]
    for line, row in enumerate(rows, start=2):
        if not (row.get(columns.label) or "").strip():
            raise DataError(f"{table} row {line}: {columns.label} is empty; give every image a label")
        for col in numeric:
            _number(table, row, col, line)
        if not (root / "images" / (row["file"] or "")).is_file():
            raise DataError(
                f"{table} row {line} names {root / 'images' / row['file']}, which does not exist; "
                f"put the image there or drop the row"
            )
    classes = {row[columns.label] for row in rows}
    if len(classes) < 2:
        raise DataError(
            f"{table}: every row has {columns.label} {classes.pop()!r}, one class; object probes "
            f"(object_acc, knn_acc) need at least two classes: add images with another {columns.label}"
        )
    return root, table, rows


def labelled_files(data_dir, columns: Columns, what: str) -> tuple[Path, list[Path]]:
    """(root, every file the loader reads: labels.csv and the images it names)."""
    root, table, rows = check_labelled(data_dir, columns, what)
    return root, [table, *(root / "images" / r["file"] for r in rows)]


def load_labelled(data_dir, size: int, columns: Columns, name: str) -> ImageSet:
    root, table, rows = check_labelled(data_dir, columns, name)
    labels = {v: i for i, v in enumerate(sorted({r[columns.label] for r in rows}))}
    sessions = {v: i for i, v in enumerate(sorted({r.get("session") or "" for r in rows}))}
    images = read_images([root / "images" / r["file"] for r in rows], size)
    poses, names = [], []
    for col in columns.poses:
        base = col.removesuffix(":deg")
        v = torch.tensor([_number(table, r, base, i + 2) for i, r in enumerate(rows)])
        if col.endswith(":deg"):
            poses += [torch.sin(torch.deg2rad(v)), torch.cos(torch.deg2rad(v))]
            names += [f"{base}_sin", f"{base}_cos"]
        else:
            poses.append(2 * (v - v.min()) / (v.max() - v.min()) - 1 if v.max() > v.min() else torch.zeros_like(v))
            names.append(base)
    keys = (
        [r["sequence"] for r in rows]
        if "sequence" in rows[0]
        else [(r[columns.label], r.get("session") or "") for r in rows]
    )
    seq_id = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    if "frame" in rows[0]:
        frames = [int(_number(table, r, "frame", i + 2)) for i, r in enumerate(rows)]
    else:  # row order within each sequence
        seen: dict = {}
        frames = []
        for k in keys:
            frames.append(seen.get(k, 0))
            seen[k] = frames[-1] + 1
    return ImageSet(
        images=images,
        objects=torch.tensor([labels[r[columns.label]] for r in rows]),
        sessions=torch.tensor([sessions[r.get("session") or ""] for r in rows]) if len(sessions) > 1 else None,
        poses=torch.stack(poses, 1) if poses else None,
        pose_names=names,
        sequences=torch.tensor([seq_id[k] for k in keys]),
        frame_index=torch.tensor(frames),
        name=name,
    )
