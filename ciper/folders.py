"""Real datasets from local folders: CIFAR10 and CORe50-style (labelled folders: ciper/labelled.py).

Nothing is downloaded here. A missing or malformed folder raises `DataError`,
one line naming the path and the layout that was expected.

CIFAR10   <data_dir>/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
          (torchvision's format; get it once with
          torchvision.datasets.CIFAR10(<data_dir>, download=True))
CORe50    <data_dir>/s<session>/o<object>/<frames>.png|jpg, sessions s1..s11, objects o1..o50;
          labels: object (o1..o50 -> 0..49), category ((object-1) // 5), session;
          a folder is a sequence, frames in file-name order; its one pose
          parameter is the frame's time in the sequence (-1 .. 1)
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn.functional as F

from ciper.config import ConfigError
from ciper.imageset import ImageSet

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


class DataError(ConfigError):
    """A dataset folder that is missing or not in the expected layout."""


def read_image(path: Path, size: int) -> torch.Tensor:
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


def need_dir(path, what: str, layout: str) -> Path:
    """The dataset folder, or a DataError saying why it cannot be one."""
    if path is None:
        raise DataError(f"{what} needs data_dir=<folder>; expected {layout}")
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise DataError(f"{what} data_dir {p} is a file, not a folder; point data_dir at the folder holding {layout}")
    if not p.is_dir():
        raise DataError(f"{what} folder {p} does not exist; expected {layout}")
    return p


# ---- CIFAR10 -------------------------------------------------------------
CIFAR_LAYOUT = "<data_dir>/cifar-10-batches-py/ with data_batch_1..5, test_batch, batches.meta"


def check_cifar10(data_dir) -> Path:
    from torchvision.datasets import CIFAR10

    root = need_dir(data_dir, "cifar10", CIFAR_LAYOUT)
    folder = root / CIFAR10.base_folder
    expected = [name for name, _ in CIFAR10.train_list + CIFAR10.test_list] + [CIFAR10.meta["filename"]]
    missing = [n for n in expected if not (folder / n).is_file()]
    if missing:
        raise DataError(f"cifar10 folder {root} lacks {', '.join(missing)}; expected {CIFAR_LAYOUT}")
    _check_cifar_batch(folder / CIFAR10.test_list[0][0])
    return root


def _check_cifar_batch(path: Path) -> None:
    """Read one batch as torchvision will (text keys 'data' and 'labels', data [N, 3072] uint8),
    so that a folder in another format fails here, before any trial starts."""
    import pickle

    import numpy as np

    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
    except Exception as e:
        raise DataError(
            f"cifar10 file {path} cannot be read ({type(e).__name__}); expected {CIFAR_LAYOUT} "
            f"in torchvision's pickle format"
        ) from e
    keys = list(batch) if isinstance(batch, dict) else []
    data = batch.get("data") if isinstance(batch, dict) else None
    labels = batch.get("labels", batch.get("fine_labels")) if isinstance(batch, dict) else None
    ok = (
        isinstance(data, np.ndarray)
        and data.ndim == 2
        and data.shape[1] == 3072
        and labels is not None
        and len(labels) == len(data)
    )
    if not ok:
        raise DataError(
            f"cifar10 file {path} is not in torchvision's format (keys {keys[:4]!r}; expected text keys "
            f"'data' [N, 3072] uint8 and 'labels'); re-export it with "
            f"torchvision.datasets.CIFAR10(<data_dir>, download=True)"
        )


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
    root = need_dir(data_dir, "core50", CORE50_LAYOUT)
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
                images.append(read_image(f, size))
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
