"""Class folders, as torchvision's ImageFolder reads them.

    <data_dir>/<class>/<image>                 one folder of images per class (any depth below it)
    <data_dir>/train/<class>/<image> and       an official split: split=auto trains on train/
    <data_dir>/test/<class>/<image>            and tests on test/

Classes are the folder names in sorted order (`max_objects` keeps the first N),
images the files with an image extension (torchvision.datasets.folder.IMG_EXTENSIONS;
other files are ignored, as ImageFolder ignores them). There are no sequences
and no poses: pairs are synthetic, and a folder without train/ and test/ is split
at random. A class folder without images, a test class with no training folder
or an image that cannot be decoded is named in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ciper.folders import DataError, need_dir, read_images
from ciper.imageset import ImageSet

LAYOUT = "<data_dir>/<class>/<image>, or <data_dir>/train/<class>/<image> and <data_dir>/test/<class>/<image>"


@dataclass(frozen=True)
class Listing:
    root: Path
    classes: list[str]
    files: list[Path]
    labels: list[int]
    is_test: list[bool] | None  # None: no official split


def _class_files(folder: Path, what: str) -> dict[str, list[Path]]:
    """{class: its image files} under `folder`, every class with at least one image."""
    from torchvision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset

    try:
        classes, class_to_idx = find_classes(folder)
    except FileNotFoundError:
        raise DataError(f"{what} folder {folder} has no class sub-folders; expected {LAYOUT}") from None
    found: dict[str, list[Path]] = {c: [] for c in classes}
    for path, index in make_dataset(folder, class_to_idx, extensions=IMG_EXTENSIONS, allow_empty=True):
        found[classes[index]].append(Path(path))
    empty = [c for c, files in found.items() if not files]
    if empty:
        shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
        raise DataError(
            f"{what} folder {folder} has {len(empty)} class folder(s) without images ({shown}); "
            f"add images ({', '.join(IMG_EXTENSIONS)}) or remove the folder(s)"
        )
    return found


def scan(data_dir, max_objects: int = 0, what: str = "imagefolder") -> Listing:
    """The files and their classes, reading no pixels."""
    root = need_dir(data_dir, what, LAYOUT)
    if (root / "train").is_dir() and (root / "test").is_dir():
        parts = {"train": _class_files(root / "train", what), "test": _class_files(root / "test", what)}
        unseen = sorted(set(parts["test"]) - set(parts["train"]))
        if unseen:
            raise DataError(
                f"{what} folder {root / 'test'} has class(es) {', '.join(unseen[:5])} that {root / 'train'} lacks; "
                f"a probe cannot learn a class it never sees: give them training images or remove them"
            )
    else:
        parts = {"all": _class_files(root, what)}
    classes = sorted(parts.get("train", parts.get("all")))
    if max_objects:
        classes = classes[:max_objects]
    index = {c: i for i, c in enumerate(classes)}
    files, labels, is_test = [], [], []
    for part, found in parts.items():
        for c in classes:
            files += found.get(c, [])
            labels += [index[c]] * len(found.get(c, []))
            is_test += [part == "test"] * len(found.get(c, []))
    return Listing(root, classes, files, labels, is_test if "test" in parts else None)


def load(data_dir, size: int, max_objects: int = 0, name: str = "imagefolder") -> ImageSet:
    listing = scan(data_dir, max_objects, name)
    return ImageSet(
        images=read_images(listing.files, size),
        objects=torch.tensor(listing.labels),
        is_test=None if listing.is_test is None else torch.tensor(listing.is_test),
        name=name,
    )
