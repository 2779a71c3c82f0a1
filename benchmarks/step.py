"""The full CIPER step against the bare encoder on the same number of views.

CIPER step: augment two views on the device, encoder forward and backward,
both heads, both losses, optimiser step. Bare: encoder forward + backward of
the same 2B views (loss = mean(h^2)) and an optimiser step. Views/s for each;
the ratio is what augmentation + heads + losses cost. On CUDA: bf16 autocast
and channels_last, as the training loop uses them; --compile adds torch.compile.

    python benchmarks/step.py [--encoder small_cnn|resnet18] [--batch 256] [--json out.json]
"""
from __future__ import annotations

import argparse

from _common import peak_memory, report, timed

import torch

from ciper.augment import Pipeline
from ciper.config import Config
from ciper.data import TimePairs, split
from ciper.model import CIPER
from ciper.train import make_views, target_groups
from ciper.world import generate_world


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="small_cnn")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--latent-dim", type=int, default=None)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    dev = torch.device(args.device)
    latent = args.latent_dim or (512 if args.encoder == "resnet18" else 64)
    cfg = Config(encoder=args.encoder, latent_dim=latent, batch_size=args.batch, device=args.device,
                 head_hidden=2048 if args.encoder == "resnet18" else 256)
    data, _ = split(generate_world(), 0.2, 0)
    images = data.images.to(dev)
    pairs, pipeline = TimePairs(data, cfg.time_window), Pipeline.from_config(cfg)
    g = torch.Generator().manual_seed(0)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)
    fmt = torch.channels_last if dev.type == "cuda" else torch.contiguous_format

    torch.manual_seed(0)
    model = CIPER(cfg, target_groups(cfg, data)).to(dev, memory_format=fmt)
    bare = CIPER(cfg, target_groups(cfg, data)).encoder.to(dev, memory_format=fmt)
    if args.compile:
        model.encoder = torch.compile(model.encoder)
        bare = torch.compile(bare)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    opt_bare = torch.optim.AdamW(bare.parameters(), 1e-3)

    def ciper_step():
        idx = torch.randint(len(data), (args.batch,), generator=g)
        v1, v2, r = make_views(images, data.views, idx, pairs.partners(idx, g), pipeline, g)
        with amp:
            loss = model.losses(v1.contiguous(memory_format=fmt), v2.contiguous(memory_format=fmt), r)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    fixed = images[: 2 * args.batch].float().div(255).contiguous(memory_format=fmt)

    def bare_step():
        with amp:
            loss = bare(fixed).float().pow(2).mean()
        opt_bare.zero_grad(set_to_none=True)
        loss.backward()
        opt_bare.step()

    t_bare = timed(bare_step, dev, warmup=3, repeats=args.repeats)
    t_ciper = timed(ciper_step, dev, warmup=3, repeats=args.repeats)
    views = 2 * args.batch
    rows = [{"step": "bare encoder fwd+bwd", "encoder": args.encoder, "batch": args.batch, "compile": args.compile,
             "views_per_s": views / t_bare},
            {"step": "full CIPER step", "encoder": args.encoder, "batch": args.batch, "compile": args.compile,
             "views_per_s": views / t_ciper, "ratio_to_bare": t_bare / t_ciper, **peak_memory(dev)}]
    report("CIPER step against the bare encoder", rows, args.json)


if __name__ == "__main__":
    main()
