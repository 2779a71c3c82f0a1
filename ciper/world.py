"""The built-in 3D world: objects that turn in depth, filmed in lit sessions, rendered by ray casting.

Why it looks the way it does (each choice keeps a downstream task informative):
- An object class is a composition of solid parts (ellipsoids and boxes with
  random sizes, offsets and orientations) plus two small marker spheres that
  break its symmetry, so its pose can be read from an image: a dark one on the
  object's top (+y) and a light one on its front (-z, towards the camera in the
  canonical pose). As in the flat world, the markers sit at the same places on
  every object, so a pose looks alike across classes. Every object has the same
  grey albedo, with dark bands across each part (its markings: an axis, a period
  and a phase per part, fixed per object, as a real object's print is): shape
  and markings tell the class, and colour tells nothing. (A colour per sequence
  let a colour histogram name the sequence, and with it the object; a colour per
  object let pooled pixels name the object on unseen sequences.)
- A pose is a full 3D rotation, at most MAX_ANGLE (60 degrees) from the
  object's canonical pose (3DIEBench keeps each Euler angle within 90 degrees),
  plus a scale and a position in the image. A sequence is one object in one
  session; its pose drifts smoothly, by small random rotations composed frame
  after frame (a step that would leave the range is reflected), and its scale
  and position drift as reflected random walks. Two frames of a sequence are a
  time-augmented pair whose rotation no 2D augmentation can produce.
- Sessions (like CORe50's) differ by the light's direction, colour and
  intensity, the ambient level and the backdrop's tint (its brightness varies
  per frame), with per-frame flicker and sensor noise: colour jitter removes part
  of that, the direction of the shading it cannot.
- Rendering (ciper/raycast.py): orthographic rays from every pixel (2x2
  supersampled, then averaged: anti-aliased edges), intersected analytically
  with every part in the part's own frame; Lambertian shading plus ambient.
  Vectorised in torch over images, parts and pixels, on the CPU or the GPU.

Ground truth per image: object, session, sequence, frame, the rotation as a
unit quaternion (w >= 0, `ImageSet.rotations`) and the pose columns

  rot_x, rot_y, rot_z   the quaternion's vector part / sin(MAX_ANGLE / 2), in [-1, 1]
  scale                 object size, -1 (smallest) .. 1 (largest)
  pos_x, pos_y          object centre, -1 .. 1 (left/top .. right/bottom of its range)

For a time pair the prediction target is the pose change (ImageSet.pose_change):
the relative rotation R2 R1^T as axis * angle (drot_x, drot_y, drot_z, radians)
and the change of scale and position.
"""

from __future__ import annotations

import argparse
import math
import sys

import torch

from ciper import rotations
from ciper.drawing import reflect
from ciper.imageset import ImageSet
from ciper.raycast import BOXES, ELLIPSOIDS, MARKERS, render

POSE_NAMES = ["rot_x", "rot_y", "rot_z", "scale", "pos_x", "pos_y"]
MAX_ANGLE = math.radians(60)  # geodesic distance of a pose from the canonical one
STEP_SD = 0.08  # per-frame rotation: axis-angle with this sd per axis (radians)
SCALE_RANGE = (0.8, 1.0)  # object radius, as a fraction of OBJECT_RADIUS
OBJECT_RADIUS = 0.85  # of the half image
PART_SPREAD = 0.6  # largest offset of a part's centre from the object's (before fitting the unit sphere)
SHIFT = 0.18  # largest centre offset, of the half image
TINT_JITTER = 0.03  # per-frame sd of the colour balance, around the session's
LIGHT_JITTER = 0.6  # per-frame sd of the light's azimuth (radians; a quarter of it for its tilt)
ALBEDO = 0.8  # every object's body, grey (its markings are darker)
STRIPE_PERIOD = (0.7, 1.2)  # a part's band period, as a fraction of its largest extent
MARKER_PLACES = ((0.0, -1.0, 0.0), (0.0, 0.0, -1.0))  # top (image y points down), front


