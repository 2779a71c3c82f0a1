"""The dataset registry: a config's `dataset` name -> its loader and its check.

Loaders build an `ImageSet` (ciper/imageset.py); this module is the only place
that knows them all, so adding a dataset is one entry here and its name in
`ciper.choices.DATASETS` (the module refuses to import when the two differ; see
README, "Extending"). Every folder dataset is decoded once per machine into the cache
(ciper/worldcache.py) and read back from it after; its check, which studies run
before Ray starts, is that load: a missing folder, a malformed layout or an
image that cannot be decoded fails there, in one line, before any trial.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ciper.config import DATASETS, Config, fields_in
from ciper.imageset import ImageSet


@dataclass(frozen=True)
class DatasetEntry:
    load: Callable[[Config], ImageSet]
    check: Callable[[Config], None]  # raises ConfigError (one line) if the data is not usable


def _world_params(cfg: Config) -> dict:
    """The built-in worlds' parameters: the data fields that name one (their `world` metadata)."""
    return {f.metadata["world"]: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if "world" in f.metadata}


def _world(cfg: Config) -> ImageSet:
    """The 3D world, generated once per machine and cached (ciper/worldcache.py)."""
    from ciper import drawing, raycast, rotations, world
    from ciper.worldcache import cached_world

    code = [world, rotations, drawing, raycast]
    return cached_world("world", world.generate_world, _world_params(cfg), code=code)


def _flatworld(cfg: Config) -> ImageSet:
    """The flat (2D) world of the first round, cached the same way."""
    from ciper import drawing, flatworld, kernels
    from ciper.worldcache import cached_world

    return cached_world("flatworld", flatworld.generate_world, _world_params(cfg), code=[flatworld, drawing, kernels])


# the config fields a folder dataset's contents depend on, beside its files: every data field
# but the folder's path (its resolved root is in the key), the built-in worlds' own and
# image_colour (load_dataset applies it to what the cache holds)
FOLDER_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(Config)
    if f.name in fields_in("data")
    and f.name not in ("data_dir", "image_colour")
    and not f.metadata.get("built_in_only")
)


def _cached_folder(files_of: Callable, build: Callable, code: Callable) -> DatasetEntry:
    """A folder dataset, decoded once per machine: files_of(cfg) -> (root, every file the loader
    reads), checking the layout without reading pixels; build(cfg) decodes; code() -> the modules
    whose source the decoded data depends on."""

    def load(cfg: Config) -> ImageSet:
        from ciper import folders, imageset
        from ciper.worldcache import cached_folder

        root, files = files_of(cfg)
        params = {k: getattr(cfg, k) for k in FOLDER_FIELDS} | {"root": str(Path(root).resolve())}
        return cached_folder(cfg.dataset, lambda: build(cfg), params, root, files, [*code(), folders, imageset])

    def check(cfg: Config) -> None:
        load(cfg)

    return DatasetEntry(load, check)


def _cifar10() -> DatasetEntry:
    def files_of(cfg: Config):
        from torchvision.datasets import CIFAR10

        from ciper.folders import check_cifar10

        root = check_cifar10(cfg.data_dir)
        names = [name for name, _ in CIFAR10.train_list + CIFAR10.test_list] + [CIFAR10.meta["filename"]]
        return root, [root / CIFAR10.base_folder / n for n in names]

    def build(cfg: Config) -> ImageSet:
        from ciper.folders import load_cifar10

        return load_cifar10(cfg.data_dir, cfg.image_size)

    return _cached_folder(files_of, build, lambda: [])


def _core50() -> DatasetEntry:
    def files_of(cfg: Config):
        from ciper.folders import scan_core50

        root, rows = scan_core50(cfg.data_dir)
        return root, [row[0] for row in rows]

    def build(cfg: Config) -> ImageSet:
        from ciper.folders import load_core50

        return load_core50(cfg.data_dir, cfg.image_size)

    return _cached_folder(files_of, build, lambda: [])


def _labelled(columns_of: Callable) -> DatasetEntry:
    """A labels.csv + images/ folder; columns_of(cfg) says which columns mean what."""

    def files_of(cfg: Config):
        from ciper import labelled

        return labelled.labelled_files(cfg.data_dir, columns_of(cfg), cfg.dataset)

    def build(cfg: Config) -> ImageSet:
        from ciper import labelled

        return labelled.load_labelled(cfg.data_dir, cfg.image_size, columns_of(cfg), cfg.dataset)

    return _cached_folder(files_of, build, _modules("labelled"))


def _user_columns(cfg: Config):
    from ciper.labelled import Columns

    return Columns(label="label", poses=tuple(cfg.pose_columns))


def _tdw_columns(cfg: Config):
    from ciper.labelled import TDW

    return TDW


def _pattern(cfg: Config) -> str:
    from ciper.turntable import COIL_PATTERN

    return cfg.file_pattern or COIL_PATTERN


def _turntable() -> DatasetEntry:
    def files_of(cfg: Config):
        from ciper import turntable

        table = turntable.scan(cfg.data_dir, _pattern(cfg), cfg.max_objects, cfg.dataset)
        return table.root, table.files

    def build(cfg: Config) -> ImageSet:
        from ciper import turntable

        return turntable.load(cfg.data_dir, cfg.image_size, _pattern(cfg), cfg.max_objects, cfg.dataset)

    return _cached_folder(files_of, build, _modules("turntable"))


def _imagefolder() -> DatasetEntry:
    def files_of(cfg: Config):
        from ciper import imagefolder

        listing = imagefolder.scan(cfg.data_dir, cfg.max_objects, cfg.dataset)
        return listing.root, listing.files

    def build(cfg: Config) -> ImageSet:
        from ciper import imagefolder

        return imagefolder.load(cfg.data_dir, cfg.image_size, cfg.max_objects, cfg.dataset)

    return _cached_folder(files_of, build, _modules("imagefolder"))


def _modules(name: str) -> Callable:
    def code():
        import importlib

        return [importlib.import_module(f"ciper.{name}")]

    return code


def _nothing_to_check(cfg: Config) -> None:
    return None


REGISTRY: dict[str, DatasetEntry] = {
    "world": DatasetEntry(_world, _nothing_to_check),
    "flatworld": DatasetEntry(_flatworld, _nothing_to_check),
    "cifar10": _cifar10(),
    "core50": _core50(),
    "tdw": _labelled(_tdw_columns),
    "folder": _labelled(_user_columns),
    "coil100": _turntable(),
    "turntable": _turntable(),
    "imagefolder": _imagefolder(),
}


if set(REGISTRY) != set(DATASETS):
    raise ImportError(
        f"datasets {', '.join(sorted(set(REGISTRY) ^ set(DATASETS)))} are in one of choices.DATASETS and "
        f"datasets.REGISTRY only; name each in both"
    )


def load_dataset(cfg: Config) -> ImageSet:
    """The dataset a config names, as an ImageSet (errors name the path and the layout), in the
    config's image_colour."""
    data = REGISTRY[cfg.dataset].load(cfg)
    return data.in_grey() if cfg.image_colour == "grey" else data


def check_dataset(cfg: Config) -> None:
    """Raise ConfigError if the config's dataset folder is missing or malformed, or an image in it
    cannot be decoded (a folder dataset is decoded into the cache here, once per machine)."""
    REGISTRY[cfg.dataset].check(cfg)
