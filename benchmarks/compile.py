"""Does torch.compile pay back within one trial here, in the study setting?

The study setting: 1 thread per trial, a worker process that Ray Tune reuses for
trial after trial, and inductor's on-disk cache shared by the machine's workers.
So the encoder is compiled as `Config.compile` does it, and its cost is measured
three ways: in a fresh worker on an empty cache (the first trial on a machine), on
the next trial in the same worker (a fresh model, same process), and in a new
worker on the cache the first one left. The steady step, compiled against eager,
alternates in blocks (as benchmarks/step.py). It pays back when the steps of one
trial (the preset's epochs x steps per epoch) save more than the compile costs.

    python benchmarks/compile.py [--preset cpu] [--precision fp32 bf16] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import median, report

HERE = Path(__file__).resolve().parent


def worker(preset_name: str, precision: str, trials: int) -> list[dict]:
    """In this process: `trials` fresh models, each compiled; its compile time and steady steps.
    The step is benchmarks/step.py's CIPER step at the preset's encoder, batch and latent size."""
    import torch
    from _common import side_by_side
    from step import build_steps

    from ciper.config import preset
    from ciper.data import training_split

    cfg = preset(preset_name, threads=1, precision=precision, device="cpu")
    torch.set_num_threads(1)
    steps_per_trial = cfg.epochs * max(1, len(training_split(cfg)[0]) // cfg.batch_size)

    def make(compiled: bool):
        shape = dict(encoder=cfg.encoder, batch=cfg.batch_size, device="cpu", latent_dim=cfg.latent_dim)
        _, ciper_step, _ = build_steps(**shape, compile=compiled, precision=precision)
        return ciper_step

    rows = []
    for _ in range(trials):
        eager, compiled = make(False), make(True)
        t0 = time.perf_counter()
        eager()
        first_eager = time.perf_counter() - t0
        t0 = time.perf_counter()
        compiled()
        first_compiled = time.perf_counter() - t0
        t = side_by_side({"eager": eager, "compiled": compiled}, "cpu", rounds=5, calls=5)
        rows.append(
            {
                "compile_s": first_compiled - first_eager,
                "eager_ms": 1000 * median(t["eager"]),
                "compiled_ms": 1000 * median(t["compiled"]),
                "steps_per_trial": steps_per_trial,
            }
        )
    return rows


def run_worker(preset_name: str, precision: str, trials: int, cache: Path) -> list[dict]:
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(cache)}
    cmd = [sys.executable, str(HERE / "compile.py"), "--worker", str(trials), "--preset", preset_name]
    done = subprocess.run([*cmd, "--precision", precision], env=env, capture_output=True, text=True, cwd=HERE)
    if done.returncode != 0:
        sys.exit(f"error: the compile worker failed:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    ap.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)  # internal: run N trials, print JSON
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.preset, args.precision[0], args.worker)))
        return
    rows = []
    for precision in args.precision:
        with tempfile.TemporaryDirectory() as cache:
            first, reused = run_worker(args.preset, precision, 2, Path(cache))
            (warm,) = run_worker(args.preset, precision, 1, Path(cache))
        for case, r in [("new worker, empty cache", first), ("same worker, next trial", reused)]:
            rows.append({"precision": precision, "case": case, **r})
        rows.append({"precision": precision, "case": "new worker, warm cache", **warm})
    for r in rows:
        saved = r["steps_per_trial"] * (r["eager_ms"] - r["compiled_ms"]) / 1000
        r.update(speedup=r["eager_ms"] / r["compiled_ms"], saved_per_trial_s=saved, pays_back=saved > r["compile_s"])
    report("torch.compile in the study setting (1 thread per trial)", rows, args.json)


if __name__ == "__main__":
    main()
