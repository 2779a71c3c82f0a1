"""Batched augmentation against a per-sample torchvision.transforms.v2 pipeline.

Same ops and strengths (crop, flip, jitter, grayscale, blur), same batch; views/s.
The per-sample pipeline is how most SSL code augments (image by image, in
DataLoader workers); here it runs in this process, one worker.

    python benchmarks/augment.py [--batch 256] [--device cpu|cuda] [--json out.json]
"""

from __future__ import annotations

import argparse

import torch
from _common import peak_memory, report, timed
from torchvision.transforms import v2

from ciper.augment import Pipeline
from ciper.config import Config
from ciper.world import generate_world


def torchvision_pipeline(cfg: Config):
    s = cfg.jitter_strength
    k = max(3, 2 * round(0.05 * cfg.image_size) + 1)
    return v2.Compose(
        [
            v2.RandomResizedCrop(cfg.image_size, scale=(cfg.crop_min_scale, 1.0)),
            v2.RandomHorizontalFlip(cfg.flip_p),
            v2.RandomApply([v2.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)], p=cfg.jitter_p),
            v2.RandomGrayscale(cfg.grayscale_p),
            v2.RandomApply([v2.GaussianBlur(k, (0.1, cfg.blur_sigma_max))], p=cfg.blur_p),
        ]
    )


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    cfg = Config(aug_order=["crop", "flip", "jitter", "grayscale", "blur"])
    x = (generate_world(objects=4, sessions=2, frames=64).images[: args.batch].float() / 255).to(args.device)
    g = torch.Generator().manual_seed(0)
    ours = Pipeline.from_config(cfg)
    theirs = torchvision_pipeline(cfg)
    t_ours = timed(lambda: ours(x, g), args.device)
    t_theirs = timed(lambda: torch.stack([theirs(img) for img in x]), args.device, warmup=1, repeats=3)
    rows = [
        {"pipeline": "ciper batched", "device": args.device, "batch": args.batch, "views_per_s": args.batch / t_ours},
        {
            "pipeline": "torchvision v2 per sample",
            "device": args.device,
            "batch": args.batch,
            "views_per_s": args.batch / t_theirs,
        },
    ]
    rows[0]["speedup"] = t_theirs / t_ours
    rows[0].update(peak_memory(args.device))
    report("augmentation throughput", rows, args.json)


if __name__ == "__main__":
    main()
