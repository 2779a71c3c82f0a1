"""Study efficiency: how much of the machine's time goes into training.

efficiency = sum of trial times / (fit wall time x concurrent slots), where a
trial's time runs from its first line of work (data, training, evaluation) to
its last report, and slots = min(trials, CPUs / cpus-per-trial). Ray start-up
and the per-trial overhead (scheduling, worker start, reporting) are given
separately.

    python benchmarks/study.py --study alpha_sweep --preset smoke [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import tempfile
import time

import torch
from _common import report


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--study", default="alpha_sweep")
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--cpus-per-trial", type=float, default=1.0)
    ap.add_argument("--gpus-per-trial", default="0", help="a GPU share per trial, or auto (GPU machines)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from ciper.study import run_study
    from ciper.study.runner import ray_environment

    ray_environment()
    import ray

    study = importlib.import_module(f"studies.{args.study}").STUDY
    storage = tempfile.mkdtemp(prefix="ciper-bench-")
    cpus = os.cpu_count()
    t = time.perf_counter()
    gpus = torch.cuda.device_count()
    ray.init(num_cpus=cpus, num_gpus=gpus, include_dashboard=False, configure_logging=False, log_to_driver=False)
    ray_start = time.perf_counter() - t
    try:
        argv = ["--preset", args.preset, "--storage", storage, "--cpus-per-trial", str(args.cpus_per_trial)]
        argv += ["--gpus-per-trial", args.gpus_per_trial]
        if args.seeds:
            argv += ["--seeds", str(args.seeds)]
        t = time.perf_counter()
        run = run_study(study, argv)
        total = time.perf_counter() - t
    finally:
        ray.shutdown()
    trials, study_dir = run.trials, run.study_dir
    recorded = json.loads((study_dir / "run.json").read_text())
    fit, share = recorded["fit_seconds"], recorded["gpus_per_trial"]
    slots = min(len(trials), int(cpus // args.cpus_per_trial))
    if share > 0:  # on a GPU, the GPU share bounds the slots too
        slots = min(slots, int(gpus / share + 1e-9))
    utilisation = recorded.get("gpu_utilisation") or {}
    busy = float(trials.trial_time.sum())
    rows = [
        {
            "study": args.study,
            "preset": args.preset,
            "trials": len(trials),
            "slots": slots,
            "ray_start_s": ray_start,
            "fit_wall_s": fit,
            "tables_s": total - fit,
            "trial_time_sum_s": busy,
            "efficiency": busy / (fit * slots),
            "overhead_per_trial_s": (fit * slots - busy) / len(trials),
            "gpus_per_trial": share,
            "gpu_util_mean_percent": (utilisation.get("mean_percent") or [None])[0],
        }
    ]
    shutil.rmtree(storage, ignore_errors=True)
    report("study efficiency", rows, args.json)


if __name__ == "__main__":
    main()
