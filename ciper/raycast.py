"""The 3D world's renderer: orthographic rays intersected analytically with each object's parts.

An object is a set of part slots (ELLIPSOIDS, BOXES, MARKERS: which primitive each
slot is; an absent slot never hits). Rays are cast only inside each object's bounding
square (a window of the supersampled pixel grid); the rest of the image is backdrop. A
ray at image point (a, b) (object units, camera frame) reaches part p's frame as
q = a u + b v + w along d, with u, v, w, d three-vectors per (image, part), so every
intersection is a few scalar passes. Shading is Lambertian plus ambient, with dark
bands across each part (its markings); images are 2x2 supersampled, then averaged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ciper import rotations

SUPERSAMPLE = 2  # rays per pixel side
ELLIPSOIDS, BOXES, MARKERS = (0, 1), (2, 3), (4, 5)  # part slots of every object (markers are spheres)
MARKER_COLOURS = ((0.08, 0.08, 0.1), (0.95, 0.95, 0.9))
STRIPE_DEPTH = 0.6  # the dark bands' albedo, as a fraction of the light ones' is 1 - this
PER_IMAGE = ("object", "session", "quat", "scale", "shift", "body", "backdrop", "light_dir")


def render(
    objects: dict, sessions: dict, per_image: dict, size: int, device: str | torch.device = "cpu", chunk: int = 256
) -> torch.Tensor:
    """Float images [N, 3, size, size] in [0, 1] (before session flicker and noise).

    per_image holds, for each image: object, session [N] indices; quat [N, 4] object -> camera
    rotation; scale [N] (radius, of the half image); shift [N, 2] (centre, of the half image);
    body [N, 3] RGB albedo; backdrop [N, 3] the backdrop's colour (lit from below: brighter
    towards the bottom); light_dir [N, 3] unit vectors towards the light (facing the camera:
    negative z).
    """
    device = torch.device(device)
    objects = {k: v.to(device) for k, v in objects.items()}
    sessions = {k: v.to(device) for k, v in sessions.items()}
    part_rot = rotations.to_matrix(objects["turn"])  # [K, P, 3, 3] part -> object
    n_side = size * SUPERSAMPLE
    coords = (torch.arange(n_side, device=device) + 0.5) / n_side * 2 - 1  # pixel centres in [-1, 1]
    ell, box = [*ELLIPSOIDS, *MARKERS], list(BOXES)
    out = []
    for lo in range(0, len(per_image["object"]), chunk):
        shot = {k: per_image[k][lo : lo + chunk].to(device) for k in PER_IMAGE}
        rays = _rays(objects, part_rot, shot, n_side)
        t_ell, lit_ell, along_ell = _ellipsoid_hits(rays, ell)
        t_box, lit_box, along_box = _box_hits(rays, box)
        hits = (torch.cat([t_ell, t_box], 1), torch.cat([lit_ell, lit_box], 1), torch.cat([along_ell, along_box], 1))
        hit, colour = _shade(objects, sessions, shot, hits, ell + box)
        out.append(_paste(hit, colour, shot["backdrop"], rays, coords, n_side).cpu())
    return torch.cat(out)


@dataclass
class _Rays:
    """One chunk's rays: window columns a [n, 1, 1, W] and rows b [n, 1, W, 1] (object units);
    per (image, part) the ray frame u, v, w, direction d, the light, the part's half size and
    its band axis, [n, P, 3] each; the window's pixel columns ix, rows iy [n, W], the rows'
    image coordinate py [n, W] and its side W."""

    a: torch.Tensor
    b: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor
    w: torch.Tensor
    d: torch.Tensor
    light: torch.Tensor
    half: torch.Tensor
    stripe_axis: torch.Tensor
    ix: torch.Tensor
    iy: torch.Tensor
    py: torch.Tensor
    side: int

    def origin(self, k: int, parts: list[int], scale_by: torch.Tensor | None = None) -> torch.Tensor:
        """Component k of every window ray's origin in each part's frame (optionally / scale_by): [n, p, W, W]."""
        point = self.a * _axis(self.u, k, parts) + self.b * _axis(self.v, k, parts) + _axis(self.w, k, parts)
        return point if scale_by is None else point / _axis(scale_by, k, parts)


def _axis(vec: torch.Tensor, k: int, parts: list[int]) -> torch.Tensor:
    """Component k of a per-(image, part) vector, for the given parts: [n, p, 1, 1]."""
    return vec[:, parts, k, None, None]


def _rays(objects: dict, part_rot: torch.Tensor, shot: dict, n_side: int) -> _Rays:
    """The rays of each image's window: the pixels whose centre can see the object (its bounding circle)."""
    o_i = shot["object"]
    rot = rotations.to_matrix(shot["quat"])  # [n, 3, 3] object -> camera
    s, t = shot["scale"], shot["shift"]
    side = int(math.ceil(2 * float(s.max()) * n_side / 2)) + 2
    start = torch.round((t + 1) / 2 * n_side - 0.5 - side / 2).long()  # [n, 2] first column, row
    steps = torch.arange(side, device=s.device)
    ix, iy = start[:, :1] + steps, start[:, 1:] + steps  # [n, W] pixel indices
    px, py = (ix + 0.5) / n_side * 2 - 1, (iy + 0.5) / n_side * 2 - 1
    a = ((px - t[:, :1]) / s[:, None])[:, None, None, :]  # [n, 1, 1, W] columns
    b = ((py - t[:, 1:]) / s[:, None])[:, None, :, None]  # [n, 1, W, 1] rows
    # per (image, part): the ray's frame vectors in the part's frame (Rp^T R^T ...)
    rp = part_rot[o_i]  # [n, P, 3, 3]
    to_part = rp.transpose(-1, -2) @ rot.transpose(-1, -2)[:, None]  # [n, P, 3, 3] camera -> part
    centre = (rp.transpose(-1, -2) @ objects["centre"][o_i][..., None])[..., 0]
    u, v, d = to_part[..., 0], to_part[..., 1], to_part[..., 2]  # [n, P, 3]
    light = (to_part @ shot["light_dir"][:, None, :, None])[..., 0]  # light in part frames
    half, stripe_axis = objects["size"][o_i], objects["stripe_axis"][o_i]
    return _Rays(a, b, u, v, -3.0 * d - centre, d, light, half, stripe_axis, ix, iy, py, side)


