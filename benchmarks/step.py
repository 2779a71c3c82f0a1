"""The full CIPER step against the bare encoder on the same number of views.

CIPER step: gather a batch of pairs, augment both views on the device, encoder
forward and backward, both heads, both losses, optimiser step. Bare: gather 2B
images the same way, encoder forward + backward (loss = mean(h^2)) and an
optimiser step of the encoder alone. Views/s for each;
the ratio is what augmentation + heads + losses cost. The two alternate in
blocks (--rounds of them, each 2 untimed steps then --calls timed ones, the
steady state of a training loop) and the ratio is the median over rounds. As the training
loop: channels_last, and the precision of `--precision` (auto: bf16 where the hardware
computes it natively, else fp32); --compile adds torch.compile.

    python benchmarks/step.py [--encoder small_cnn|resnet18] [--batch 256] [--precision auto] [--json out.json]
"""

from __future__ import annotations

import argparse

import torch
from _common import median, peak_memory, report, side_by_side

from ciper.augment import Pipeline
from ciper.config import Config
from ciper.data import TimePairs, split_of
from ciper.datasets import load_dataset
from ciper.device import autocast, fast_kernels, graph_captured, memory_format, resolve_precision, to_device
from ciper.model import build_model
from ciper.train import make_pair_batch, time_pair_change


def build_steps(
    encoder: str = "small_cnn",
    batch: int = 128,
    device: str | None = None,
    compile: bool = False,
    latent_dim: int | None = None,
    layout: str = "channels_last",
    cuda_graphs: bool = False,
    precision: str = "auto",
):
    """(bare_step, ciper_step, device): two closures that each run one training step."""
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    latent = latent_dim or (512 if encoder == "resnet18" else 64)
    cfg = Config(
        encoder=encoder,
        latent_dim=latent,
        batch_size=batch,
        device=dev.type,
        head_hidden=2048 if encoder == "resnet18" else 256,
        memory_format=layout,
    )
    data, _, _ = split_of(load_dataset(cfg), cfg)
    images = data.images.to(dev)
    pairs, pipeline = TimePairs(data, cfg.time_window), Pipeline.from_config(cfg)
    g = torch.Generator().manual_seed(0)
    fmt = memory_format(cfg)

    torch.manual_seed(0)
    model = build_model(cfg, data).to(dev, memory_format=fmt)
    bare = build_model(cfg, data).encoder.to(dev, memory_format=fmt)
    if compile:
        model.encoder = torch.compile(model.encoder)
        bare = torch.compile(bare)
    losses_of = graph_captured(model.losses, dev) if cuda_graphs else model.losses
    bare_of = graph_captured(bare, dev) if cuda_graphs else bare
    opt = torch.optim.AdamW(model.parameters(), 1e-3, **fast_kernels(dev))  # as the training loop
    opt_bare = torch.optim.AdamW(bare.parameters(), 1e-3, **fast_kernels(dev))

    def ciper_step():
        idx = torch.randint(len(data), (batch,), generator=g)
        x, r = make_pair_batch(images, time_pair_change(cfg, data), idx, pairs.partners(idx, g), pipeline, g)
        with autocast(precision, dev):
            loss = losses_of(x.contiguous(memory_format=fmt), r)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def bare_step():  # gathers its 2B views from the same in-memory tensor, unaugmented
        (idx,) = to_device([torch.randint(len(data), (2 * batch,), generator=g)], dev)
        x = images[idx].float().div_(255).contiguous(memory_format=fmt)
        with autocast(precision, dev):
            loss = bare_of(x).float().pow(2).mean()
        opt_bare.zero_grad(set_to_none=True)
        loss.backward()
        opt_bare.step()

    return bare_step, ciper_step, dev


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="small_cnn")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--latent-dim", type=int, default=None)
    ap.add_argument("--device", default=None, help="cuda when there is one, else cpu")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"], help="as Config.precision")
    ap.add_argument("--cuda-graphs", action="store_true", help="replay each step from CUDA graphs (CUDA only)")
    ap.add_argument("--rounds", type=int, default=9, help="alternating blocks of bare and CIPER steps")
    ap.add_argument("--calls", type=int, default=10, help="timed steps per block (after 2 untimed ones)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    bare_step, ciper_step, dev = build_steps(
        args.encoder,
        args.batch,
        args.device,
        args.compile,
        args.latent_dim,
        cuda_graphs=args.cuda_graphs,
        precision=args.precision,
    )
    if args.cuda_graphs and dev.type != "cuda":
        print("note: --cuda-graphs needs CUDA; on the CPU the steps run as they are")
    t = side_by_side({"bare": bare_step, "ciper": ciper_step}, dev, rounds=args.rounds, calls=args.calls)
    ratios = [b / c for b, c in zip(t["bare"], t["ciper"])]
    views = 2 * args.batch
    graphs = args.cuda_graphs and dev.type == "cuda"
    precision = resolve_precision(args.precision, dev)
    common = {"encoder": args.encoder, "batch": args.batch, "precision": precision, "compile": args.compile}
    common["cuda_graphs"] = graphs
    rows = [
        {"step": "bare encoder fwd+bwd", **common, "views_per_s": views / median(t["bare"])},
        {
            "step": "full CIPER step",
            **common,
            "views_per_s": views / median(t["ciper"]),
            "ratio_to_bare": median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            **peak_memory(dev),
        },
    ]
    report("CIPER step against the bare encoder", rows, args.json)


if __name__ == "__main__":
    main()
