"""A folder dataset decoded once: a first and a later trial's time to their first training step.

Each trial is a fresh process (`python -c`, imports included) that trains one step of
the given preset on the folder (`train` with one batch of training frames): the first
with an empty cache (CIPER_CACHE_DIR in a new temporary folder), so it decodes every
image; the later ones with the cache the first one wrote. Also the cache file's size,
and the in-process load of the dataset from the cache (read + digest check).

    python benchmarks/folder_cache.py --data-dir ../shared/data/coil-100 [--preset coil]
        [--set image_size=64 ...] [--repeats 3] [--json out.json]
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

from ciper.config import parse_overrides, preset

ROOT = Path(__file__).resolve().parent.parent
TRIAL = """
import json, sys, time
from ciper.config import Config
from ciper.train import train
cfg = Config.from_dict(json.loads(sys.argv[1]))
done = {}
train(cfg, on_epoch=lambda m, t: done.setdefault("t", time.time()))
t = time.perf_counter()
from ciper.datasets import load_dataset
load_dataset(cfg)
print(json.dumps({"first_step_at": done["t"], "load_s": time.perf_counter() - t}))
"""


def trial(cfg_json: str, env: dict) -> dict:
    """Seconds from the process's start to its first step done, and its in-process load time."""
    t = time.time()
    p = subprocess.run([sys.executable, "-c", TRIAL, cfg_json], cwd=ROOT, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"error: the trial failed: {p.stderr.strip().splitlines()[-1]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    return {"to_first_step_s": out["first_step_at"] - t, "load_s": out["load_s"]}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True, help="the folder (COIL-100: its obj<K>__<A>.png files)")
    ap.add_argument("--preset", default="coil")
    ap.add_argument("--set", nargs="*", action="extend", default=[], metavar="KEY=VALUE")
    ap.add_argument("--repeats", type=int, default=3, help="later trials (median)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    cfg = preset(args.preset, **{"data_dir": os.path.abspath(args.data_dir), **parse_overrides(args.set)})
    cfg = cfg.replace(epochs=1, max_train_images=cfg.batch_size)
    cache = tempfile.mkdtemp(prefix="ciper-bench-cache-")
    env = {**os.environ, "CIPER_CACHE_DIR": cache}
    first = trial(cfg.to_json(), env)
    later = [trial(cfg.to_json(), env) for _ in range(args.repeats)]
    files = list(Path(cache).glob("folders/*.pt"))
    row = {
        "dataset": cfg.dataset,
        "image_size": cfg.image_size,
        "first_trial_to_step_s": first["to_first_step_s"],
        "later_trial_to_step_s": median([t["to_first_step_s"] for t in later]),
        "cache_hit_load_s": median([t["load_s"] for t in later + [first]]),
        "cache_mib": sum(f.stat().st_size for f in files) / 2**20,
    }
    report(f"folder dataset, first and later trial ({args.data_dir})", [row], args.json)


if __name__ == "__main__":
    main()