def _ellipsoid_hits(rays: _Rays, parts: list[int]):
    """(ray parameter of the hit, or inf; Lambert term; band coordinate), [n, p, W, W] each,
    for ellipsoid parts: |q / half + t d / half| = 1."""
    half = rays.half
    qs = [rays.origin(k, parts, half) for k in range(3)]
    ds = [_axis(rays.d, k, parts) / _axis(half, k, parts) for k in range(3)]
    qa = sum(x * x for x in ds)
    qb = sum(x * y for x, y in zip(qs, ds))
    disc = qb * qb - qa * (sum(x * x for x in qs) - 1)
    t = (-qb - disc.clamp(min=0).sqrt()) / qa
    normal = [(x + t * y) / _axis(half, k, parts) for k, (x, y) in enumerate(zip(qs, ds))]
    lit = sum(m * _axis(rays.light, k, parts) for k, m in enumerate(normal)) / sum(m * m for m in normal).sqrt().clamp(
        min=1e-8
    )
    along = sum(
        (x + t * y) * _axis(half, k, parts) * _axis(rays.stripe_axis, k, parts) for k, (x, y) in enumerate(zip(qs, ds))
    )
    return torch.where(disc > 0, t, math.inf), lit, along


def _box_hits(rays: _Rays, parts: list[int]):
    """As _ellipsoid_hits, for box parts: slabs |q_k + t d_k| <= half_k; the entry face is the
    axis entered last."""
    near, far, lit = None, None, None
    origin = []
    for k in range(3):
        dk = _axis(rays.d, k, parts)
        dk = torch.where(dk.abs() < 1e-9, torch.full_like(dk, 1e-9), dk)
        qk, hk = rays.origin(k, parts), _axis(rays.half, k, parts)
        origin.append((qk, dk))
        t1, t2 = (-hk - qk) / dk, (hk - qk) / dk
        enter, leave = torch.minimum(t1, t2), torch.maximum(t1, t2)
        face_lit = -torch.sign(dk) * _axis(rays.light, k, parts)
        if near is None:
            near, far, lit = enter, leave, face_lit.expand_as(enter)
        else:
            lit = torch.where(enter > near, face_lit, lit)
            near, far = torch.maximum(near, enter), torch.minimum(far, leave)
    along = sum((qk + near * dk) * _axis(rays.stripe_axis, k, parts) for k, (qk, dk) in enumerate(origin))
    return torch.where(near < far, near, math.inf), lit, along


def _shade(objects: dict, sessions: dict, shot: dict, hits: tuple, order: list[int]):
    """(whether a ray hit [n, W, W], its colour [n, W, W, 3]): the first present part hit,
    with its bands, markers and the session's light. `hits` are (t, lit, along) for the parts
    in `order`."""
    t_hit, lit, along = hits
    o_i, s_i = shot["object"], shot["session"]
    present = objects["present"][o_i][:, order][..., None, None]
    first, part = t_hit.masked_fill(~present, math.inf).min(1)  # [n, W, W]
    lambert = lit.gather(1, part[:, None]).squeeze(1).clamp(min=0)
    along = along.nan_to_num(0.0).gather(1, part[:, None]).squeeze(1)
    period = objects["stripe_period"][o_i][:, order].gather(1, part.flatten(1)).view_as(part)
    phase = objects["stripe_phase"][o_i][:, order].gather(1, part.flatten(1)).view_as(part)
    band = 1 - STRIPE_DEPTH * (torch.sin(2 * math.pi * along / period + phase) > 0).float()
    shade = sessions["ambient"][s_i][:, None, None] + sessions["intensity"][s_i][:, None, None] * lambert
    albedo = shot["body"][:, None, None] * band[..., None]
    marker_colours = torch.tensor(MARKER_COLOURS, device=albedo.device)
    for slot, colour_of_marker in zip(MARKERS, marker_colours):
        albedo = torch.where((part == order.index(slot))[..., None], colour_of_marker, albedo)
    return torch.isfinite(first), albedo * shade[..., None] * sessions["colour"][s_i][:, None, None]


def _paste(hit: torch.Tensor, colour: torch.Tensor, backdrop: torch.Tensor, rays: _Rays, coords, n_side: int):
    """The windows pasted into backdrop canvases (padded so that every window fits), averaged
    down to pixels: [n, 3, size, size]."""
    back = backdrop[:, None, None]  # [n, 1, 1, 3]
    window = torch.where(hit[..., None], colour, back * (1 + 0.2 * rays.py)[:, :, None, None])  # [n, W, W, 3]
    n, side = len(hit), rays.side
    canvas = back * (1 + 0.2 * coords)[None, :, None, None]
    canvas = F.pad(canvas.expand(n, n_side, n_side, 3), (0, 0, side, side, side, side))
    rows = (rays.iy + side)[:, :, None]
    cols = (rays.ix + side)[:, None, :]
    canvas[torch.arange(n, device=hit.device)[:, None, None], rows, cols] = window
    img = canvas[:, side : side + n_side, side : side + n_side].permute(0, 3, 1, 2)
    return F.avg_pool2d(img, SUPERSAMPLE)
