"""The flat world (dataset=flatworld): procedurally drawn 2D objects filmed in sessions, no download.

Why it looks the way it does (each choice keeps a downstream task informative):
- Objects are asymmetric star-shaped silhouettes with a marker at their top, so
  tilt and flips are decidable; they lean at most 60 degrees from upright, so a
  tilt means the same thing for every object (a full turn of ten different
  shapes is not linearly readable from any features: R^2 < 0 for every model);
  an object's colour is random per sequence, so only the shape tells the class.
- Sessions (like CORe50's) differ by lighting brightness, saturation and a
  colour tint -- exactly what colour jitter removes -- plus per-frame lighting
  noise, so session classification is neither trivial nor impossible.
- Each (object, session) pair is one sequence of frames whose pose (rotation,
  scale, position) drifts as a random walk: neighbouring frames are
  time-augmented positive pairs, and every frame has ground-truth pose
  parameters for pose regression.

Poses are normalised to [-1, 1]: tilt, scale, pos_x, pos_y.
"""

from __future__ import annotations

import math

import torch

from ciper.drawing import GRAY_WEIGHTS, reflect
from ciper.imageset import ImageSet
from ciper.kernels import hsv_to_rgb

POSE_NAMES = ["tilt", "scale", "pos_x", "pos_y"]
TILT_MAX = math.pi / 3  # objects lean at most 60 degrees either way
SCALE_RANGE = (0.55, 1.0)  # object radius as a fraction of RADIUS_PX
RADIUS_PX = 0.38  # of the image size
SHIFT_PX = 0.19  # largest centre offset, as a fraction of the image size
HARMONICS = 4


def silhouettes(amp, phase, marker_rho, marker_phi, theta, scale, pos, size: int):
    """How much of each pixel an image's object covers, and how much its marker does
    ([N, size, size] each, anti-aliased edges), and the pixel grid (xx, yy) in [-1, 1].
    amp, phase [N, HARMONICS], marker_rho, marker_phi [N]: each image's object's shape;
    theta, scale [N], pos [N, 2]: its pose."""
    # pixel -> object frame -> polar -> inside the silhouette?
    c = (torch.arange(size) + 0.5) / size * 2 - 1  # pixel centres in [-1, 1]
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    radius = RADIUS_PX * 2 * scale  # in [-1, 1] units
    dx = xx[None] - (SHIFT_PX * 2 * pos[:, 0])[:, None, None]
    dy = yy[None] - (SHIFT_PX * 2 * pos[:, 1])[:, None, None]
    cos_t, sin_t = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    u = (cos_t * dx + sin_t * dy) / radius[:, None, None]
    v = (-sin_t * dx + cos_t * dy) / radius[:, None, None]
    rho, phi = torch.sqrt(u**2 + v**2), torch.atan2(v, u)
    m = torch.arange(1, HARMONICS + 1, dtype=torch.float32)
    outline = 1 + (amp[:, None, None, :] * torch.cos(m * phi[..., None] + phase[:, None, None, :])).sum(-1)
    outline = outline / (1 + amp.sum(1))[:, None, None]  # the silhouette fits its radius
    px = radius[:, None, None] * size / 2  # object units -> pixels
    inside = torch.clamp((outline - rho) * px + 0.5, 0, 1)  # anti-aliased edge
    mu = marker_rho * torch.cos(marker_phi)
    mv = marker_rho * torch.sin(marker_phi)
    marker = (
        torch.clamp((0.2 - torch.sqrt((u - mu[:, None, None]) ** 2 + (v - mv[:, None, None]) ** 2)) * px + 0.5, 0, 1)
        * inside
    )
    return inside, marker, xx, yy


