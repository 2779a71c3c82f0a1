"""Which memory layout trains the encoder fastest here: contiguous (NCHW) or channels_last (NHWC)?

The encoder's forward + backward + AdamW step on a batch of random images, in
alternating blocks of the two layouts (as benchmarks/step.py alternates bare and
CIPER steps), at each thread count asked for (1 thread is the study setting: a
trial per core). `Config.memory_format=auto` uses the layout this measured fastest.

    python benchmarks/layout.py [--encoder small_cnn] [--batch 256] [--threads 1 2] [--json out.json]
"""

from __future__ import annotations

import argparse

import torch
from _common import median, peak_memory, report, side_by_side

from ciper.device import fast_kernels
from ciper.encoders import build_encoder

LAYOUTS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


def steps(encoder: str, batch: int, device: torch.device) -> dict:
    fns = {}
    for name, layout in LAYOUTS.items():
        torch.manual_seed(0)
        enc = build_encoder(encoder, 512 if encoder == "resnet18" else 128).to(device, memory_format=layout)
        opt = torch.optim.AdamW(enc.parameters(), 1e-3, **fast_kernels(device))
        x = torch.rand(batch, 3, 32, 32, device=device).contiguous(memory_format=layout)

        def step(enc=enc, opt=opt, x=x):
            loss = enc(x).float().pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        fns[name] = step
    return fns


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="small_cnn")
    ap.add_argument("--batch", type=int, default=256, help="images per step (a CIPER batch of 128 pairs)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    dev = torch.device(args.device)
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        t = side_by_side(steps(args.encoder, args.batch, dev), dev, rounds=args.rounds, calls=args.calls)
        ratios = [a / b for a, b in zip(t["contiguous"], t["channels_last"])]
        for name in LAYOUTS:
            rows.append(
                {
                    "encoder": args.encoder,
                    "threads": threads,
                    "layout": name,
                    "views_per_s": args.batch / median(t[name]),
                    **(
                        {"speedup": median(ratios), "speedup_min": min(ratios), "speedup_max": max(ratios)}
                        if name == "channels_last"
                        else {}
                    ),
                }
            )
    report(
        "encoder layout: fwd + bwd + AdamW, alternating blocks", [{**r, **peak_memory(dev)} for r in rows], args.json
    )


if __name__ == "__main__":
    main()
