"""3D rotations as unit quaternions (w, x, y, z), batched over leading dimensions.

The built-in 3D world keeps poses as quaternions with w >= 0 (q and -q are the
same rotation; fixing the sign makes the encoding continuous for rotations of
less than 180 degrees). Relative rotations are read out as axis-angle vectors
(axis * angle in radians), the 3DIEBench-style target.
"""

from __future__ import annotations

import torch


def from_axis_angle(v: torch.Tensor) -> torch.Tensor:
    """[..., 3] axis * angle (radians) -> [..., 4] unit quaternion with w >= 0."""
    angle = v.norm(dim=-1, keepdim=True)
    half = angle / 2
    # sin(half) / angle -> 1/2 as angle -> 0
    scale = torch.where(angle > 1e-8, torch.sin(half) / angle.clamp(min=1e-8), torch.full_like(angle, 0.5))
    return canonical(torch.cat([torch.cos(half), v * scale], -1))


def canonical(q: torch.Tensor) -> torch.Tensor:
    """Unit length, w >= 0."""
    q = q / q.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)


def multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The rotation b, then a (Hamilton product a * b)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        -1,
    )


def inverse(q: torch.Tensor) -> torch.Tensor:
    return q * torch.tensor([1.0, -1.0, -1.0, -1.0], dtype=q.dtype, device=q.device)


def to_axis_angle(q: torch.Tensor) -> torch.Tensor:
    """[..., 4] -> [..., 3] axis * angle, angle in [0, pi]."""
    q = canonical(q)
    w, v = q[..., :1].clamp(max=1.0), q[..., 1:]
    s = v.norm(dim=-1, keepdim=True)
    angle = 2 * torch.atan2(s, w)
    return torch.where(s > 1e-8, v * (angle / s.clamp(min=1e-8)), 2 * v)


def angle(q: torch.Tensor) -> torch.Tensor:
    """Rotation angle in radians, [0, pi]."""
    return to_axis_angle(q).norm(dim=-1)


def to_matrix(q: torch.Tensor) -> torch.Tensor:
    """[..., 4] -> [..., 3, 3]; applied to column vectors: p' = R p."""
    w, x, y, z = q.unbind(-1)
    return torch.stack(
        [
            torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def relative(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """The rotation that takes pose `first` to pose `second`: R2 R1^T, as axis * angle [..., 3]."""
    return to_axis_angle(multiply(second, inverse(first)))


def random_unit(n: int, g: torch.Generator) -> torch.Tensor:
    """n directions uniform on the sphere, [n, 3]."""
    v = torch.randn(n, 3, generator=g)
    return v / v.norm(dim=1, keepdim=True)
