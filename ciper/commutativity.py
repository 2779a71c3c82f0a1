"""How far two augmentation ops fail to commute on a dataset's images.

An order study can only find an effect where the order changes the images. For
each pair of ops (a, b) this draws one set of parameters, applies a then b and
b then a to the same images, and reports the mean absolute pixel difference
(pixels in [0, 1]) between the two results: 0 for ops that commute exactly
(flip and grayscale), above 0 for ops that do not (crop and blur). Colour
jitter's four sub-ops are measured the same way, as pairs of their own.

Two figures per pair: `as_configured` (each op with its probability, as a study
applies it: pairs where one op did not run commute trivially) and `both_applied`
(every probability set to 1: the difference when both ops run).
"""

from __future__ import annotations

import dataclasses
import itertools

import torch

from ciper.augment import ColorJitter, make_ops
from ciper.config import JITTER_OPS, Config

EVAL_IMAGES = 512


def _always(op):
    return dataclasses.replace(op, p=1.0) if hasattr(op, "p") else op


def _op_pairs(cfg: Config, forced: bool) -> dict[str, callable]:
    """name -> (apply(x, raw), sample(n, g, h, w)) for the config's ops and jitter's sub-ops."""
    ops = {name: op for name, op in make_ops(cfg).items() if name in cfg.aug_order}
    if forced:
        ops = {name: _always(op) for name, op in ops.items()}
    steps = {name: (op.apply, op.sample) for name, op in ops.items()}
    jitter = _always(make_ops(cfg)["jitter"]) if forced else make_ops(cfg)["jitter"]
    jitter = dataclasses.replace(jitter, random_order=False)
    for sub in JITTER_OPS:
        steps[f"jitter.{sub}"] = (_sub_op_step(jitter, sub), jitter.sample)
    return steps


def _sub_op_step(jitter: ColorJitter, name: str):
    def apply(x, raw):
        chosen = raw["chosen"]
        if chosen.numel() == 0:
            return x
        part = jitter.sub_op(name, x.index_select(0, chosen), raw[name].index_select(0, chosen))
        return x.index_copy(0, chosen, part)

    return apply


def mean_order_difference(apply_a, apply_b, raw_a, raw_b, x: torch.Tensor) -> float:
    """Mean |b(a(x)) - a(b(x))| over pixels, with the same parameters both ways."""
    ab = apply_b(apply_a(x.clone(), raw_a), raw_b)
    ba = apply_a(apply_b(x.clone(), raw_b), raw_a)
    return (ab - ba).abs().mean().item()


def noncommutativity(cfg: Config, images: torch.Tensor, seed: int = 0) -> list[dict]:
    """One row per pair of ops: {"pair", "as_configured", "both_applied"}.

    images: uint8 [N, 3, H, W]; the first EVAL_IMAGES are used. Pairs are the
    config's ops (aug_order) and jitter's sub-ops."""
    x = images[:EVAL_IMAGES].float().div(255)
    n, _, height, width = x.shape
    figures: dict[str, dict] = {}
    for forced, column in ((False, "as_configured"), (True, "both_applied")):
        steps = _op_pairs(cfg, forced)
        names = [k for k in steps if not k.startswith("jitter.")] + [f"jitter.{s}" for s in JITTER_OPS]
        for a, b in itertools.combinations(names, 2):
            if a.startswith("jitter.") != b.startswith("jitter."):
                continue  # a sub-op against a whole op would count jitter twice
            g = torch.Generator().manual_seed(seed)
            raw_a = steps[a][1](n, g, height, width)
            raw_b = steps[b][1](n, g, height, width) if steps[b][1] != steps[a][1] else raw_a
            diff = mean_order_difference(steps[a][0], steps[b][0], raw_a, raw_b, x)
            figures.setdefault(f"{a} / {b}", {"pair": f"{a} / {b}"})[column] = diff
    return list(figures.values())
