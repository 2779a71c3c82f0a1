"""Parameterised augmentations, batched, on whatever device the batch lives on.

Each op draws independent parameters per sample from a `torch.Generator`
(kept on the CPU, so a seed gives the same parameters on any device), applies
them to the whole batch at once, and records them. Each op matches
`torchvision.transforms.v2.functional` applied image by image with the same
parameters (tests/test_augment.py checks this).

The pipeline is a list of named steps whose order is a config value. It returns
`(views, params)`: `params` is a float tensor [B, P] whose columns are
`pipeline.schema` (fixed by the *set* of ops, not their order, so every
permutation of one set shares a schema). Normalisation, per column:

  crop_x, crop_y     crop-box centre, -1 (left/top edge) .. 1 (right/bottom)
  crop_scale         1 - sqrt(area fraction): 0 = whole image
  crop_aspect        log(w/h) / log(4/3), in [-1, 1]
  flip               1 if mirrored
  jitter_applied     1 if colour jitter ran
  brightness, contrast, saturation   (factor - 1) / strength, in [-1, 1]; 0 if not applied
  hue                hue shift / max shift, in [-1, 1]; 0 if not applied
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

from ciper.config import Config

GRAY_WEIGHTS = (0.2989, 0.587, 0.114)   # torchvision's rgb_to_grayscale


def _uniform(n, low, high, g):
    return low + (high - low) * torch.rand(n, generator=g)


def _bernoulli(n, p, g):
    return (torch.rand(n, generator=g) < p).float()


def _where(mask, a, b):
    """Per-sample select between two image batches."""
    return torch.where(mask.to(a.device).bool()[:, None, None, None], a, b)


def grayscale(x: torch.Tensor) -> torch.Tensor:
    r, g, b = x.unbind(1)
    return (GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b).unsqueeze(1)


def _blend(x, y, factor):
    f = factor.to(x.device)[:, None, None, None]
    return (f * x + (1 - f) * y).clamp(0, 1)


def _rgb_to_hsv(x):
    r, g, b = x.unbind(1)
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    delta = maxc - minc
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    s = delta / torch.where(maxc > 0, maxc, torch.ones_like(maxc))
    h = torch.where(maxc == r, (g - b) / safe,
                    torch.where(maxc == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    h = torch.where(delta > 0, (h / 6.0) % 1.0, torch.zeros_like(h))
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    k = torch.stack([(5 + h * 6) % 6, (3 + h * 6) % 6, (1 + h * 6) % 6], 1)
    return v[:, None] - v[:, None] * s[:, None] * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


# ---- the ops ---------------------------------------------------------------
# Each op: sample(n, g) -> raw parameters (dict of CPU tensors);
#          apply(x, raw) -> augmented batch;  encode(raw) -> normalised columns.

@dataclass
class Crop:
    min_scale: float = 0.3
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    columns = ("crop_x", "crop_y", "crop_scale", "crop_aspect")

    def sample(self, n, g, height, width):
        area = _uniform(n, self.min_scale, 1.0, g) * height * width
        log_ratio = _uniform(n, math.log(self.ratio[0]), math.log(self.ratio[1]), g)
        w = torch.sqrt(area * torch.exp(log_ratio)).round().clamp(1, width).long()
        h = torch.sqrt(area / torch.exp(log_ratio)).round().clamp(1, height).long()
        top = (torch.rand(n, generator=g) * (height - h + 1)).long()
        left = (torch.rand(n, generator=g) * (width - w + 1)).long()
        return dict(top=top, left=left, height=h, width=w, image_height=height, image_width=width)

    def apply(self, x, p):
        """resized_crop(top, left, h, w) back to the input size, bilinear, for every sample at once."""
        n, _, H, W = x.shape
        dev = x.device
        j = torch.arange(W, device=dev, dtype=x.dtype) + 0.5
        i = torch.arange(H, device=dev, dtype=x.dtype) + 0.5
        top, left = p["top"].to(dev, x.dtype)[:, None], p["left"].to(dev, x.dtype)[:, None]
        h, w = p["height"].to(dev, x.dtype)[:, None], p["width"].to(dev, x.dtype)[:, None]
        # source pixel of each output pixel, clamped inside the box (as interpolate does)
        sx = left + torch.minimum((j * w / W - 0.5).clamp(min=0), w - 1)
        sy = top + torch.minimum((i * h / H - 0.5).clamp(min=0), h - 1)
        gx = (2 * sx + 1) / W - 1
        gy = (2 * sy + 1) / H - 1
        grid = torch.stack([gx[:, None, :].expand(n, H, W), gy[:, :, None].expand(n, H, W)], -1)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def encode(self, p):
        H, W = p["image_height"], p["image_width"]
        h, w = p["height"].float(), p["width"].float()
        cx = (p["left"] + w / 2) / W * 2 - 1
        cy = (p["top"] + h / 2) / H * 2 - 1
        scale = 1 - torch.sqrt(h * w / (H * W))
        aspect = torch.log(w / h) / math.log(self.ratio[1])
        return torch.stack([cx, cy, scale, aspect], 1)


@dataclass
class Flip:
    p: float = 0.5
    columns = ("flip",)

    def sample(self, n, g, height, width):
        return dict(applied=_bernoulli(n, self.p, g))

    def apply(self, x, p):
        return _where(p["applied"], x.flip(-1), x)

    def encode(self, p):
        return p["applied"][:, None]


@dataclass
class ColorJitter:
    """brightness, contrast, saturation, hue, in that fixed order (one factor each)."""
    p: float = 0.8
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    columns = ("jitter_applied", "brightness", "contrast", "saturation", "hue")

    def sample(self, n, g, height, width):
        applied = _bernoulli(n, self.p, g)
        factors = {k: 1 + applied * _uniform(n, -getattr(self, k), getattr(self, k), g)
                   for k in ("brightness", "contrast", "saturation")}
        return dict(applied=applied, hue=applied * _uniform(n, -self.hue, self.hue, g), **factors)

    def apply(self, x, p):
        y = _blend(x, torch.zeros_like(x), p["brightness"])
        y = _blend(y, grayscale(y).mean((1, 2, 3), keepdim=True), p["contrast"])
        y = _blend(y, grayscale(y), p["saturation"])
        if self.hue > 0:
            h, s, v = _rgb_to_hsv(y)
            y = _hsv_to_rgb((h + p["hue"].to(x.device)[:, None, None]) % 1.0, s, v)
        return _where(p["applied"], y, x)

    def encode(self, p):
        norm = lambda k: (p[k] - 1) / getattr(self, k) if getattr(self, k) > 0 else torch.zeros_like(p[k])
        hue = p["hue"] / self.hue if self.hue > 0 else torch.zeros_like(p["hue"])
        return torch.stack([p["applied"], norm("brightness"), norm("contrast"), norm("saturation"), hue], 1)


@dataclass
class Grayscale:
    p: float = 0.2
    columns = ("grayscale",)

    def sample(self, n, g, height, width):
        return dict(applied=_bernoulli(n, self.p, g))

    def apply(self, x, p):
        return _where(p["applied"], grayscale(x).expand_as(x), x)

    def encode(self, p):
        return p["applied"][:, None]


@dataclass
class GaussianBlur:
    p: float = 0.5
    sigma_min: float = 0.1
    sigma_max: float = 1.5
    kernel_size: int = 3
    columns = ("blur_applied", "blur_sigma")

    def sample(self, n, g, height, width):
        applied = _bernoulli(n, self.p, g)
        return dict(applied=applied, sigma=_uniform(n, self.sigma_min, self.sigma_max, g))

    def apply(self, x, p):
        n, c, H, W = x.shape
        k = self.kernel_size
        half = (k - 1) * 0.5
        t = torch.linspace(-half, half, k, device=x.device, dtype=x.dtype)
        kern = torch.exp(-0.5 * (t[None] / p["sigma"].to(x.device, x.dtype)[:, None]) ** 2)
        kern = (kern / kern.sum(1, keepdim=True)).repeat_interleave(c, 0)          # [n*c, k]
        y = F.pad(x.reshape(1, n * c, H, W), [k // 2] * 4, mode="reflect")
        y = F.conv2d(y, kern[:, None, None, :], groups=n * c)
        y = F.conv2d(y, kern[:, None, :, None], groups=n * c).reshape(n, c, H, W)
        return _where(p["applied"], y, x)

    def encode(self, p):
        return torch.stack([p["applied"], p["applied"] * p["sigma"] / self.sigma_max], 1)


@dataclass
class Rotation:
    p: float = 0.5
    degrees: float = 90.0
    columns = ("rotation_applied", "rotation_angle")

    def sample(self, n, g, height, width):
        applied = _bernoulli(n, self.p, g)
        return dict(applied=applied, angle=applied * _uniform(n, -self.degrees, self.degrees, g))

    def apply(self, x, p):
        """rotate(angle) counter-clockwise about the centre, bilinear, black outside."""
        n, _, H, W = x.shape
        a = torch.deg2rad(p["angle"]).to(x.device, x.dtype)
        cos, sin = torch.cos(a)[:, None, None], torch.sin(a)[:, None, None]
        xs = torch.linspace((1 - W) * 0.5, (W - 1) * 0.5, W, device=x.device, dtype=x.dtype)[None, None, :]
        ys = torch.linspace((1 - H) * 0.5, (H - 1) * 0.5, H, device=x.device, dtype=x.dtype)[None, :, None]
        gx = (cos * xs - sin * ys) / (0.5 * W)
        gy = (sin * xs + cos * ys) / (0.5 * H)
        y = F.grid_sample(x, torch.stack([gx, gy], -1), mode="bilinear", padding_mode="zeros",
                          align_corners=False)
        return _where(p["applied"], y, x)

    def encode(self, p):
        return torch.stack([p["applied"], p["angle"] / self.degrees], 1)


def make_ops(cfg: Config) -> dict:
    s = cfg.jitter_strength
    return {
        "crop": Crop(min_scale=cfg.crop_min_scale),
        "flip": Flip(p=cfg.flip_p),
        "jitter": ColorJitter(p=cfg.jitter_p, brightness=0.8 * s, contrast=0.8 * s,
                              saturation=0.8 * s, hue=0.2 * s),
        "grayscale": Grayscale(p=cfg.grayscale_p),
        "blur": GaussianBlur(p=cfg.blur_p, sigma_max=cfg.blur_sigma_max,
                             kernel_size=max(3, 2 * round(0.05 * cfg.image_size) + 1)),
        "rotation": Rotation(p=cfg.rotation_p, degrees=cfg.rotation_degrees),
    }


class Pipeline:
    """The ops of `order`, applied in that order; parameters recorded per sample."""

    CANONICAL = ("crop", "flip", "jitter", "grayscale", "blur", "rotation")

    def __init__(self, order: list[str], ops: dict):
        self.order = list(order)
        self.ops = {name: ops[name] for name in self.order}
        self.groups = {name: list(self.ops[name].columns) for name in self.CANONICAL if name in self.ops}
        self.schema = [c for cols in self.groups.values() for c in cols]

    @classmethod
    def from_config(cls, cfg: Config) -> "Pipeline":
        return cls(cfg.aug_order, make_ops(cfg))

    def __call__(self, x: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """x: float [B, 3, H, W] in [0, 1] -> (views, params [B, len(schema)] on x's device)."""
        n, _, H, W = x.shape
        # parameters are drawn in canonical order, so permutations of one set of ops
        # see the same parameters under the same seed: only the order differs
        raw = {name: self.ops[name].sample(n, g, H, W) for name in self.CANONICAL if name in self.ops}
        for name in self.order:
            x = self.ops[name].apply(x, raw[name])
        params = [self.ops[name].encode(raw[name]) for name in self.CANONICAL if name in self.ops]
        params = torch.cat(params, 1) if params else torch.zeros(n, 0)
        return x, params.to(x.device)
