"""The training step of this checkout against an older commit's, side by side on this machine.

Each commit's own `ciper.train.train` trains the same config (its own code: augmentation,
layout, model, losses, optimiser), one process per run, and the per-step time is its
last epoch's `epoch_time` / steps (the first epochs warm caches and the allocator).
Runs of the two commits alternate, `--rounds` of each, so a drift in this shared
machine's speed hits both alike; the speed-up is the median over rounds of
old step time / new step time, with its range.

    python benchmarks/versus.py --base d07691b [--rounds 5] [--set threads=1 ...] [--json out.json]

The base is exported with `git archive` into a temporary folder (nothing in this
checkout changes). The default config is the study setting on the flat world that both
commits have: the `cpu` preset, 1 thread, 2 epochs. Set values that only one side
knows with --base-set / --head-set (the flat world is `dataset=world` before the 3D
world came, `dataset=flatworld` after).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import median, report

from ciper.config import ConfigError, parse_overrides
from ciper.records import code_version

REPO = Path(__file__).resolve().parents[1]

# run inside one tree: train the config, print each epoch's time and the steps per epoch as JSON
DRIVER = """
import json, sys
from ciper.config import preset
from ciper.train import train
overrides = json.loads(sys.argv[1])
cfg = preset(overrides.pop("preset"), **overrides)
t = train(cfg)
steps = max(1, len(t.train_set) // cfg.batch_size)
precision = t.history[-1].get("precision", "fp32")  # commits before the precision setting ran fp32 on the CPU
print(json.dumps({"epoch_time": [h["epoch_time"] for h in t.history], "steps": steps, "batch": cfg.batch_size,
                  "precision": precision}))
"""


def export(commit: str, into: Path) -> Path:
    """The tree of `commit` as plain files under `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True, check=False)
    if archive.returncode != 0:
        sys.exit(f"error: cannot export commit {commit!r}: {archive.stderr.decode().strip()}")
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def step_time(tree: Path, overrides: dict) -> tuple[float, int, str]:
    """(seconds per training step of the last epoch, batch size, precision), trained by the code in `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(overrides)], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"error: training in {tree} failed:\n{done.stderr.strip()[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["epoch_time"][-1] / out["steps"], out["batch"], out["precision"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="d07691b", help="the older commit (default: d07691b)")
    ap.add_argument("--rounds", type=int, default=5, help="runs of each commit, alternating")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument(
        "--set", nargs="*", default=["threads=1", "epochs=2"], metavar="KEY=VALUE", help="config for both sides"
    )
    ap.add_argument("--base-set", nargs="*", default=["dataset=world"], metavar="KEY=VALUE")
    ap.add_argument("--head-set", nargs="*", default=["dataset=flatworld"], metavar="KEY=VALUE")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    try:  # values stay text: each commit's Config.from_dict reads them as the training CLI does
        common = {"preset": args.preset, **parse_overrides(args.set)}
        sides = {
            "base": {**common, **parse_overrides(args.base_set)},
            "head": {**common, **parse_overrides(args.head_set)},
        }
    except ConfigError as e:
        sys.exit(f"error: {e}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"base": export(args.base, Path(tmp) / "base"), "head": REPO}
        times, precision = {"base": [], "head": []}, {}
        for r in range(args.rounds):
            for side in ("base", "head") if r % 2 == 0 else ("head", "base"):
                seconds, batch, precision[side] = step_time(trees[side], sides[side])
                times[side].append(seconds)
                print(f"round {r + 1}: {side} {times[side][-1] * 1000:.1f} ms/step", flush=True)
    speedups = [b / h for b, h in zip(times["base"], times["head"])]
    rows = [
        {
            "commit": args.base if side == "base" else code_version(),
            "config": " ".join(f"{k}={v}" for k, v in sides[side].items()),
            "precision": precision[side],
            "ms_per_step": 1000 * median(times[side]),
            "views_per_s": 2 * batch / median(times[side]),
        }
        for side in ("base", "head")
    ]
    rows[1].update(speedup=median(speedups), speedup_min=min(speedups), speedup_max=max(speedups))
    report(f"training step: this checkout against {args.base}", rows, args.json)


if __name__ == "__main__":
    main()
