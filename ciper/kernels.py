"""Image kernels on batches of RGB images in [0, 1], one parameter per sample: colour
(grey, blends, the hue circle), blur and rotation.

The augmentations (ciper/augment.py) apply them; the flat world's object colours
(ciper/flatworld.py) share the HSV ramp, so both place r, g and b on the hue
circle the same way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ciper.drawing import GRAY_WEIGHTS

HUE_SECTOR = (5.0, 3.0, 1.0)  # where r, g, b sit on the hue circle, in sixths


def per_sample(v: torch.Tensor) -> torch.Tensor:
    """A per-sample [n] value shaped to broadcast over [n, c, H, W]."""
    return v[:, None, None, None]


def grayscale(x: torch.Tensor) -> torch.Tensor:
    red, green, blue = x.unbind(1)
    return (GRAY_WEIGHTS[0] * red + GRAY_WEIGHTS[1] * green + GRAY_WEIGHTS[2] * blue).unsqueeze(1)


def blend_(x: torch.Tensor, y: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """torchvision's _blend, factor * x + (1 - factor) * y clamped to [0, 1], in place in x
    (as y + factor * (x - y): three in-place passes beat one lerp with broadcast inputs)."""
    return x.sub_(y).mul_(per_sample(factor)).add_(y).clamp_(0, 1)


def hue_ramp_(k: torch.Tensor) -> torch.Tensor:
    """How far a channel sits below the maximum, as a share of max - min, for k = the hue in
    sixths of a turn plus the channel's HUE_SECTOR: clamp(min(k, 4 - k), 0, 1) with k taken
    mod 6. k is overwritten. Float arithmetic only: torch.remainder is several times slower."""
    k.sub_(torch.floor(k * (1 / 6)).mul_(6.0))  # k mod 6
    return torch.minimum(k, torch.neg(k).add_(4.0)).clamp_(0, 1)


def hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """HSV in [0, 1] -> RGB, for tensors of any shape [...] -> [..., 3]."""
    ramp = hue_ramp_(torch.stack([sector + h * 6 for sector in HUE_SECTOR], -1))
    return v[..., None] - v[..., None] * s[..., None] * ramp


def shift_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """adjust_hue (rgb -> hsv, h += shift, hsv -> rgb) without leaving RGB.

    In HSV terms v = max and v * s = max - min, and a hue turn keeps both, so
    each channel is max - (max - min) * hue_ramp_(sector + 6 * hue). Written for
    the CPU, where the step's time goes into passes over memory: float arithmetic
    only (boolean masks and channel reductions are each several times slower), in
    place where it can be, and one image channel at a time.
    """
    red, green, blue = x.unbind(1)
    maxc = torch.maximum(red, green)
    torch.maximum(maxc, blue, out=maxc)
    delta = torch.minimum(red, green)
    torch.minimum(delta, blue, out=delta)
    delta.neg_().add_(maxc)  # max - min
    # which channel is largest, ties to r, then g, then b (as torchvision): 1 - sign(max - c)
    is_r = torch.sub(maxc, red).sign_().neg_().add_(1)
    is_g = torch.sub(maxc, green).sign_().neg_().add_(1).sub_(is_r).clamp_(min=0)
    is_b = torch.add(is_r, is_g).neg_().add_(1)
    # hue in sixths of a turn: (g - b) / d if r is largest, 2 + (b - r) / d if g, 4 + (r - g) / d if b
    hue6 = torch.sub(green, blue).mul_(is_r)
    hue6.addcmul_(torch.sub(blue, red), is_g).addcmul_(torch.sub(red, green), is_b)
    hue6.div_(delta.clamp(min=1e-12))  # grey pixels: d = 0 cancels any hue
    hue6.add_(is_g, alpha=2.0).add_(is_b, alpha=4.0).add_(6.0 * shift[:, None, None])
    out = torch.empty_like(x)
    for c, sector in enumerate(HUE_SECTOR):
        torch.addcmul(maxc, delta, hue_ramp_(hue6 + sector), value=-1.0, out=out[:, c])
    return out


def blur(x: torch.Tensor, sigma: torch.Tensor, k: int) -> torch.Tensor:
    """A k x k Gaussian blur of standard deviation sigma[i] for image i, reflecting at the edges."""
    n, c, H, W = x.shape
    half = (k - 1) * 0.5
    t = torch.linspace(-half, half, k, device=x.device, dtype=x.dtype)
    kern = torch.exp(-0.5 * (t[None] / sigma.to(x.dtype)[:, None]) ** 2)
    kern = kern / kern.sum(1, keepdim=True)  # [n, k]
    # separable: k shifted copies weighted per sample, rows then columns (cheaper
    # than a grouped convolution with one group per image channel at these sizes)
    padded = F.pad(x, [k // 2] * 4, mode="reflect")
    w = kern[:, :, None, None, None]
    rows = padded[..., :W] * w[:, 0]
    for i in range(1, k):
        rows.addcmul_(padded[..., i : i + W], w[:, i])
    y = rows[:, :, :H] * w[:, 0]
    for i in range(1, k):
        y.addcmul_(rows[:, :, i : i + H], w[:, i])
    return y


def rotate(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Image i turned angle[i] degrees counter-clockwise about the centre, bilinear, black outside."""
    n, _, H, W = x.shape
    a = torch.deg2rad(angle).to(x.dtype)
    cos, sin = torch.cos(a)[:, None, None], torch.sin(a)[:, None, None]
    xs = torch.linspace((1 - W) * 0.5, (W - 1) * 0.5, W, device=x.device, dtype=x.dtype)[None, None, :]
    ys = torch.linspace((1 - H) * 0.5, (H - 1) * 0.5, H, device=x.device, dtype=x.dtype)[None, :, None]
    gx = (cos * xs - sin * ys) / (0.5 * W)
    gy = (sin * xs + cos * ys) / (0.5 * H)
    return F.grid_sample(x, torch.stack([gx, gy], -1), mode="bilinear", padding_mode="zeros", align_corners=False)
