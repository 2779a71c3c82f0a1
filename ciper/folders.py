"""Real datasets from local folders: CIFAR10, CORe50-style and TDW-style.

Nothing is downloaded here. A missing or malformed folder raises `DataError`,
one line naming the path and the layout that was expected.

CIFAR10   <data_dir>/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
          (torchvision's format; get it once with
          torchvision.datasets.CIFAR10(<data_dir>, download=True))
CORe50    <data_dir>/s<session>/o<object>/<frames>.png|jpg, sessions s1..s11, objects o1..o50;
          labels: object (o1..o50 -> 0..49), category ((object-1) // 5), session;
          a folder is a sequence, frames in file-name order; its one pose
          parameter is the frame's time in the sequence (-1 .. 1)
TDW       <data_dir>/labels.csv with columns file, object, azimuth, elevation, distance
          (optional: session, sequence, frame) and the images under <data_dir>/images/;
          azimuth (degrees) becomes az_sin, az_cos; elevation and distance are min-max
          scaled to [-1, 1]
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import torch
import torch.nn.functional as F

from ciper.config import ConfigError
from ciper.imageset import ImageSet

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


class DataError(ConfigError):
    """A dataset folder that is missing or not in the expected layout."""


def _read_image(path: Path, size: int) -> torch.Tensor:
    from torchvision.io import ImageReadMode, decode_image

    try:
        img = decode_image(str(path), mode=ImageReadMode.RGB)
    except Exception as e:
        raise DataError(f"cannot read image {path} ({type(e).__name__}); expected a PNG or JPEG file") from e
    if img.shape[-2:] != (size, size):
        img = (
            F.interpolate(img[None].float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]
            .round()
            .clamp(0, 255)
            .to(torch.uint8)
        )
    return img


def _need_dir(path, what: str, layout: str) -> Path:
    if path is None:
        raise DataError(f"{what} needs data_dir=<folder>; expected {layout}")
    p = Path(path)
    if not p.is_dir():
        raise DataError(f"{what} folder {p} does not exist; expected {layout}")
    return p


# ---- CIFAR10 -------------------------------------------------------------
CIFAR_LAYOUT = "<data_dir>/cifar-10-batches-py/ with data_batch_1..5, test_batch, batches.meta"


def check_cifar10(data_dir) -> Path:
    from torchvision.datasets import CIFAR10

    root = _need_dir(data_dir, "cifar10", CIFAR_LAYOUT)
    folder = root / CIFAR10.base_folder
    expected = [name for name, _ in CIFAR10.train_list + CIFAR10.test_list] + [CIFAR10.meta["filename"]]
    missing = [n for n in expected if not (folder / n).is_file()]
    if missing:
        raise DataError(f"cifar10 folder {root} lacks {', '.join(missing)}; expected {CIFAR_LAYOUT}")
    return root


def load_cifar10(data_dir, size: int = 32) -> ImageSet:
    from torchvision.datasets import CIFAR10

    root = check_cifar10(data_dir)
    folder = root / CIFAR10.base_folder

    class LocalCIFAR10(CIFAR10):
        # The files' presence is checked above; md5 is skipped so that re-packed
        # or reduced copies in the same format load too. torchvision parses them.
        def _check_integrity(self) -> bool:
            return True

        def _load_meta(self) -> None:
            import pickle

            with open(folder / self.meta["filename"], "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    parts = []
    for train in (True, False):
        try:
            ds = LocalCIFAR10(str(root), train=train, download=False)
        except Exception as e:
            raise DataError(
                f"cifar10 files in {folder} are not in torchvision's format "
                f"({type(e).__name__}: {e}); expected {CIFAR_LAYOUT}"
            ) from e
        images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
        if size != images.shape[-1]:
            images = (
                F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
                .round()
                .clamp(0, 255)
                .to(torch.uint8)
            )
        parts.append((images, torch.tensor(ds.targets), torch.full((len(images),), not train)))
    images, labels, is_test = (torch.cat(t) for t in zip(*parts))
    return ImageSet(images=images, objects=labels, is_test=is_test, name="cifar10")


# ---- CORe50 --------------------------------------------------------------
CORE50_LAYOUT = "<data_dir>/s1..s11/o1..o50/<frames>.png|jpg"


def check_core50(data_dir) -> tuple[Path, list[Path]]:
    root = _need_dir(data_dir, "core50", CORE50_LAYOUT)
    sessions = sorted(
        (p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"s\d+", p.name)), key=lambda p: int(p.name[1:])
    )
    if not sessions:
        raise DataError(f"core50 folder {root} has no session folders s1..s11; expected {CORE50_LAYOUT}")
    return root, sessions


def load_core50(data_dir, size: int = 32) -> ImageSet:
    root, sessions = check_core50(data_dir)
    images, obj, ses, seq, frame, t = [], [], [], [], [], []
    for s_dir in sessions:
        for o_dir in sorted(
            (p for p in s_dir.iterdir() if p.is_dir() and re.fullmatch(r"o\d+", p.name)), key=lambda p: int(p.name[1:])
        ):
            files = sorted(p for p in o_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                continue
            seq_id = len(set(seq)) if seq else 0
            for i, f in enumerate(files):
                images.append(_read_image(f, size))
                obj.append(int(o_dir.name[1:]) - 1)
                ses.append(int(s_dir.name[1:]) - 1)
                seq.append(seq_id)
                frame.append(i)
                t.append(2 * i / max(1, len(files) - 1) - 1)
    if not images:
        raise DataError(
            f"core50 folder {root} has session folders but no o<N>/ image folders in them; expected {CORE50_LAYOUT}"
        )
    return ImageSet(
        images=torch.stack(images),
        objects=torch.tensor(obj),
        sessions=torch.tensor(ses),
        poses=torch.tensor(t)[:, None],
        pose_names=["time"],
        sequences=torch.tensor(seq),
        frames=torch.tensor(frame),
        name="core50",
    )


def core50_category(objects: torch.Tensor) -> torch.Tensor:
    """CORe50's 10 categories of 5 objects each."""
    return objects // 5


