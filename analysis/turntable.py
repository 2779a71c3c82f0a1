"""How a trained run reads the turn between two poses of a turntable, on training and held-out pairs.

    python -m analysis.turntable runs/coil      # a run folder of python -m ciper (its checkpoint.pt)
    python -m analysis.turntable results/coil_alpha/ray/<trial>   # a study's trial (its last checkpoint)

For pairs of poses within time_window (circular), on the training frames and on the
held-out ones: the R^2 of azimuth_change_r2's ridge read-out (fit on training pairs)
for sin(a2 - a1), and the correlation of the model's own prediction head with the turn
a2 - a1 it was trained to predict, overall and per object. A linear read-out of h2 - h1
sums to zero over a full turn, so one fit on the training arcs must read turns of the
other sign in the gaps between them, where the held-out poses lie (README, "Real
photographs"); this prints how far that goes for one run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ciper import checkpoint
from ciper.config import Config, ConfigError
from ciper.data import TimePairs, training_split
from ciper.heads import pair_features
from ciper.model import build_model
from ciper.probes import EVAL_SEED, encode, r2_scores, ridge_fit


def _pairs(data, window: int, g: torch.Generator):
    idx = torch.arange(len(data))
    partner = TimePairs(data, window).partners(idx, g)
    keep = partner != idx
    return idx[keep], partner[keep]


def _corr(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.corrcoef(torch.stack([a.double(), b.double()]))[0, 1].item()


@torch.no_grad()
def turn_readout(run_dir: Path) -> dict:
    """{side: {"readout_r2_sin", "head_corr", "head_corr_by_object"}} for side train and test."""
    found = sorted(run_dir.glob(f"checkpoint_*/{checkpoint.FILE_NAME}")) or [run_dir / checkpoint.FILE_NAME]
    if not found[-1].is_file():
        raise ConfigError(f"{run_dir} holds no {checkpoint.FILE_NAME}; give a run folder or a study's trial folder")
    state = checkpoint.load(found[-1])
    cfg = Config.from_dict(state["config"]).replace(device="cpu", compile=False)
    train_set, test_set = training_split(cfg)
    if not train_set.turns:
        raise ConfigError(f"{run_dir} was trained on {cfg.dataset}, not a turntable; use a coil100 or turntable run")
    model = build_model(cfg, train_set)
    model.load_state_dict(state["model"])
    model.eval()
    g = torch.Generator().manual_seed(EVAL_SEED)
    sides = {}
    for name, data in (("train", train_set), ("test", test_set)):
        h = encode(model.encoder, data.images, "cpu")
        idx, partner = _pairs(data, cfg.time_window, g)
        if len(idx) < 2:
            raise ConfigError(f"the {name} frames of {run_dir} hold fewer than two pairs within time_window")
        turn = data.pose_change(idx, partner)[:, data.pose_change_names.index("dazimuth")]
        head = model.predictor(h[idx], h[partner])[:, 0] if model.predictor is not None else None
        sides[name] = {"x": pair_features(h[idx], h[partner], cfg.head_input), "y": turn.double().sin()[:, None]}
        sides[name]["head_corr"] = _corr(head, turn) if head is not None else float("nan")
        sides[name]["head_corr_by_object"] = (
            [_corr(head[data.objects[idx] == o], turn[data.objects[idx] == o]) for o in range(data.num_objects)]
            if head is not None
            else []
        )
    fit = ridge_fit(sides["train"]["x"], sides["train"]["y"])
    for side in sides.values():
        side["readout_r2_sin"] = r2_scores(fit(side.pop("x")), side.pop("y")).item()
    return sides


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.turntable", description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path, help="a run folder of python -m ciper, or a study's trial folder")
    args = ap.parse_args(argv)
    try:
        sides = turn_readout(args.run_dir)
    except (ConfigError, checkpoint.CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for name, side in sides.items():
        by_object = side["head_corr_by_object"]
        head = (
            f"prediction head's correlation with the turn {side['head_corr']:+.3f} "
            f"({sum(c < -0.5 for c in by_object)} of {len(by_object)} objects below -0.5)"
            if by_object
            else "no prediction head"
        )
        print(f"{name} pairs: read-out R^2 sin(turn) {side['readout_r2_sin']:+.3f}; {head}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
