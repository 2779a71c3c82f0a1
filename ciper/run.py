"""One run from the command line: train, evaluate, write.

    python -m ciper --preset cpu --set alpha=0.3 --out runs/a03

writes runs/a03/config.json, runs/a03/metrics.json and runs/a03/checkpoint.pt.
Rerunning the same command resumes from the checkpoint. Studies (Ray Tune) call
`ciper.train.train` with their own per-epoch callback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ciper import checkpoint
from ciper.config import Config, ConfigError, resolve_path
from ciper.options import add_config_options, config_of
from ciper.probes import METRICS, evaluate, nan_notes
from ciper.records import code_version, write_json
from ciper.train import TrainingDiverged, train


def run(cfg: Config, out: str | Path, progress: bool = False) -> dict:
    """Train, evaluate and write out/config.json and out/metrics.json; returns the metrics.

    train_time is the training alone (resumed: this call's part), eval_time the evaluation."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    old = out / "config.json"
    if old.exists() and (out / checkpoint.FILE_NAME).exists():
        if json.loads(old.read_text()) != cfg.to_dict():
            raise ConfigError(
                f"{out} holds a run with a different config; use another --out, "
                f"or delete {out / checkpoint.FILE_NAME} to start over"
            )
    write_json(out / "config.json", cfg.to_dict())
    t0 = time.perf_counter()
    trained = train(cfg, out, progress=progress)
    train_time = time.perf_counter() - t0
    metrics = evaluate(trained)
    metrics.update(trained.history[-1])
    metrics.update(
        train_time=train_time,
        eval_time=time.perf_counter() - t0 - train_time,
        seed=cfg.seed,
        code_version=code_version(),
    )
    write_json(out / "metrics.json", {"metrics": metrics, "history": trained.history, "config": cfg.to_dict()})
    return metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m ciper", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_config_options(ap)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        cfg = config_of(args)
        if cfg.data_dir is not None:
            cfg = cfg.replace(data_dir=resolve_path(cfg.data_dir))
        metrics = run(cfg, args.out, progress=not args.no_progress)
    except (ConfigError, checkpoint.CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TrainingDiverged as e:
        print(f"error: training diverged: {e}", file=sys.stderr)
        return 1
    keys = [*METRICS, "loss", "train_time"]
    print("  ".join(f"{k}={metrics[k]:.3f}" for k in keys if isinstance(metrics.get(k), float)))
    for note in nan_notes(metrics):
        print(f"note: {note}")
    print(f"wrote {Path(args.out) / 'metrics.json'}")
    return 0