# ---- TDW -----------------------------------------------------------------
TDW_COLUMNS = ("file", "object", "azimuth", "elevation", "distance")
TDW_LAYOUT = (
    f"<data_dir>/labels.csv with columns {', '.join(TDW_COLUMNS)} (optional session, sequence, "
    f"frame) and images under <data_dir>/images/"
)


def check_tdw(data_dir) -> tuple[Path, Path, list[dict]]:
    root = _need_dir(data_dir, "tdw", TDW_LAYOUT)
    table = root / "labels.csv"
    if not table.is_file():
        raise DataError(f"tdw folder {root} has no labels.csv; expected {TDW_LAYOUT}")
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise DataError(f"{table} has no rows; expected {TDW_LAYOUT}")
    missing = [c for c in TDW_COLUMNS if c not in rows[0]]
    if missing:
        raise DataError(f"{table} lacks column(s) {', '.join(missing)}; expected {TDW_LAYOUT}")
    return root, table, rows


def load_tdw(data_dir, size: int = 64) -> ImageSet:
    root, table, rows = check_tdw(data_dir)

    def number(row, col, i):
        try:
            return float(row[col])
        except (TypeError, ValueError):
            raise DataError(f"{table} row {i + 2}: {col}={row[col]!r} is not a number") from None

    names = sorted({r["object"] for r in rows})
    object_id = {n: i for i, n in enumerate(names)}
    session_names = sorted({r.get("session", "") or "" for r in rows})
    session_id = {n: i for i, n in enumerate(session_names)}
    images, raw = [], []
    for i, r in enumerate(rows):
        path = root / "images" / r["file"]
        if not path.is_file():
            raise DataError(f"{table} row {i + 2} names {path}, which does not exist; expected {TDW_LAYOUT}")
        images.append(_read_image(path, size))
        raw.append([number(r, c, i) for c in ("azimuth", "elevation", "distance")])
    raw = torch.tensor(raw)
    az = torch.deg2rad(raw[:, 0])
    scale = lambda v: (2 * (v - v.min()) / (v.max() - v.min()) - 1) if v.max() > v.min() else torch.zeros_like(v)
    poses = torch.stack([torch.sin(az), torch.cos(az), scale(raw[:, 1]), scale(raw[:, 2])], 1)
    objects = torch.tensor([object_id[r["object"]] for r in rows])
    sessions = torch.tensor([session_id[r.get("session", "") or ""] for r in rows])
    if "sequence" in rows[0]:
        keys = [r["sequence"] for r in rows]
    else:
        keys = [(r["object"], r.get("session", "")) for r in rows]
    seq_id = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    sequences = torch.tensor([seq_id[k] for k in keys])
    if "frame" in rows[0]:
        frames = torch.tensor([int(number(r, "frame", i)) for i, r in enumerate(rows)])
    else:  # row order within each sequence
        count: dict = {}
        order = []
        for k in keys:
            order.append(count.get(k, 0))
            count[k] = order[-1] + 1
        frames = torch.tensor(order)
    return ImageSet(
        images=torch.stack(images),
        objects=objects,
        sessions=sessions if len(session_names) > 1 else None,
        poses=poses,
        pose_names=["az_sin", "az_cos", "elevation", "distance"],
        sequences=sequences,
        frames=frames,
        name="tdw",
    )
