"""One typed config for a CIPER run, its presets, and its validation.

Everything a study may vary lives here, so a trial is fully described by one
`Config` (recorded as JSON next to its results). Validation runs before any
data is built or any Ray worker starts, and reports every problem as one line
that says what is wrong and what is allowed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import typing
from dataclasses import dataclass, field

# every augmentation op, in the canonical order: parameters are drawn and the prediction
# target's columns laid out in this order, whatever order the ops are applied in
AUGMENTATIONS = ("crop", "flip", "jitter", "grayscale", "blur", "rotation")
# colour jitter's four sub-ops, in the order torchvision lists them (the default order applied)
JITTER_OPS = ("brightness", "contrast", "saturation", "hue")
DATASETS = ("world", "flatworld", "cifar10", "core50", "tdw", "folder", "coil100", "turntable", "imagefolder")
BUILT_IN = ("world", "flatworld")  # generated, never read from a folder
TURNTABLES = ("coil100", "turntable")  # objects turned in depth, the azimuth in each file's name (ciper/turntable.py)
NO_SEQUENCES = ("cifar10", "imagefolder")  # still images: no time pairs
# sizes beyond these would not fit a machine's memory (or would take days): a bound with a message
# beats a traceback from the allocator
SIZE_LIMITS = {
    "latent_dim": 65536,
    "proj_dim": 65536,
    "head_hidden": 65536,
    "batch_size": 65536,
    "image_size": 512,
    "world_objects": 1000,
    "world_sessions": 100,
    "world_frames": 100000,
    "epochs": 100000,
    "knn_k": 100000,
}
MAX_WORLD_BYTES = 8 * 2**30  # a built-in world's images must fit in 8 GiB
ENCODERS = ("small_cnn", "resnet18")
HEAD_MODES = ("both", "contrastive", "predictive")
HEAD_INPUTS = ("diff", "concat")
# what makes the two views of a pair: (partner frame of the same sequence?, synthetic augmentations?)
PAIR_SOURCES = {"synthetic": (False, True), "time": (True, False), "time+synthetic": (True, True)}
# what the prediction head regresses for the partner frame of a time pair: the exact pose change,
# the frame offset (what an observer of a video knows), or nothing (only the synthetic ops' parameters)
TIME_PAIR_TARGETS = ("pose_change", "frame_gap", "none")
# what a trial trains and evaluates: the CIPER objective (any head_mode and alpha), or a reference
# (ciper/reference.py) or a no-learning control (ciper/controls.py) on the same probes
METHODS = ("ciper", "untrained", "object_supervised", "pose_supervised", "pixels", "colour")
OPTIMIZERS = ("adamw", "sgd")
DEVICES = ("auto", "cpu", "cuda")
MEMORY_FORMATS = ("auto", "channels_last", "contiguous")
PRECISIONS = ("auto", "fp32", "bf16")
# how the held-out frames are chosen (ciper/data.py): none shares a sequence, or a time window, with training
SPLITS = ("auto", "sequences", "pose_blocks", "random", "official")


class ConfigError(ValueError):
    """A bad config value; the message is one line naming the problem and the fix."""


@dataclass
class Config:
    # data
    # world (built-in, 3D) | flatworld (built-in, 2D) | cifar10 | core50 | tdw | folder | coil100 | turntable
    # | imagefolder
    dataset: str = "world"
    data_dir: str | None = None  # folder of a real dataset; unused for the built-in worlds
    view_columns: list[str] = field(default_factory=list)  # dataset=folder: pose columns (name:deg = angle)
    # dataset=turntable: a regex every image path under data_dir matches, with named groups object and
    # angle (degrees); dataset=coil100: COIL-100's obj<K>__<A>.png when empty
    file_pattern: str = ""
    max_objects: int = 0  # coil100 | turntable | imagefolder: only the first N objects (classes); 0 = all
    image_size: int = 32
    world_objects: int = 10  # built-in world: object classes
    world_sessions: int = 10  # built-in world: lighting/background sessions
    world_frames: int = 100  # built-in world: frames per (object, session) sequence
    world_seed: int = 0  # built-in world: fixes the shapes and every frame
    test_fraction: float = 0.2  # held out for evaluation (never trained on; see split)
    split: str = "auto"  # sequences | pose_blocks | random | official | auto (see ciper/data.py)
    split_blocks: int = 4  # split=pose_blocks: held-out blocks per sequence
    pairs: str = "time+synthetic"  # synthetic | time | time+synthetic
    time_window: int = 50  # time pairs: partner frame within +-window in the sequence
    time_pair_target: str = "pose_change"  # pose_change | frame_gap | none (see TIME_PAIR_TARGETS)
    # augmentations (the order is a study variable)
    # The default pairs two frames of a sequence (their view change is the geometric
    # "augmentation") and adds colour/blur ops; crop and flip would move the object
    # as well, blurring the view ground truth. CIFAR10 (paper preset) uses all five.
    aug_order: list[str] = field(default_factory=lambda: ["jitter", "grayscale", "blur"])
    crop_min_scale: float = 0.3  # random resized crop: area fraction in [min, 1]
    flip_p: float = 0.5
    jitter_p: float = 0.8
    jitter_strength: float = 0.5  # brightness/contrast/saturation = 0.8*s, hue = 0.2*s (SimCLR)
    jitter_order: list[str] = field(default_factory=lambda: list(JITTER_OPS))  # order of jitter's sub-ops
    # a new order of the sub-ops per sample (as torchvision's ColorJitter draws it), recorded and predicted
    jitter_random_order: bool = False
    grayscale_p: float = 0.2
    blur_p: float = 0.5
    blur_sigma_max: float = 1.5
    rotation_p: float = 0.5
    rotation_degrees: float = 90.0
    # model
    method: str = "ciper"  # ciper | untrained | object_supervised | pose_supervised | pixels | colour
    encoder: str = "small_cnn"  # small_cnn | resnet18 (CIFAR variant)
    width: float = 1.0  # channel width multiplier of the encoder
    latent_dim: int = 64  # size of the representation h used downstream
    proj_dim: int = 64  # contrastive embedding size
    head_hidden: int = 256  # hidden width of both heads
    head_mode: str = "both"  # both | contrastive (no prediction head) | predictive (no InfoNCE)
    head_input: str = "diff"  # diff: h2 - h1 (the paper) | concat: [h1, h2] (AugSelf)
    # objective
    alpha: float = 1.0  # L = L_con + alpha * L_pred
    temperature: float = 0.2
    # optimisation
    optimizer: str = "adamw"
    lr: float = 2e-3
    weight_decay: float = 1e-4
    batch_size: int = 128
    epochs: int = 6
    max_train_images: int = 0  # 0 = all; a cap keeps smoke runs to seconds
    # evaluation
    eval_images: int = 2000  # held-out images used by the probes (0 = all)
    knn_k: int = 20
    # run
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 0  # torch CPU threads; 0 = leave torch's default
    memory_format: str = "auto"  # auto (= channels_last, measured fastest) | channels_last | contiguous
    precision: str = "auto"  # auto (= bf16 where the hardware computes it natively, else fp32) | fp32 | bf16
    compile: bool = False  # torch.compile the encoder (off: it never paid back in a CPU trial, benchmarks/compile.py)
    cuda_graphs: bool = False  # CUDA only: replay each step's kernels from a CUDA graph; ignored on the CPU

    # ---- construction -------------------------------------------------
    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        """Build from a plain dict (JSON, Ray Tune's config), rejecting unknown keys."""
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
        """Every problem with this config, one line each (empty when valid)."""
        p = []

        def choice(name, allowed):
            if getattr(self, name) not in allowed:
                p.append(f"{name}={getattr(self, name)!r} is not one of {', '.join(allowed)}")

        for name, allowed in [
            ("dataset", DATASETS),
            ("encoder", ENCODERS),
            ("head_mode", HEAD_MODES),
            ("head_input", HEAD_INPUTS),
            ("pairs", PAIR_SOURCES),
            ("optimizer", OPTIMIZERS),
            ("device", DEVICES),
            ("memory_format", MEMORY_FORMATS),
            ("precision", PRECISIONS),
            ("split", SPLITS),
            ("time_pair_target", TIME_PAIR_TARGETS),
            ("method", METHODS),
        ]:
            choice(name, allowed)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                p.append(f"{f.name}={value} must be a finite number")
        if not (isinstance(self.alpha, (int, float)) and math.isfinite(self.alpha) and self.alpha >= 0):
            p.append(f"alpha={self.alpha} must be a finite number >= 0 (0 = contrastive only)")
        if not self.temperature > 0:
            p.append(f"temperature={self.temperature} must be > 0 (typical 0.1-0.5)")
        for name, low in [
            ("latent_dim", 1),
            ("proj_dim", 1),
            ("head_hidden", 1),
            ("epochs", 1),
            ("batch_size", 2),
            ("image_size", 8),
            ("world_objects", 2),
            ("world_sessions", 1),
            ("world_frames", 2),
            ("knn_k", 1),
            ("time_window", 1),
            ("split_blocks", 1),
        ]:
            if getattr(self, name) < low:
                p.append(f"{name}={getattr(self, name)} must be >= {low}")
        for name, high in SIZE_LIMITS.items():
            if getattr(self, name) > high:
                p.append(f"{name}={getattr(self, name)} must be <= {high} (larger would not fit a machine's memory)")
        if self.dataset in BUILT_IN and not any(f"{n}=" in line for line in p for n in SIZE_LIMITS):
            images = self.world_objects * self.world_sessions * self.world_frames
            if images * 3 * self.image_size**2 > MAX_WORLD_BYTES:
                p.append(
                    f"a world of {images} images of {self.image_size}x{self.image_size} needs "
                    f"{images * 3 * self.image_size**2 / 2**30:.0f} GiB (at most {MAX_WORLD_BYTES // 2**30}); "
                    f"lower world_objects, world_sessions, world_frames or image_size"
                )
        if self.dataset in BUILT_IN and self.split in ("auto", "sequences"):
            held = held_out_count(self.world_sessions, self.test_fraction)
            if not 1 <= held <= self.world_sessions - 1:
                p.append(
                    f"split={self.split} holds out world_sessions={self.world_sessions} * test_fraction="
                    f"{self.test_fraction} = {held} of each object's sequences, which leaves "
                    f"{'none to test' if held < 1 else 'none to train'}; use world_sessions >= 2 and a test_fraction "
                    f"between 1/(2 * world_sessions) and 1 - 1/(2 * world_sessions)"
                )
        if self.dataset in BUILT_IN and self.split in ("random", "official"):
            p.append(f"split={self.split} does not fit the built-in worlds (they have sequences); use split=sequences")
        if self.max_train_images == 1:
            p.append("max_train_images=1 leaves one training image (batch norm needs two); use 0 (all) or >= 2")
        if self.weight_decay < 0:
            p.append(f"weight_decay={self.weight_decay} must be >= 0")
        if not 0 <= self.rotation_degrees <= 180:
            p.append(f"rotation_degrees={self.rotation_degrees} must be in [0, 180]")
        for name in ["max_train_images", "eval_images", "threads", "seed", "world_seed"]:
            if getattr(self, name) < 0:
                p.append(f"{name}={getattr(self, name)} must be >= 0")
        if not self.lr > 0:
            p.append(f"lr={self.lr} must be > 0")
        if not self.width > 0:
            p.append(f"width={self.width} must be > 0")
        if not 0 < self.test_fraction < 1:
            p.append(f"test_fraction={self.test_fraction} must be between 0 and 1")
        if not 0 < self.crop_min_scale <= 1:
            p.append(f"crop_min_scale={self.crop_min_scale} must be in (0, 1]")
        for name in ["flip_p", "jitter_p", "grayscale_p", "blur_p", "rotation_p"]:
            if not 0 <= getattr(self, name) <= 1:
                p.append(f"{name}={getattr(self, name)} must be a probability in [0, 1]")
        if not 0 <= self.jitter_strength <= 1.25:
            p.append(f"jitter_strength={self.jitter_strength} must be in [0, 1.25] (hue shift <= 0.25)")
        if not self.blur_sigma_max >= 0.1:
            p.append(f"blur_sigma_max={self.blur_sigma_max} must be >= 0.1")
        unknown = [a for a in self.aug_order if a not in AUGMENTATIONS]
        if unknown:
            p.append(
                f"unknown augmentation {', '.join(map(repr, unknown))} in aug_order; "
                f"allowed: {', '.join(AUGMENTATIONS)}"
            )
        dupes = sorted({a for a in self.aug_order if self.aug_order.count(a) > 1})
        if dupes:
            p.append(f"augmentation {', '.join(map(repr, dupes))} appears twice in aug_order; list each op once")
        if sorted(self.jitter_order) != sorted(JITTER_OPS):
            p.append(f"jitter_order={','.join(self.jitter_order)} must list each of {', '.join(JITTER_OPS)} once")
        if self.pairs in PAIR_SOURCES and self.synthetic_pairs and not self.aug_order:
            p.append(f"pairs={self.pairs!r} needs at least one augmentation in aug_order")
        if self.dataset in NO_SEQUENCES and self.pairs != "synthetic":
            p.append(f"{self.dataset} has no time sequences: use pairs=synthetic")
        if self.file_pattern and self.dataset not in TURNTABLES:
            p.append(f"file_pattern is for dataset=turntable or coil100 (it is {self.dataset!r}); drop it")
        if self.dataset == "turntable" and not self.file_pattern:
            p.append(
                "dataset=turntable needs file_pattern=<regex> with named groups object and angle, e.g. "
                "file_pattern=(?P<object>\\d+)/\\d+_r(?P<angle>\\d+)\\.png (ALOI); COIL-100 is dataset=coil100"
            )
        if self.max_objects and self.dataset not in (*TURNTABLES, "imagefolder"):
            p.append(f"max_objects is for dataset=coil100, turntable or imagefolder (it is {self.dataset!r})")
        if self.max_objects < 0 or self.max_objects == 1:
            p.append(f"max_objects={self.max_objects} must be 0 (all) or >= 2 (a probe needs two objects)")
        if self.view_columns and self.dataset != "folder":
            p.append(f"view_columns is for dataset=folder (it is {self.dataset!r}); drop it or set dataset=folder")
        bad = [c for c in self.view_columns if not c.removesuffix(":deg").strip() or ":" in c.removesuffix(":deg")]
        if bad:
            p.append(f"view_columns {', '.join(map(repr, bad))}: give column names, an angle as name:deg")
        if self.dataset not in BUILT_IN and not self.data_dir:
            p.append(f"dataset={self.dataset!r} needs data_dir=<folder> (see README, 'Real datasets')")
        if self.pairs in PAIR_SOURCES and self.uses_prediction and not self.synthetic_pairs:
            if self.time_pair_target == "none":
                p.append(
                    f"head_mode={self.head_mode} with pairs={self.pairs} and time_pair_target=none has nothing "
                    f"to predict; use pairs=time+synthetic, time_pair_target=frame_gap, or head_mode=contrastive"
                )
        if self.head_mode == "predictive" and self.alpha == 0:
            p.append("head_mode=predictive with alpha=0 trains nothing; set alpha > 0")
        if self.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                p.append("device=cuda but CUDA is not available on this machine; use device=cpu or auto")
        return p

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


def held_out_count(sequences: int, test_fraction: float) -> int:
    """How many of an object's sequences split=sequences holds out: sequences * test_fraction, rounded half up."""
    return int(math.floor(sequences * test_fraction + 0.5))


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
        time_window=10,
    ),
    # the built-in 3D world on a 2-core CPU in about a minute a trial (the default): 12 epochs, 744
    # steps, the budget at which an object-supervised encoder recognises objects on unseen sequences
    "cpu": dict(latent_dim=128, epochs=12),
    # COIL-100's photographs (give data_dir): 72 poses an object, pairs of poses within 15 degrees, four
    # held-out pose blocks an object; about a minute a trial on 2 cores, like cpu (README, "Real photographs")
    "coil": dict(
        dataset="coil100",
        image_size=32,
        time_window=3,
        split_blocks=4,
        latent_dim=128,
        epochs=25,
        eval_images=0,
        knn_k=10,
    ),
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
