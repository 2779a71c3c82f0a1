"""One typed config for a CIPER run: its fields, their groups and rules, and its presets.

Everything a study may vary lives here, so a trial is fully described by one
`Config` (recorded as JSON next to its results). Every field belongs to one of
GROUPS (its metadata), and the caches and comparisons that must tell fields
apart read the groups (`fields_in`), so a new field cannot be left out of them.
Validation (ciper/validation.py) runs before any data is built or any Ray worker
starts, and reports every problem as one line that says what is wrong and what is allowed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import typing
import warnings
from dataclasses import dataclass, field

from ciper import validation
from ciper.choices import (  # noqa: F401 (the lists are read from here too)
    AUGMENTATIONS,
    BUILT_IN,
    DATASETS,
    DEVICES,
    ENCODERS,
    GROUPS,
    HEAD_INPUTS,
    HEAD_MODES,
    IMAGE_COLOURS,
    JITTER_OPS,
    MAX_WORLD_BYTES,
    MEMORY_FORMATS,
    METHODS,
    NO_SEQUENCES,
    OPTIMIZERS,
    PAIR_SOURCES,
    PRECISIONS,
    SPLITS,
    TIME_PAIR_TARGETS,
    TURNTABLES,
)
from ciper.validation import held_out_count  # noqa: F401 (ciper.data reads it from here)


def _f(default, group: str, **rules):
    """A field of `group`. rules: choices (allowed values), low and high (bounds: beyond high would
    not fit a machine's memory), ok + must (a test of the value and what it must be); world: its
    name among the built-in worlds' parameters; built_in_only: only the built-in worlds read it."""
    meta = {"group": group, **rules}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


_PROBABILITY = dict(ok=lambda v: 0 <= v <= 1, must="a probability in [0, 1]")


class ConfigError(ValueError):
    """A bad config value; the message is one line naming the problem and the fix."""


@dataclass
class Config:
    # data: the built-in 3D or 2D world, or a real dataset read from data_dir (README, "Real datasets")
    dataset: str = _f("world", "data", choices=DATASETS)
    data_dir: str | None = _f(None, "data")  # folder of a real dataset; unused for the built-in worlds
    pose_columns: list[str] = _f([], "data")  # dataset=folder: pose columns (name:deg = angle)
    # dataset=turntable: a regex every image path under data_dir matches, with named groups object and
    # angle (degrees); dataset=coil100: COIL-100's obj<K>__<A>.png when empty
    file_pattern: str = _f("", "data")
    # coil100 | turntable | imagefolder: only the first N objects (classes); 0 = all
    max_objects: int = _f(0, "data", ok=lambda v: v == 0 or v >= 2, must="0 (all) or >= 2 (a probe needs two objects)")
    image_size: int = _f(32, "data", world="size", low=8, high=512)
    image_colour: str = _f("rgb", "data", choices=IMAGE_COLOURS)  # grey: luminance, so colour names nothing
    world_objects: int = _f(10, "data", world="objects", built_in_only=True, low=2, high=1000)  # object classes
    world_sessions: int = _f(10, "data", world="sessions", built_in_only=True, low=1, high=100)  # lighting/background
    world_frames: int = _f(100, "data", world="frames", built_in_only=True, low=2, high=100000)  # per sequence
    world_seed: int = _f(0, "data", world="seed", built_in_only=True, low=0)  # fixes the shapes and every frame
    # held out for evaluation (never trained on; see split and ciper/data.py)
    test_fraction: float = _f(0.2, "split", ok=lambda v: 0 < v < 1, must="between 0 and 1")
    split: str = _f("auto", "split", choices=SPLITS)
    split_blocks: int = _f(4, "split", low=1)  # split=pose_blocks: held-out blocks per sequence
    pairs: str = _f("time+synthetic", "objective", choices=PAIR_SOURCES)
    time_window: int = _f(50, "split", low=1)  # time pairs: partner frame within +-window in the sequence
    time_pair_target: str = _f("pose_change", "objective", choices=TIME_PAIR_TARGETS)
    # augmentations (the order is a study variable)
    # The default pairs two frames of a sequence (their pose change is the geometric
    # "augmentation") and adds colour/blur ops; crop and flip would move the object
    # as well, blurring the pose ground truth. CIFAR10 (paper preset) uses all five.
    aug_order: list[str] = _f(["jitter", "grayscale", "blur"], "augment")
    crop_min_scale: float = _f(0.3, "augment", ok=lambda v: 0 < v <= 1, must="in (0, 1]")  # area fraction
    flip_p: float = _f(0.5, "augment", **_PROBABILITY)
    jitter_p: float = _f(0.8, "augment", **_PROBABILITY)
    # brightness/contrast/saturation = 0.8*s, hue = 0.2*s (SimCLR)
    jitter_strength: float = _f(0.5, "augment", ok=lambda v: 0 <= v <= 1.25, must="in [0, 1.25] (hue shift <= 0.25)")
    jitter_order: list[str] = _f(list(JITTER_OPS), "augment")  # order of jitter's sub-ops
    # a new order of the sub-ops per sample (as torchvision's ColorJitter draws it), recorded and predicted
    jitter_random_order: bool = _f(False, "augment")
    grayscale_p: float = _f(0.2, "augment", **_PROBABILITY)
    blur_p: float = _f(0.5, "augment", **_PROBABILITY)
    blur_sigma_max: float = _f(1.5, "augment", ok=lambda v: v >= 0.1, must=">= 0.1")
    rotation_p: float = _f(0.5, "augment", **_PROBABILITY)
    rotation_degrees: float = _f(90.0, "augment", ok=lambda v: 0 <= v <= 180, must="in [0, 180]")
    # model
    method: str = _f("ciper", "objective", choices=METHODS)
    encoder: str = _f("small_cnn", "model", choices=ENCODERS)  # resnet18: the CIFAR variant
    width: float = _f(1.0, "model", ok=lambda v: v > 0, must="> 0")  # channel width multiplier of the encoder
    latent_dim: int = _f(64, "model", low=1, high=65536)  # size of the representation h used downstream
    proj_dim: int = _f(64, "model", low=1, high=65536)  # contrastive embedding size
    head_hidden: int = _f(256, "model", low=1, high=65536)  # hidden width of both heads
    # both | contrastive (no prediction head) | predictive (no InfoNCE)
    head_mode: str = _f("both", "objective", choices=HEAD_MODES)
    head_input: str = _f("diff", "objective", choices=HEAD_INPUTS)  # diff: h2 - h1 (the paper) | concat: [h1, h2]
    # objective: L = L_con + alpha * L_pred
    alpha: float = _f(
        1.0, "objective", ok=lambda v: math.isfinite(v) and v >= 0, must="a finite number >= 0 (0 = contrastive only)"
    )
    temperature: float = _f(0.2, "objective", ok=lambda v: v > 0, must="> 0 (typical 0.1-0.5)")
    # optimisation
    optimizer: str = _f("adamw", "training", choices=OPTIMIZERS)
    lr: float = _f(2e-3, "training", ok=lambda v: v > 0, must="> 0")
    weight_decay: float = _f(1e-4, "training", low=0)
    batch_size: int = _f(128, "training", low=2, high=65536)
    epochs: int = _f(6, "training", low=1, high=100000)
    max_train_images: int = _f(0, "training", low=0)  # 0 = all; a cap keeps smoke runs to seconds
    # evaluation
    eval_images: int = _f(2000, "evaluation", low=0)  # held-out images used by the probes (0 = all)
    knn_k: int = _f(20, "evaluation", low=1, high=100000)
    # AdamW steps of the quaternion probes' heads (quat_r2_linear, quat_r2_mlp), early-stopped
    probe_steps: int = _f(600, "evaluation", low=25, high=100000)
    # run
    seed: int = _f(0, "training", low=0)
    device: str = _f("auto", "execution", choices=DEVICES)
    threads: int = _f(0, "execution", low=0)  # torch CPU threads; 0 = leave torch's default
    # auto (= channels_last, measured fastest) | channels_last | contiguous
    memory_format: str = _f("auto", "execution", choices=MEMORY_FORMATS)
    # auto (= bf16 where the hardware computes it natively, else fp32) | fp32 | bf16
    precision: str = _f("auto", "precision", choices=PRECISIONS)
    # torch.compile the encoder (off: it never paid back in a CPU trial, benchmarks/compile.py)
    compile: bool = _f(False, "execution")
    cuda_graphs: bool = _f(False, "execution")  # CUDA only: replay each step's kernels from a CUDA graph

    # ---- construction -------------------------------------------------
    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        """Build from a plain dict (JSON, Ray Tune's config), rejecting unknown keys. A key
        renamed in this release (RENAMED) is read under its new name, with a warning."""
        values = _renamed(values)
        names = {f.name for f in dataclasses.fields(cls)}
        for key in values:
            if key not in names:
                close = [n for n in names if n.startswith(str(key)[:3])]
                hint = f" (did you mean {', '.join(sorted(close))}?)" if close else ""
                raise ConfigError(f"unknown config key '{key}'{hint}; see ciper/config.py for the keys")
        hints = typing.get_type_hints(cls)
        return cls(**{k: _coerce(k, v, hints[k]) for k, v in values.items()}).validated()

    def replace(self, **changes) -> "Config":
        return Config.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    # ---- validation ---------------------------------------------------
    def problems(self) -> list[str]:
        """Every problem with this config, one line each (empty when valid): each field's own rules
        (its metadata), then the rules that tie fields together."""
        return validation.problems(self)

    def validated(self) -> "Config":
        problems = self.problems()
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    # ---- derived --------------------------------------------------------
    @property
    def uses_prediction(self) -> bool:
        return self.head_mode != "contrastive" and self.alpha > 0

    @property
    def uses_contrast(self) -> bool:
        return self.head_mode != "predictive"

    @property
    def time_pairs(self) -> bool:
        """The second view of a pair is another frame of the same sequence."""
        return PAIR_SOURCES[self.pairs][0]

    @property
    def synthetic_pairs(self) -> bool:
        """Both views of a pair go through the augmentation pipeline."""
        return PAIR_SOURCES[self.pairs][1]


def fields_in(*groups: str) -> tuple[str, ...]:
    """The names of Config's fields in these groups (see GROUPS), in declaration order."""
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ValueError(f"no config group {', '.join(unknown)}; the groups are {', '.join(GROUPS)}")
    return tuple(f.name for f in dataclasses.fields(Config) if f.metadata["group"] in groups)


def choices_help() -> str:
    """The fields that take one of a list, with the list: for a command line's help."""
    listed = [(f.name, f.metadata["choices"]) for f in dataclasses.fields(Config) if "choices" in f.metadata]
    one_of = "; ".join(f"{name}: {' | '.join(allowed)}" for name, allowed in listed)
    return (
        f"{one_of}; aug_order: a list of {', '.join(AUGMENTATIONS)}; jitter_order: an order of {', '.join(JITTER_OPS)}"
    )


def _coerce(name: str, value, hint):
    """Turn strings from the command line (and ints from JSON) into the field's type."""
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if value is None:
        if type(None) in typing.get_args(hint):
            return None
        raise ConfigError(f"{name} cannot be empty")
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}={value!r} must be a list, e.g. {name}=crop,flip,jitter")
        return [str(v) for v in value]
    target = args[0] if args else hint
    if target is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}={value!r} must be true or false")
    if target is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(f"{name}={value!r} must be a whole number")
        try:
            return int(value) if not isinstance(value, str) else int(value.strip())
        except ValueError:
            raise ConfigError(f"{name}={value!r} must be a whole number") from None
    if target is float:
        if isinstance(value, bool):
            raise ConfigError(f"{name}={value!r} must be a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}={value!r} must be a number") from None
    if target is str:
        if not isinstance(value, (str, int, float)):
            raise ConfigError(f"{name}={value!r} must be text")
        return str(value)
    return value


