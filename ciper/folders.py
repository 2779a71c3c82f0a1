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
    """uint8 [3, size, size] (see read_images)."""
    return resize(decode(path)[None], size)[0]


def decode(path: Path) -> torch.Tensor:
    """uint8 [3, H, W]: torchvision's decoder (PNG, JPEG, WebP, GIF), else Pillow's (BMP, TIFF, PPM, ...)."""
    from torchvision.io import ImageReadMode, decode_image

    try:
        return decode_image(str(path), mode=ImageReadMode.RGB)
    except Exception:
        return _read_with_pillow(path)


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 [N, 3, H, W] -> [N, 3, size, size], bilinear with antialiasing (a batch at a time:
    one image at a time is far slower)."""
    if images.shape[-2:] == (size, size):
        return images
    return (
        F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        .round()
        .clamp(0, 255)
        .to(torch.uint8)
    )


def _read_with_pillow(path: Path) -> torch.Tensor:
    import numpy as np
    from PIL import Image

    try:
        with Image.open(path) as im:
            return torch.from_numpy(np.array(im.convert("RGB"))).permute(2, 0, 1).contiguous()
    except Exception as e:
        raise DataError(f"cannot read image {path} ({type(e).__name__}); expected an image file") from e


def read_images(paths: list[Path], size: int, batch: int = 256) -> torch.Tensor:
    """uint8 [N, 3, size, size], resized in batches of images of one shape; every file that
    cannot be decoded is named in one DataError."""
    out = torch.empty(len(paths), 3, size, size, dtype=torch.uint8)
    pending: dict[tuple, list] = {}  # shape -> [(row, image)] waiting for a batch
    bad = []

    def flush(shape):
        rows, imgs = zip(*pending.pop(shape))
        out[list(rows)] = resize(torch.stack(imgs), size)

    for row, path in enumerate(paths):
        try:
            img = decode(path)
        except DataError:
            bad.append(path)
            continue
        pending.setdefault(tuple(img.shape), []).append((row, img))
        if len(pending[tuple(img.shape)]) >= batch:
            flush(tuple(img.shape))
    if bad:
        shown = ", ".join(str(b) for b in bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise DataError(
            f"{len(bad)} image file(s) cannot be decoded: {shown}; replace or remove them (PNG, JPEG or another "
            f"format Pillow reads)"
        )
    for shape in list(pending):
        flush(shape)
    return out


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
        images = torch.cat([resize(images[i : i + 1024], size) for i in range(0, len(images), 1024)])
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


def scan_core50(data_dir) -> tuple[Path, list[tuple[Path, int, int, int]]]:
    """(root, [(file, object, session, sequence)]) in frame order, reading no pixels."""
    root, sessions = check_core50(data_dir)
    rows = []
    sequence = 0
    for s_dir in sessions:
        for o_dir in sorted(
            (p for p in s_dir.iterdir() if p.is_dir() and re.fullmatch(r"o\d+", p.name)), key=lambda p: int(p.name[1:])
        ):
            files = sorted(p for p in o_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            rows += [(f, int(o_dir.name[1:]) - 1, int(s_dir.name[1:]) - 1, sequence) for f in files]
            sequence += bool(files)
    if not rows:
        raise DataError(
            f"core50 folder {root} has session folders but no o<N>/ image folders in them; expected {CORE50_LAYOUT}"
        )
    return root, rows


def load_core50(data_dir, size: int = 32) -> ImageSet:
    _, rows = scan_core50(data_dir)
    files, obj, ses, seq = zip(*rows)
    seq = torch.tensor(seq)
    starts = torch.searchsorted(seq, seq)  # sequences are contiguous runs of rows
    frame = torch.arange(len(seq)) - starts
    length = torch.bincount(seq)[seq]
    return ImageSet(
        images=read_images(list(files), size),
        objects=torch.tensor(obj),
        sessions=torch.tensor(ses),
        poses=(2 * frame.double() / (length - 1).clamp(min=1) - 1)[:, None].float(),
        pose_names=["time"],
        sequences=seq,
        frame_index=frame,
        name="core50",
    )


def core50_category(objects: torch.Tensor) -> torch.Tensor:
    """CORe50's 10 categories of 5 objects each."""
    return objects // 5