def generate_world(objects: int = 10, sessions: int = 5, frames: int = 200, size: int = 32, seed: int = 0) -> ImageSet:
    g = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.rand(*shape, generator=g)
    randn = lambda *shape: torch.randn(*shape, generator=g)

    # --- objects: radius(phi) = 1 + sum_m a_m cos(m phi + b_m), plus a marker dot
    amp = 0.10 + 0.22 * rand(objects, HARMONICS)
    phase = 2 * math.pi * rand(objects, HARMONICS)
    marker_phi = torch.full((objects,), -math.pi / 2)  # every object's marker marks its top
    marker_rho = 0.35 + 0.25 * rand(objects)

    # --- sessions: lighting, saturation and tint (what colour jitter removes)
    light = torch.linspace(0.7, 1.1, sessions)[torch.randperm(sessions, generator=g)] if sessions > 1 else torch.ones(1)
    saturation = 0.5 + 0.6 * rand(sessions)
    tint = 1 + 0.2 * (rand(sessions, 3) - 0.5)

    # --- sequences: one per (object, session); poses drift as a random walk
    n_seq = objects * sessions
    seq_object = torch.arange(n_seq) // sessions
    seq_session = torch.arange(n_seq) % sessions
    theta = reflect(
        TILT_MAX * (2 * rand(n_seq, 1) - 1) + torch.cumsum(0.12 * randn(n_seq, frames), 1), -TILT_MAX, TILT_MAX
    )
    lo, hi = SCALE_RANGE
    scale = reflect(lo + (hi - lo) * rand(n_seq, 1) + torch.cumsum(0.04 * randn(n_seq, frames), 1), lo, hi)
    pos = reflect(2 * rand(n_seq, 1, 2) - 1 + torch.cumsum(0.12 * randn(n_seq, frames, 2), 1), -1.0, 1.0)
    hue = rand(n_seq)  # the object's colour: constant per sequence
    body = hsv_to_rgb(hue, 0.55 + 0.4 * rand(n_seq), 0.75 + 0.25 * rand(n_seq))  # [S, 3]

    # flatten sequences x frames into images
    obj = seq_object.repeat_interleave(frames)
    ses = seq_session.repeat_interleave(frames)
    seq = torch.arange(n_seq).repeat_interleave(frames)
    frame = torch.arange(frames).repeat(n_seq)
    theta, scale, pos = theta.reshape(-1), scale.reshape(-1), pos.reshape(-1, 2)
    n = len(obj)

    # --- render: how much of each pixel the object and its marker cover
    inside, marker, xx, yy = silhouettes(
        amp[obj], phase[obj], marker_rho[obj], marker_phi[obj], theta, scale, pos, size
    )

    # background with a lighting gradient, then the body, then the dark marker
    grad_dir = 2 * math.pi * rand(n)
    gradient = 1 + 0.25 * (torch.cos(grad_dir)[:, None, None] * xx + torch.sin(grad_dir)[:, None, None] * yy)
    background = 0.32 + 0.2 * rand(n)  # per frame, not per session
    img = (background[:, None, None] * gradient)[:, None].expand(n, 3, size, size)
    img = img * (1 - inside[:, None]) + body[seq][:, :, None, None] * inside[:, None]
    img = img * (1 - marker[:, None]) + 0.08 * marker[:, None]

    # session look: saturation, tint and lighting (with per-frame flicker), then sensor noise
    gray = (GRAY_WEIGHTS[0] * img[:, 0] + GRAY_WEIGHTS[1] * img[:, 1] + GRAY_WEIGHTS[2] * img[:, 2])[:, None]
    img = gray + saturation[ses][:, None, None, None] * (img - gray)
    flicker = 1 + 0.1 * randn(n)
    img = img * (tint[ses] * (light[ses] * flicker)[:, None])[:, :, None, None]
    img = img + 0.02 * randn(n, 3, size, size)
    images = (img.clamp(0, 1) * 255).round().to(torch.uint8)

    poses = torch.stack([theta / TILT_MAX, (scale - lo) / (hi - lo) * 2 - 1, pos[:, 0], pos[:, 1]], 1)
    return ImageSet(
        images=images,
        objects=obj,
        sessions=ses,
        poses=poses,
        pose_names=list(POSE_NAMES),
        sequences=seq,
        frame_index=frame,
        name="flatworld",
    )
