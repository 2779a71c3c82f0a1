"""How far a held-out frame's pose is from the nearest pose training saw of the same object.

    python -m analysis.pose_gap                      # the cpu preset's world and split
    python -m analysis.pose_gap --preset smoke --set world_seed=1

The split holds out whole sequences, but every object is also trained on in other
sessions, so a held-out frame may show a pose that training saw, under other light. For
each held-out frame this takes the 3D rotation angle (degrees) to the nearest training
frame of the same object; as a yardstick, the same for each training frame to the nearest
training frame of the same object in another sequence. If the two distributions are
alike, the held-out poses are no further from training than training poses are from one
another: object_acc measures re-identification at known poses, not at new ones.
"""

from __future__ import annotations

import argparse
import sys

import torch

from ciper import rotations
from ciper.config import ConfigError
from ciper.data import training_split
from ciper.options import add_config_options, config_of


def rotation_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """float64 [len(a), len(b)]: the angle (degrees) of the rotation between unit quaternions."""
    return torch.rad2deg(rotations.relative(a.double()[:, None], b.double()[None]).norm(dim=-1))


def nearest_training_angle(train, test) -> dict[str, torch.Tensor]:
    """{'held-out': per held-out frame, 'training': per training frame (other sequences only)}:
    the angle to the nearest training frame of the same object."""
    out = {"held-out": [], "training": []}
    for o in train.objects.unique():
        tr, te = train.objects == o, test.objects == o
        q_tr, seq_tr = train.rotations[tr], train.sequences[tr]
        if te.any():
            out["held-out"].append(rotation_angles(test.rotations[te], q_tr).min(1).values)
        within = rotation_angles(q_tr, q_tr)
        within[seq_tr[:, None] == seq_tr[None, :]] = float("inf")  # another sequence only
        nearest = within.min(1).values
        out["training"].append(nearest[nearest.isfinite()])  # objects with one training sequence have none
    return {k: torch.cat(v) for k, v in out.items() if v and sum(map(len, v))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_options(ap)
    args = ap.parse_args(argv)
    try:
        cfg = config_of(args)
        train, test = training_split(cfg)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if train.rotations is None or train.sequences is None:
        print(f"error: {train.name} has no 3D rotations or sequences; use a built-in 3D world", file=sys.stderr)
        return 2
    gaps = nearest_training_angle(train, test)
    print(f"{cfg.dataset} world_seed={cfg.world_seed}, split={cfg.split}: nearest training pose of the same object")
    print("frames | n | median | 90th pct | max (degrees)")
    for name, g in gaps.items():
        q = torch.quantile(g, torch.tensor([0.5, 0.9], dtype=g.dtype))
        print(f"{name} | {len(g)} | {q[0]:.2f} | {q[1]:.2f} | {g.max():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
