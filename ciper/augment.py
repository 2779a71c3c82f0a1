"""Parameterised augmentations, batched, on whatever device the batch lives on.

Each op draws independent parameters per sample from a `torch.Generator`
(kept on the CPU, so a seed gives the same parameters on any device), applies
them to the whole batch at once (an op with a probability, to the samples it
chose), and records them. Each op matches `torchvision.transforms.v2.functional`
applied image by image with the same parameters (tests/test_augment.py checks
this). The parameters of a batch reach the device in one copy
(`ciper.device.to_device`), so a GPU never waits for the host mid-step.

The pipeline is a list of named steps whose order is a config value. It returns
`(augmented images, params)`: `params` is a float tensor [B, P] whose columns are
`pipeline.schema` (fixed by the *set* of ops, not their order, so every
permutation of one set shares a schema). Normalisation, per column:

  crop_x, crop_y     crop-box centre, -1 (left/top edge) .. 1 (right/bottom)
  crop_scale         1 - sqrt(area fraction): 0 = whole image
  crop_aspect        log(w/h) / log(4/3), in [-1, 1]
  flip               1 if mirrored
  jitter_applied     1 if colour jitter ran
  brightness, contrast, saturation   (factor - 1) / strength, in [-1, 1]; 0 if not applied
  hue                hue shift / max shift, in [-1, 1]; 0 if not applied
  jitter_position_*  (random jitter order only) each sub-op's place, -1 first .. 1 last; 0 if not applied
  grayscale          1 if converted to grey
  blur_applied       1 if blurred;   blur_sigma  sigma / sigma_max, 0 if not applied
  rotation_applied   1 if rotated;   rotation_angle  degrees / max degrees, in [-1, 1]

Every column is 0 for the identity, so the change between two views,
`r = params2 - params1`, is the target the prediction head regresses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ciper.config import AUGMENTATIONS, JITTER_OPS, Config
from ciper.device import to_device
from ciper.kernels import blend_, blur, grayscale, per_sample, rotate, shift_hue


def _uniform(n, low, high, g):
    return low + (high - low) * torch.rand(n, generator=g)


def _bernoulli_chosen(n, p, g):
    """Whether each of n samples gets the op (a 0/1 float for its parameter columns),
    and the indices of those that do (the op works on those alone)."""
    applied = (torch.rand(n, generator=g) < p).float()
    return dict(applied=applied, chosen=applied.nonzero()[:, 0])


def _on_chosen(x, params, fn):
    """fn(images, rows) on the chosen samples only, rows holding their rows of each
    per-sample parameter; written back into x, the others stay exactly as they are."""
    chosen = params["chosen"]
    if chosen.numel() == 0:
        return x
    rows = {k: v.index_select(0, chosen) for k, v in params.items() if k not in ("chosen", "applied")}
    return x.index_copy_(0, chosen, fn(x.index_select(0, chosen), rows))


# ---- the ops ---------------------------------------------------------------
# Each op: sample(n, g, height, width) -> its raw parameters (a dict of CPU tensors);
#          apply(x, params) -> augmented batch (x may be overwritten);
#          encode(params) -> normalised columns.
# Ops applied with a probability work on the chosen samples alone and write
# them back in place: less memory traffic, and the others stay bit-identical.
# from_config(cfg) builds the op from a config; `photometric` ops leave the pose and
# the object as they are (the supervised references train through those alone).

OPS: dict[str, type] = {}  # config name -> op class, for every name in choices.AUGMENTATIONS


def _registered(name: str):
    """Register an op class under its config name (one of choices.AUGMENTATIONS)."""

    def register(cls):
        if name not in AUGMENTATIONS:
            raise ImportError(f"augmentation op {name!r} is not in choices.AUGMENTATIONS; add it there")
        OPS[name] = cls
        return cls

    return register


@_registered("crop")
@dataclass
class Crop:
    min_scale: float = 0.3
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    columns = ("crop_x", "crop_y", "crop_scale", "crop_aspect")
    photometric = False

    @classmethod
    def from_config(cls, cfg: Config) -> "Crop":
        return cls(min_scale=cfg.crop_min_scale)

    def sample(self, n, g, height, width):
        area = _uniform(n, self.min_scale, 1.0, g) * height * width
        log_ratio = _uniform(n, math.log(self.ratio[0]), math.log(self.ratio[1]), g)
        w = torch.sqrt(area * torch.exp(log_ratio)).round().clamp(1, width).long()
        h = torch.sqrt(area / torch.exp(log_ratio)).round().clamp(1, height).long()
        top = (torch.rand(n, generator=g) * (height - h + 1)).long()
        left = (torch.rand(n, generator=g) * (width - w + 1)).long()
        return dict(top=top, left=left, height=h, width=w, image_height=height, image_width=width)

    def apply(self, x, params):
        """resized_crop(top, left, h, w) back to the input size, bilinear, for every sample at once."""
        n, _, H, W = x.shape
        dev = x.device
        j = torch.arange(W, device=dev, dtype=x.dtype) + 0.5
        i = torch.arange(H, device=dev, dtype=x.dtype) + 0.5
        top, left = params["top"].to(x.dtype)[:, None], params["left"].to(x.dtype)[:, None]
        h, w = params["height"].to(x.dtype)[:, None], params["width"].to(x.dtype)[:, None]
        # source pixel of each output pixel, clamped inside the box (as interpolate does)
        sx = left + torch.minimum((j * w / W - 0.5).clamp(min=0), w - 1)
        sy = top + torch.minimum((i * h / H - 0.5).clamp(min=0), h - 1)
        gx = (2 * sx + 1) / W - 1
        gy = (2 * sy + 1) / H - 1
        grid = torch.stack([gx[:, None, :].expand(n, H, W), gy[:, :, None].expand(n, H, W)], -1)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def encode(self, params):
        H, W = params["image_height"], params["image_width"]
        h, w = params["height"].float(), params["width"].float()
        cx = (params["left"] + w / 2) / W * 2 - 1
        cy = (params["top"] + h / 2) / H * 2 - 1
        scale = 1 - torch.sqrt(h * w / (H * W))
        aspect = torch.log(w / h) / math.log(self.ratio[1])
        return torch.stack([cx, cy, scale, aspect], 1)


@dataclass
class _Chance:
    """An op applied to each sample with probability p, whose one parameter is whether it was."""

    p: float = 0.5
    photometric = False

    def sample(self, n, g, height, width):
        return _bernoulli_chosen(n, self.p, g)

    def encode(self, params):
        return params["applied"][:, None]


@_registered("flip")
@dataclass
class Flip(_Chance):
    columns = ("flip",)

    @classmethod
    def from_config(cls, cfg: Config) -> "Flip":
        return cls(p=cfg.flip_p)

    def apply(self, x, params):
        return _on_chosen(x, params, lambda y, _: y.flip(-1))


@_registered("jitter")
@dataclass
class ColorJitter:
    """brightness, contrast, saturation, hue (one factor each), in `order`, or in a new order
    per sample (`random_order`, as torchvision's ColorJitter), recorded as parameters."""

    p: float = 0.8
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    order: tuple[str, ...] = JITTER_OPS
    random_order: bool = False
    photometric = True

    @classmethod
    def from_config(cls, cfg: Config) -> "ColorJitter":
        s = cfg.jitter_strength
        return cls(
            p=cfg.jitter_p,
            brightness=0.8 * s,
            contrast=0.8 * s,
            saturation=0.8 * s,
            hue=0.2 * s,
            order=tuple(cfg.jitter_order),
            random_order=cfg.jitter_random_order,
        )

    @property
    def columns(self) -> tuple[str, ...]:
        base = ("jitter_applied", "brightness", "contrast", "saturation", "hue")
        return base + tuple(f"jitter_position_{op}" for op in JITTER_OPS) if self.random_order else base

    def sample(self, n, g, height, width):
        chosen = _bernoulli_chosen(n, self.p, g)
        applied = chosen["applied"]
        factors = {
            k: 1 + applied * _uniform(n, -getattr(self, k), getattr(self, k), g)
            for k in ("brightness", "contrast", "saturation")
        }
        raw = dict(hue=applied * _uniform(n, -self.hue, self.hue, g), **factors, **chosen)
        if self.random_order:  # permutation[i] = indices into JITTER_OPS, in the order sample i applies them
            raw["permutation"] = torch.rand(n, len(JITTER_OPS), generator=g).argsort(1)
        return raw

    def apply(self, x, params):
        return _on_chosen(x, params, self.jitter)

    def sub_op(self, name: str, y: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        """One of the four sub-ops on y (may be overwritten), one factor per sample."""
        if name == "brightness":  # blend with black
            return y.mul_(per_sample(factor)).clamp_(0, 1)
        if name == "contrast":
            return blend_(y, grayscale(y).mean((1, 2, 3), keepdim=True), factor)
        if name == "saturation":
            return blend_(y, grayscale(y), factor)
        return shift_hue(y, factor) if self.hue > 0 else y

    def jitter(self, y, f):
        if "permutation" not in f:
            for name in self.order:
                y = self.sub_op(name, y, f[name])
            return y
        for step in range(len(JITTER_OPS)):  # at each step, each sub-op on the samples that take it now
            for k, name in enumerate(JITTER_OPS):
                rows = (f["permutation"][:, step] == k).nonzero()[:, 0]
                if rows.numel():
                    y = y.index_copy(0, rows, self.sub_op(name, y.index_select(0, rows), f[name].index_select(0, rows)))
        return y

    def encode(self, params):
        norm = lambda k: (params[k] - 1) / getattr(self, k) if getattr(self, k) > 0 else torch.zeros_like(params[k])
        hue = params["hue"] / self.hue if self.hue > 0 else torch.zeros_like(params["hue"])
        columns = [params["applied"], norm("brightness"), norm("contrast"), norm("saturation"), hue]
        if self.random_order:  # each sub-op's position, -1 (first) .. 1 (last); 0 when jitter did not run
            position = params["permutation"].argsort(1).float() * (2 / (len(JITTER_OPS) - 1)) - 1
            columns += list((position * params["applied"][:, None]).unbind(1))
        return torch.stack(columns, 1)


@_registered("grayscale")
@dataclass
class Grayscale(_Chance):
    p: float = 0.2
    columns = ("grayscale",)
    photometric = True

    @classmethod
    def from_config(cls, cfg: Config) -> "Grayscale":
        return cls(p=cfg.grayscale_p)

    def apply(self, x, params):
        return _on_chosen(x, params, lambda y, _: grayscale(y).expand_as(y))


@_registered("blur")
@dataclass
class GaussianBlur:
    p: float = 0.5
    sigma_min: float = 0.1
    sigma_max: float = 1.5
    kernel_size: int = 3
    columns = ("blur_applied", "blur_sigma")
    photometric = True

    @classmethod
    def from_config(cls, cfg: Config) -> "GaussianBlur":
        # about a tenth of the image across, odd, at least 3
        return cls(p=cfg.blur_p, sigma_max=cfg.blur_sigma_max, kernel_size=max(3, 2 * round(0.05 * cfg.image_size) + 1))

    def sample(self, n, g, height, width):
        chosen = _bernoulli_chosen(n, self.p, g)
        return dict(sigma=_uniform(n, self.sigma_min, self.sigma_max, g), **chosen)

    def apply(self, x, params):
        return _on_chosen(x, params, lambda y, rows: blur(y, rows["sigma"], self.kernel_size))

    def encode(self, params):
        return torch.stack([params["applied"], params["applied"] * params["sigma"] / self.sigma_max], 1)


@_registered("rotation")
@dataclass
class Rotation:
    p: float = 0.5
    degrees: float = 90.0
    columns = ("rotation_applied", "rotation_angle")
    photometric = False

    @classmethod
    def from_config(cls, cfg: Config) -> "Rotation":
        return cls(p=cfg.rotation_p, degrees=cfg.rotation_degrees)

    def sample(self, n, g, height, width):
        chosen = _bernoulli_chosen(n, self.p, g)
        return dict(angle=chosen["applied"] * _uniform(n, -self.degrees, self.degrees, g), **chosen)

    def apply(self, x, params):
        return _on_chosen(x, params, lambda y, rows: rotate(y, rows["angle"]))

    def encode(self, params):
        return torch.stack([params["applied"], params["angle"] / self.degrees], 1)


_unbuilt = [name for name in AUGMENTATIONS if name not in OPS]
if _unbuilt:
    raise ImportError(f"choices.AUGMENTATIONS names {', '.join(_unbuilt)} with no op class here; register one")


def make_ops(cfg: Config) -> dict:
    """Every op, built from cfg, in the canonical order."""
    return {name: OPS[name].from_config(cfg) for name in AUGMENTATIONS}


class Pipeline:
    """The ops of `order`, applied in that order; parameters recorded per sample."""

    def __init__(self, order: list[str], ops: dict):
        self.order = list(order)
        self.ops = {name: ops[name] for name in self.order}
        self.groups = {name: list(self.ops[name].columns) for name in AUGMENTATIONS if name in self.ops}
        self.schema = [c for cols in self.groups.values() for c in cols]

    @classmethod
    def from_config(cls, cfg: Config) -> "Pipeline":
        return cls(cfg.aug_order, make_ops(cfg))

    def sample(self, n: int, g: torch.Generator, height: int, width: int) -> dict[str, dict]:
        """Raw parameters of every op for n images, drawn on the CPU in canonical order,
        so permutations of one set of ops see the same parameters under the same seed."""
        return {name: self.ops[name].sample(n, g, height, width) for name in AUGMENTATIONS if name in self.ops}

    def encode(self, raw: dict[str, dict]) -> torch.Tensor:
        """Raw parameters -> the normalised [n, len(schema)] table the prediction head regresses."""
        return torch.cat([self.ops[name].encode(raw[name]) for name in AUGMENTATIONS if name in self.ops], 1)

    def apply(self, x: torch.Tensor, raw: dict[str, dict]) -> torch.Tensor:
        """The ops in `order` on x (float [n, 3, H, W] in [0, 1]), parameters moved to x's
        device at once. x is overwritten: pass a tensor nothing else reads."""
        tensors = {(name, k): v for name, params in raw.items() for k, v in params.items() if torch.is_tensor(v)}
        moved = dict(zip(tensors, to_device(list(tensors.values()), x.device)))
        on_device = {name: {k: moved.get((name, k), v) for k, v in params.items()} for name, params in raw.items()}
        for name in self.order:
            x = self.ops[name].apply(x, on_device[name])
        return x

    def __call__(self, x: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """x: float [B, 3, H, W] in [0, 1] -> (augmented images, params [B, len(schema)] on x's device)."""
        if not self.ops:
            return x, torch.zeros(x.shape[0], 0, device=x.device)
        raw = self.sample(x.shape[0], g, *x.shape[-2:])
        (params,) = to_device([self.encode(raw)], x.device)
        return self.apply(x.clone(), raw), params
