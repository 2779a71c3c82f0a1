"""Which precision trains fastest here: the full CIPER step in fp32 against bf16 autocast.

The training step of benchmarks/step.py (gather pairs, augment, encoder, both heads,
both losses, AdamW) in alternating blocks of the two precisions, at each thread count
asked for (1 thread is the study setting: a trial per core). `Config.precision=auto`
picks bf16 where the hardware computes it natively (`ciper.device.native_bf16`); this
measures whether that pays here. bf16 where it is emulated (no AVX-512 BF16 or AMX) is
measured too when asked for, as a warning of what forcing it costs.

    python benchmarks/precision.py [--encoder small_cnn] [--batch 128] [--threads 1 2] [--json out.json]
"""

from __future__ import annotations

import argparse

import torch
from _common import median, peak_memory, report, side_by_side
from step import build_steps

from ciper.device import native_bf16


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default="small_cnn")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--device", default=None, help="cuda when there is one, else cpu")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        fns, dev = {}, None
        for precision in ("fp32", "bf16"):
            _, fns[precision], dev = build_steps(args.encoder, args.batch, args.device, precision=precision)
        t = side_by_side(fns, dev, rounds=args.rounds, calls=args.calls)
        ratios = [a / b for a, b in zip(t["fp32"], t["bf16"])]
        for precision in fns:
            row = {
                "encoder": args.encoder,
                "batch": args.batch,
                "threads": threads,
                "precision": precision,
                "native_bf16": native_bf16(dev),
                "views_per_s": 2 * args.batch / median(t[precision]),
            }
            if precision == "bf16":
                row.update(speedup=median(ratios), speedup_min=min(ratios), speedup_max=max(ratios))
            rows.append(row)
    rows[-1].update(peak_memory(dev))
    report("full CIPER step: fp32 against bf16 autocast", rows, args.json)


if __name__ == "__main__":
    main()
