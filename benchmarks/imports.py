"""What a trial's process pays to import before it trains: the modules a Ray worker imports
(ciper.study.trainable, ciper.train, ciper.probes), as they are, and with torchvision imported
too (as ciper.encoders did at its top before it imported torchvision only for the resnet18).

Each import runs in a new interpreter; the two alternate round by round, so both see the same
drift of a shared machine.

    python benchmarks/imports.py [--rounds 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _common import median, report

ROOT = Path(__file__).resolve().parent.parent
WORKER = "ciper.study.trainable, ciper.train, ciper.probes"
SETTINGS = {"the worker's modules": WORKER, "the same, and torchvision": f"{WORKER}, torchvision"}
TIMED = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"


def one_import(modules: str) -> float:
    p = subprocess.run([sys.executable, "-c", TIMED.format(modules)], cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"the import failed: {p.stderr.strip().splitlines()[-1:]}")
    return float(p.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    one_import(SETTINGS["the same, and torchvision"])  # the file cache warm for both, untimed
    seconds = {name: [] for name in SETTINGS}
    for _ in range(args.rounds):
        for name, modules in SETTINGS.items():
            seconds[name].append(one_import(modules))
    rows = [
        {"imports": name, "rounds": len(s), "median_s": median(s), "min_s": min(s), "max_s": max(s)}
        for name, s in seconds.items()
    ]
    with_tv, without = seconds["the same, and torchvision"], seconds["the worker's modules"]
    rows.append(
        {
            "imports": "with / without (paired by round)",
            "rounds": args.rounds,
            "median_s": median([a / b for a, b in zip(with_tv, without)]),
        }
    )
    report("a trial process's imports", rows, args.json)


if __name__ == "__main__":
    main()