# ---- presets -------------------------------------------------------------
_COIL = dict(
    dataset="coil100", image_size=32, time_window=3, split_blocks=4, latent_dim=128, epochs=25, eval_images=0, knn_k=10
)
PRESETS: dict[str, dict] = {
    # seconds: a tiny world, one short epoch; for tests and smoke studies
    "smoke": dict(
        world_objects=4,
        world_sessions=2,
        world_frames=40,
        test_fraction=0.5,  # one of each object's two sequences
        epochs=2,
        batch_size=64,
        latent_dim=32,
        proj_dim=32,
        head_hidden=64,
        eval_images=200,
        knn_k=5,
        probe_steps=100,
        time_window=10,
    ),
    # the built-in 3D world on a 2-core CPU (the default): 48x48 images, 12 epochs, 744 steps; the
    # image size at which an object-supervised encoder recognises objects on unseen sequences
    # (docs/protocol.md, "How the built-in world was chosen")
    "cpu": dict(image_size=48, latent_dim=128, epochs=12),
    # COIL-100's photographs (give data_dir): 72 poses an object, pairs of poses within 15 degrees, four
    # held-out pose blocks an object; about a minute a trial on 2 cores (README, "Real photographs")
    "coil": _COIL,
    # the coil preset with colour taken away and wide pose gaps, so that no-learning controls are far
    # from ceiling: grey images, two held-out arcs of 90 degrees an object (trained: two arcs of 12 poses)
    "coil_grey": {**_COIL, "image_colour": "grey", "split_blocks": 2, "test_fraction": 0.5},
    # the 3D world at 64x64 with 50 objects and the CIFAR ResNet18: clear effects on one GPU in minutes
    "gpu": dict(
        image_size=64,
        world_objects=50,
        world_frames=100,
        encoder="resnet18",
        latent_dim=512,
        proj_dim=128,
        head_hidden=1024,
        batch_size=512,
        epochs=30,
        lr=1e-3,
        weight_decay=1e-6,
        eval_images=5000,
        device="auto",
    ),
    # CIFAR10 + CIFAR ResNet18 at GPU scale
    "paper": dict(
        dataset="cifar10",
        data_dir="data/cifar10",
        pairs="synthetic",
        encoder="resnet18",
        aug_order=["crop", "flip", "jitter", "grayscale", "blur"],
        latent_dim=512,
        proj_dim=128,
        head_hidden=2048,
        batch_size=512,
        epochs=200,
        lr=1e-3,
        weight_decay=1e-6,
        temperature=0.2,
        crop_min_scale=0.2,
        jitter_strength=1.0,
        eval_images=0,
        knn_k=200,
        device="auto",
    ),
}


# old key -> new key: accepted, with a FutureWarning, for one release
RENAMED = {"view_columns": "pose_columns"}


def _renamed(values: dict) -> dict:
    for k in values.keys() & RENAMED.keys():
        warnings.warn(
            f"config key {k} is now {RENAMED[k]}; the old name goes in the next release", FutureWarning, stacklevel=3
        )
    return {RENAMED.get(k, k): v for k, v in values.items()}


def preset(name: str, **overrides) -> Config:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset '{name}'; choose one of {', '.join(PRESETS)}")
    return Config.from_dict({**PRESETS[name], **overrides})


def parse_overrides(pairs: list[str]) -> dict:
    """['alpha=0.3', 'aug_order=crop,flip'] -> {'alpha': '0.3', 'aug_order': 'crop,flip'}."""
    out = {}
    for item in pairs:
        if "=" not in item:
            raise ConfigError(f"--set {item!r} must look like key=value, e.g. --set alpha=0.5")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def resolve_path(path: str | None) -> str | None:
    """Absolute path, so that Ray trial working directories do not break it."""
    return None if path is None else os.path.abspath(os.path.expanduser(path))
