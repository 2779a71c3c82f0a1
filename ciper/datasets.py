"""The dataset registry: a config's `dataset` name -> its loader and its layout check.

Loaders build an `ImageSet` (ciper/imageset.py); this module is the only place
that knows them all, so adding a dataset is one entry here (see README,
"Extending"). A layout check reads no images: studies run it before Ray starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ciper.config import Config
from ciper.imageset import ImageSet


@dataclass(frozen=True)
class DatasetEntry:
    load: Callable[[Config], ImageSet]
    check: Callable[[Config], None]  # raises ConfigError (one line) if the data is not usable


def _world_params(cfg: Config) -> dict:
    return dict(
        objects=cfg.world_objects,
        sessions=cfg.world_sessions,
        frames=cfg.world_frames,
        size=cfg.image_size,
        seed=cfg.world_seed,
    )


def _world(cfg: Config) -> ImageSet:
    """The 3D world, generated once per machine and cached (ciper/worldcache.py)."""
    from ciper import flatworld, rotations, world
    from ciper.worldcache import cached_world

    return cached_world("world", world.generate_world, _world_params(cfg), code=[world, rotations, flatworld])


def _flatworld(cfg: Config) -> ImageSet:
    """The flat (2D) world of the first round, cached the same way."""
    from ciper import flatworld
    from ciper.worldcache import cached_world

    return cached_world("flatworld", flatworld.generate_world, _world_params(cfg), code=[flatworld])


def _folder(loader_name: str, check_name: str) -> DatasetEntry:
    def load(cfg: Config) -> ImageSet:
        from ciper import folders

        return getattr(folders, loader_name)(cfg.data_dir, cfg.image_size)

    def check(cfg: Config) -> None:
        from ciper import folders

        getattr(folders, check_name)(cfg.data_dir)

    return DatasetEntry(load, check)


def _labelled(columns_of: Callable) -> DatasetEntry:
    """A labels.csv + images/ folder; columns_of(cfg) says which columns mean what."""

    def load(cfg: Config) -> ImageSet:
        from ciper import labelled

        return labelled.load_labelled(cfg.data_dir, cfg.image_size, columns_of(cfg), cfg.dataset)

    def check(cfg: Config) -> None:
        from ciper import labelled

        labelled.check_labelled(cfg.data_dir, columns_of(cfg), cfg.dataset)

    return DatasetEntry(load, check)


def _user_columns(cfg: Config):
    from ciper.labelled import Columns

    return Columns(label="label", poses=tuple(cfg.view_columns))


def _tdw_columns(cfg: Config):
    from ciper.labelled import TDW

    return TDW


def _nothing_to_check(cfg: Config) -> None:
    return None


REGISTRY: dict[str, DatasetEntry] = {
    "world": DatasetEntry(_world, _nothing_to_check),
    "flatworld": DatasetEntry(_flatworld, _nothing_to_check),
    "cifar10": _folder("load_cifar10", "check_cifar10"),
    "core50": _folder("load_core50", "check_core50"),
    "tdw": _labelled(_tdw_columns),
    "folder": _labelled(_user_columns),
}


def load_dataset(cfg: Config) -> ImageSet:
    """The dataset a config names, as an ImageSet (errors name the path and the layout)."""
    return REGISTRY[cfg.dataset].load(cfg)


def check_dataset(cfg: Config) -> None:
    """Raise ConfigError if the config's dataset folder is missing or malformed (reads no images)."""
    REGISTRY[cfg.dataset].check(cfg)
