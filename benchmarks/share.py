"""Several CIPER trainings sharing one GPU, as fractional-GPU trials do, against one alone.

Each of N processes builds its own model and runs the full CIPER step for
--seconds once all are ready; the figure is total views/s of the N together
against one process alone (run first, same settings). A ratio above 1 means a
small model leaves the GPU idle and packing trials onto it pays.

    python benchmarks/share.py [--processes 4] [--batch 128] [--encoder small_cnn] [--json out.json]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

from _common import peak_memory, report, sync


def _worker(args, ready, start, results):
    from step import build_steps

    _, ciper_step, dev = build_steps(args.encoder, args.batch, args.device)
    for _ in range(5):
        ciper_step()
    sync(dev)
    ready.wait()
    start.wait()
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        ciper_step()
        steps += 1
    sync(dev)
    results.put((2 * args.batch * steps / (time.perf_counter() - t0), peak_memory(dev)))


def run(args, n: int) -> tuple[float, dict]:
    ctx = mp.get_context("spawn")
    ready, start, results = ctx.Barrier(n + 1), ctx.Barrier(n + 1), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(args, ready, start, results)) for _ in range(n)]
    for p in procs:
        p.start()
    ready.wait()  # every process has built its model and warmed up
    start.wait()
    out = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(v for v, _ in out), out[0][1]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--encoder", default="small_cnn")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--device", default=None, help="cuda when there is one, else cpu")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    alone, mem1 = run(args, 1)
    shared, memn = run(args, args.processes)
    common = {"encoder": args.encoder, "batch": args.batch}
    rows = [
        {"processes": 1, **common, "views_per_s_total": alone, **mem1},
        {"processes": args.processes, **common, "views_per_s_total": shared, "ratio_to_alone": shared / alone, **memn},
    ]
    report("CIPER trainings sharing one device", rows, args.json)


if __name__ == "__main__":
    main()
