"""Config validation: every rule a config must meet, each problem one line with its fix.

A field's own rules sit in its metadata (ciper/config.py: allowed values, bounds, a
test); the rules here read them, then check what ties fields together. They take a
Config and return the problems found, so ciper/config.py can call them without a cycle.
"""

from __future__ import annotations

import dataclasses
import math

from ciper.choices import AUGMENTATIONS, BUILT_IN, JITTER_OPS, MAX_WORLD_BYTES, NO_SEQUENCES, PAIR_SOURCES, TURNTABLES


def problems(cfg) -> list[str]:
    """Every problem with cfg, one line each (empty when valid): each field's own rules, then
    the rules that tie fields together."""
    p = _field_problems(cfg)
    for check in (_world_problems, _augment_problems, _dataset_problems, _objective_problems):
        p += check(cfg, p)
    return p


def held_out_count(sequences: int, test_fraction: float) -> int:
    """How many of an object's sequences split=sequences holds out: sequences * test_fraction, rounded half up."""
    return int(math.floor(sequences * test_fraction + 0.5))


def _field_problems(cfg) -> list[str]:
    """Each field's own rules: allowed values, finite numbers, bounds, and its test (`ok`)."""
    p = []
    for f in dataclasses.fields(cfg):
        value, rules = getattr(cfg, f.name), f.metadata
        if "choices" in rules and value not in rules["choices"]:
            p.append(f"{f.name}={value!r} is not one of {', '.join(rules['choices'])}")
        if isinstance(value, float) and not math.isfinite(value):
            p.append(f"{f.name}={value} must be a finite number")
        if "ok" in rules and not rules["ok"](value):
            p.append(f"{f.name}={value} must be {rules['must']}")
        if "low" in rules and value < rules["low"]:
            p.append(f"{f.name}={value} must be >= {rules['low']}")
        if "high" in rules and value > rules["high"]:
            p.append(f"{f.name}={value} must be <= {rules['high']} (larger would not fit a machine's memory)")
    return p


def _world_problems(cfg, found: list[str]) -> list[str]:
    """A built-in world must fit in memory and leave sequences both to train and to test on."""
    if cfg.dataset not in BUILT_IN:
        return []
    p = []
    bounded = [f.name for f in dataclasses.fields(cfg) if "high" in f.metadata]
    if not any(f"{n}=" in line for line in found for n in bounded):
        images = cfg.world_objects * cfg.world_sessions * cfg.world_frames
        if images * 3 * cfg.image_size**2 > MAX_WORLD_BYTES:
            p.append(
                f"a world of {images} images of {cfg.image_size}x{cfg.image_size} needs "
                f"{images * 3 * cfg.image_size**2 / 2**30:.0f} GiB (at most {MAX_WORLD_BYTES // 2**30}); "
                f"lower world_objects, world_sessions, world_frames or image_size"
            )
    if cfg.split in ("auto", "sequences") and math.isfinite(cfg.test_fraction):
        held = held_out_count(cfg.world_sessions, cfg.test_fraction)
        if not 1 <= held <= cfg.world_sessions - 1:
            p.append(
                f"split={cfg.split} holds out world_sessions={cfg.world_sessions} * test_fraction="
                f"{cfg.test_fraction} = {held} of each object's sequences, which leaves "
                f"{'none to test' if held < 1 else 'none to train'}; use world_sessions >= 2 and a test_fraction "
                f"between 1/(2 * world_sessions) and 1 - 1/(2 * world_sessions)"
            )
    if cfg.split in ("random", "official"):
        p.append(f"split={cfg.split} does not fit the built-in worlds (they have sequences); use split=sequences")
    return p


def _augment_problems(cfg, found: list[str]) -> list[str]:
    p = []
    unknown = [a for a in cfg.aug_order if a not in AUGMENTATIONS]
    if unknown:
        p.append(
            f"unknown augmentation {', '.join(map(repr, unknown))} in aug_order; allowed: {', '.join(AUGMENTATIONS)}"
        )
    dupes = sorted({a for a in cfg.aug_order if cfg.aug_order.count(a) > 1})
    if dupes:
        p.append(f"augmentation {', '.join(map(repr, dupes))} appears twice in aug_order; list each op once")
    if sorted(cfg.jitter_order) != sorted(JITTER_OPS):
        p.append(f"jitter_order={','.join(cfg.jitter_order)} must list each of {', '.join(JITTER_OPS)} once")
    if cfg.pairs in PAIR_SOURCES and cfg.synthetic_pairs and not cfg.aug_order:
        p.append(f"pairs={cfg.pairs!r} needs at least one augmentation in aug_order")
    return p


def _dataset_problems(cfg, found: list[str]) -> list[str]:
    """The data fields a dataset reads, and those it does not."""
    p = []
    if cfg.dataset in NO_SEQUENCES and cfg.pairs != "synthetic":
        p.append(f"{cfg.dataset} has no time sequences: use pairs=synthetic")
    if cfg.file_pattern and cfg.dataset not in TURNTABLES:
        p.append(f"file_pattern is for dataset=turntable or coil100 (it is {cfg.dataset!r}); drop it")
    if cfg.dataset == "turntable" and not cfg.file_pattern:
        p.append(
            "dataset=turntable needs file_pattern=<regex> with named groups object and angle, e.g. "
            "file_pattern=(?P<object>\\d+)/\\d+_r(?P<angle>\\d+)\\.png (ALOI); COIL-100 is dataset=coil100"
        )
    if cfg.max_objects and cfg.dataset not in (*TURNTABLES, "imagefolder"):
        p.append(f"max_objects is for dataset=coil100, turntable or imagefolder (it is {cfg.dataset!r})")
    if cfg.pose_columns and cfg.dataset != "folder":
        p.append(f"pose_columns is for dataset=folder (it is {cfg.dataset!r}); drop it or set dataset=folder")
    bad = [c for c in cfg.pose_columns if not c.removesuffix(":deg").strip() or ":" in c.removesuffix(":deg")]
    if bad:
        p.append(f"pose_columns {', '.join(map(repr, bad))}: give column names, an angle as name:deg")
    if cfg.dataset not in BUILT_IN and not cfg.data_dir:
        p.append(f"dataset={cfg.dataset!r} needs data_dir=<folder> (see README, 'Real datasets')")
    return p


def _objective_problems(cfg, found: list[str]) -> list[str]:
    """A run must have something to train on, something to predict, and the device it asks for."""
    p = []
    if cfg.max_train_images == 1:
        p.append("max_train_images=1 leaves one training image (batch norm needs two); use 0 (all) or >= 2")
    if cfg.pairs in PAIR_SOURCES and cfg.uses_prediction and not cfg.synthetic_pairs:
        if cfg.time_pair_target == "none":
            p.append(
                f"head_mode={cfg.head_mode} with pairs={cfg.pairs} and time_pair_target=none has nothing "
                f"to predict; use pairs=time+synthetic, time_pair_target=frame_gap, or head_mode=contrastive"
            )
    if cfg.head_mode == "predictive" and cfg.alpha == 0:
        p.append("head_mode=predictive with alpha=0 trains nothing; set alpha > 0")
    if cfg.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            p.append("device=cuda but CUDA is not available on this machine; use device=cpu or auto")
    return p