def make_objects(n: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """n object classes: per part slot a centre, an orientation, a size (radii or half
    extents) and whether it is present; the markers are the MARKERS slots. Fits the unit sphere."""
    slots = len(ELLIPSOIDS) + len(BOXES) + len(MARKERS)
    body = list(ELLIPSOIDS) + list(BOXES)
    centre = rotations.random_unit(n * slots, g).view(n, slots, 3) * PART_SPREAD * torch.rand(n, slots, 1, generator=g)
    turn = rotations.canonical(torch.randn(n, slots, 4, generator=g))
    size = torch.empty(n, slots, 3)
    size[:, list(ELLIPSOIDS)] = 0.15 + 0.4 * torch.rand(n, len(ELLIPSOIDS), 3, generator=g)
    size[:, list(BOXES)] = 0.1 + 0.3 * torch.rand(n, len(BOXES), 3, generator=g)
    present = torch.ones(n, slots, dtype=torch.bool)
    present[:, ELLIPSOIDS[1]] = torch.rand(n, generator=g) < 0.7
    present[:, BOXES[1]] = torch.rand(n, generator=g) < 0.6
    # the markers: small spheres sticking out of the body at its top and its front
    extent = (centre.norm(dim=-1) + size.amax(-1))[:, body].masked_fill(~present[:, body], 0).amax(1)
    for slot, place in zip(MARKERS, MARKER_PLACES):
        centre[:, slot] = torch.tensor(place) * (0.85 * extent)[:, None]
        size[:, slot] = 0.13 * extent[:, None]
        turn[:, slot] = torch.tensor([1.0, 0, 0, 0])
    fit = (centre.norm(dim=-1) + size.amax(-1)).masked_fill(~present, 0).amax(1)  # bounding sphere
    # the body's markings: bands across each part, along an axis of its own, at a period of its own
    stripe_axis = rotations.random_unit(n * slots, g).view(n, slots, 3)
    stripe_period = STRIPE_PERIOD[0] + (STRIPE_PERIOD[1] - STRIPE_PERIOD[0]) * torch.rand(n, slots, generator=g)
    stripe_phase = 2 * math.pi * torch.rand(n, slots, generator=g)
    size = size / fit[:, None, None]
    return dict(
        centre=centre / fit[:, None, None],
        turn=turn,
        size=size,
        present=present,
        stripe_axis=stripe_axis,
        stripe_period=stripe_period * size.amax(-1),
        stripe_phase=stripe_phase,
    )


def make_sessions(n: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Light direction (azimuth and tilt off the viewing axis; each frame jitters them), colour,
    intensity, ambient, and the backdrop's tint (its brightness varies per frame, so it does not
    give the session away)."""
    azimuth = 2 * math.pi * (torch.arange(n) + torch.rand(n, generator=g)) / max(n, 1)
    return dict(
        azimuth=azimuth[torch.randperm(n, generator=g)],
        tilt=0.3 + 0.2 * torch.rand(n, generator=g),
        colour=1 + 0.14 * (torch.rand(n, 3, generator=g) - 0.5),
        intensity=0.65 + 0.3 * torch.rand(n, generator=g),
        ambient=0.2 + 0.12 * torch.rand(n, generator=g),
        tint=1 + 0.08 * (torch.rand(n, 3, generator=g) - 0.5),
    )


def drift_rotations(start: torch.Tensor, frames: int, g: torch.Generator) -> torch.Tensor:
    """[S, 4] start poses -> [S, frames, 4]: each frame composes a small random rotation with
    the last; a step that would leave MAX_ANGLE is taken backwards instead, or not at all."""
    out = [start]
    for _ in range(frames - 1):
        q = out[-1]
        step = STEP_SD * torch.randn(len(q), 3, generator=g)
        ahead = rotations.multiply(rotations.from_axis_angle(step), q)
        back = rotations.multiply(rotations.from_axis_angle(-step), q)
        ok_ahead = (rotations.angle(ahead) <= MAX_ANGLE)[:, None]
        ok_back = (rotations.angle(back) <= MAX_ANGLE)[:, None]
        out.append(rotations.canonical(torch.where(ok_ahead, ahead, torch.where(ok_back, back, q))))
    return torch.stack(out, 1)


def generate_world(
    objects: int = 10,
    sessions: int = 10,
    frames: int = 100,
    size: int = 32,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> ImageSet:
    """Every frame of every (object, session) sequence, with its ground truth; deterministic in seed
    (all randomness is drawn on the CPU; the device only renders)."""
    g = torch.Generator().manual_seed(seed)
    shapes, looks = make_objects(objects, g), make_sessions(sessions, g)
    n_seq = objects * sessions
    seq_object = torch.arange(n_seq) // sessions
    seq_session = torch.arange(n_seq) % sessions
    axis = rotations.random_unit(n_seq, g)
    start = rotations.from_axis_angle(axis * MAX_ANGLE * torch.rand(n_seq, 1, generator=g) ** (1 / 3))
    quat = drift_rotations(start, frames, g)  # [S, F, 4]
    lo, hi = SCALE_RANGE
    scale = reflect(
        lo
        + (hi - lo) * torch.rand(n_seq, 1, generator=g)
        + torch.cumsum(0.015 * torch.randn(n_seq, frames, generator=g), 1),
        lo,
        hi,
    )
    pos = reflect(
        2 * torch.rand(n_seq, 1, 2, generator=g)
        - 1
        + torch.cumsum(0.05 * torch.randn(n_seq, frames, 2, generator=g), 1),
        -1.0,
        1.0,
    )
    body = torch.full((n_seq, 3), ALBEDO)
    flicker = 1 + 0.1 * torch.randn(n_seq * frames, generator=g)
    backdrop_level = 0.25 + 0.3 * torch.rand(n_seq * frames, generator=g)  # per frame, not per session
    light_jitter = torch.randn(n_seq * frames, 2, generator=g) * torch.tensor([LIGHT_JITTER, LIGHT_JITTER / 4])
    noise_seed = int(torch.randint(2**31 - 1, (1,), generator=g))

    obj, ses = seq_object.repeat_interleave(frames), seq_session.repeat_interleave(frames)
    seq = torch.arange(n_seq).repeat_interleave(frames)
    frame = torch.arange(frames).repeat(n_seq)
    quat, scale, pos = quat.reshape(-1, 4), scale.reshape(-1), pos.reshape(-1, 2)
    # colours wander per frame around the session's (a camera's white balance drifting; applied below)
    tint_jitter = 1 + TINT_JITTER * torch.randn(n_seq * frames, 3, generator=g)
    backdrop = backdrop_level[:, None] * looks["tint"][ses]
    azimuth = looks["azimuth"][ses] + light_jitter[:, 0]
    tilt = (looks["tilt"][ses] + light_jitter[:, 1]).clamp(0.05, 1.2)
    light_dir = torch.stack([tilt.sin() * azimuth.cos(), tilt.sin() * azimuth.sin(), -tilt.cos()], 1)
    per_image = dict(
        object=obj,
        session=ses,
        quat=quat,
        scale=scale * OBJECT_RADIUS,
        shift=pos * SHIFT,
        body=body[seq],
        backdrop=backdrop,
        light_dir=light_dir,
    )
    img = render(shapes, looks, per_image, size, device)
    noise = torch.randn(img.shape, generator=torch.Generator().manual_seed(noise_seed))
    img = img * (flicker[:, None] * tint_jitter)[:, :, None, None] + 0.02 * noise
    images = (img.clamp(0, 1) * 255).round().to(torch.uint8)
    poses = torch.cat([quat[:, 1:] / math.sin(MAX_ANGLE / 2), ((scale - lo) / (hi - lo) * 2 - 1)[:, None], pos], 1)
    return ImageSet(
        images=images,
        objects=obj,
        sessions=ses,
        poses=poses,
        pose_names=list(POSE_NAMES),
        sequences=seq,
        frame_index=frame,
        rotations=quat,
        name="world",
    )


def gallery(path: str, objects: int = 6, sessions: int = 3, poses: int = 4, size: int = 64, seed: int = 0) -> str:
    """A PNG grid: a row per object, per session a block of `poses` frames spread over its sequence."""
    from torchvision.utils import save_image

    frames = 200
    world = generate_world(objects=objects, sessions=sessions, frames=frames, size=size, seed=seed)
    picks = torch.linspace(0, frames - 1, poses).long()
    rows = []
    for o in range(objects):
        for s in range(sessions):
            base = (o * sessions + s) * frames
            rows.append(world.images[base + picks])
    grid = torch.stack(rows).view(objects, sessions * poses, 3, size, size).flatten(0, 1)
    save_image(grid.float() / 255, path, nrow=sessions * poses, padding=2, pad_value=1.0)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ciper.world", description="Draw the built-in 3D world.")
    ap.add_argument("--gallery", required=True, metavar="FILE.png", help="where to write the picture")
    ap.add_argument("--objects", type=int, default=6)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--poses", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    for name in ("objects", "sessions", "poses"):
        if getattr(args, name) < 1:
            print(f"error: --{name} {getattr(args, name)} must be >= 1", file=sys.stderr)
            return 2
    if args.size < 8:
        print(f"error: --size {args.size} must be >= 8", file=sys.stderr)
        return 2
    print(gallery(args.gallery, args.objects, args.sessions, args.poses, args.size, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
