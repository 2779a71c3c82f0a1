"""A small study's fixed cost: the wall time of a whole study command of two short trials,
with Tune's callback telemetry skipped (a study's default) and as Ray runs it (telemetry on,
RAY_USAGE_STATS_ENABLED=1), which imports every tracker Tune knows of at each fit.

The two settings alternate round by round, each command in a new process with its own Ray,
so both see the same drift of a shared machine.

    python benchmarks/startup.py [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import median, report

STUDY = """
from ciper.study import Study
from studies import main

STUDY = Study(name="startup", question="fixed cost", space=lambda preset: {"alpha": [0.0, 1.0]},
              seeds=1, report="alpha_sweep", references=())

if __name__ == "__main__":
    main(STUDY)
"""
ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"telemetry skipped": "0", "telemetry on": "1"}


def one_study(study_file: Path, storage: Path, telemetry: str) -> float:
    cmd = [sys.executable, str(study_file), "--preset", "smoke", "--storage", str(storage), "--fresh"]
    cmd += ["--set", "epochs=2", "world_frames=20", "eval_images=100"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": telemetry, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"the study failed (exit {p.returncode}): {p.stderr.strip().splitlines()[-1:]}")
    return wall


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ciper-startup-") as tmp:
        study_file = Path(tmp) / "startup.py"
        study_file.write_text(STUDY)
        os.environ.setdefault("CIPER_CACHE_DIR", str(Path(tmp) / "cache"))
        one_study(study_file, Path(tmp) / "storage", "0")  # the world's cache, built once, untimed
        walls = {name: [] for name in SETTINGS}
        for _ in range(args.rounds):
            for name, telemetry in SETTINGS.items():
                walls[name].append(one_study(study_file, Path(tmp) / "storage", telemetry))
    rows = [
        {"setting": name, "rounds": len(w), "median_wall_s": median(w), "min_s": min(w), "max_s": max(w)}
        for name, w in walls.items()
    ]
    ratios = [on / off for on, off in zip(walls["telemetry on"], walls["telemetry skipped"])]
    rows.append({"setting": "on / skipped (paired by round)", "rounds": len(ratios), "median_wall_s": median(ratios)})
    report("a small study's wall time (2 trials of 2 epochs, smoke preset)", rows, args.json)


if __name__ == "__main__":
    main()
