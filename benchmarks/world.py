"""Generating the built-in worlds, and reading them back from the cache.

For each world (3D and flat) at the default size (10 objects x 5 sessions x 200
frames = 10,000 images of 32x32): the time to generate it (median of --repeats
fresh builds, no cache), the time of a cache miss (build + write) and of a cache
hit (read + digest check), and the file's size. Targets: 3D generation <= 10 s on
2 CPU cores; a hit well under a second.

    python benchmarks/world.py [--device cpu|cuda] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import median, peak_memory, report

from ciper.config import Config
from ciper.datasets import load_dataset


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu", help="where the 3D world is rendered")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--objects", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=5)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from ciper import flatworld, world

    params = dict(objects=args.objects, sessions=args.sessions, frames=args.frames, size=args.size)
    rows = []
    for name, module in (("world", world), ("flatworld", flatworld)):
        extra = {"device": args.device} if name == "world" else {}
        builds = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            module.generate_world(**params, **extra)
            builds.append(time.perf_counter() - t)
        os.environ["CIPER_CACHE_DIR"] = tempfile.mkdtemp(prefix="ciper-bench-cache-")
        cfg = Config(
            dataset=name,
            world_objects=args.objects,
            world_sessions=args.sessions,
            world_frames=args.frames,
            image_size=args.size,
        )
        t = time.perf_counter()
        data = load_dataset(cfg)
        miss = time.perf_counter() - t
        hits = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            load_dataset(cfg)
            hits.append(time.perf_counter() - t)
        files = list((Path(os.environ["CIPER_CACHE_DIR"]) / "worlds").glob("*.pt"))
        rows.append(
            {
                "world": name,
                "images": len(data),
                "generate_s": median(builds),
                "cache_miss_s": miss,
                "cache_hit_s": median(hits),
                "file_mib": sum(f.stat().st_size for f in files) / 2**20,
            }
        )
    report("built-in worlds: generation and cache", [{**r, **peak_memory(args.device)} for r in rows], args.json)


if __name__ == "__main__":
    main()
