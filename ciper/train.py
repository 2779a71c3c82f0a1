"""Train CIPER: one loop, readable top to bottom, with a per-epoch callback.

    python -m ciper.train --preset cpu --set alpha=0.3 --out runs/a03

writes runs/a03/config.json, runs/a03/metrics.json and runs/a03/checkpoint.pt.
Rerunning the same command resumes from the checkpoint. Studies (Ray Tune)
call `train(...)` with their own `on_epoch` and evaluate on the last epoch.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ciper import checkpoint
from ciper.augment import Pipeline
from ciper.config import PRESETS, Config, ConfigError, parse_overrides, preset, resolve_path
from ciper.data import TimePairs, split_of
from ciper.datasets import load_dataset
from ciper.device import autocast, fast_kernels, graph_captured, pick_device, resolve_precision, to_device
from ciper.imageset import ImageSet
from ciper.model import CIPER, build_model
from ciper.records import code_version, write_json


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class Trained:
    """What a finished (or interrupted) run hands to evaluation."""

    cfg: Config
    model: CIPER
    train_set: ImageSet
    test_set: ImageSet
    device: torch.device
    history: list[dict] = field(default_factory=list)


def time_pair_change(cfg: Config, data: ImageSet):
    """What the prediction head learns of a time pair's partner, as a function
    (first, second) -> [B, k]; None where it learns nothing of it."""
    if not cfg.time_pairs or cfg.time_pair_target == "none":
        return None
    if cfg.time_pair_target == "frame_gap":
        return data.frame_gap
    return data.pose_change


def make_pair_batch(
    images: torch.Tensor,
    time_change,
    idx: torch.Tensor,
    partner: torch.Tensor,
    pipeline: Pipeline | None,
    g: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both views of each pair as one batch x [2B, 3, H, W] (rows :B view 1, B: view 2) and
    r [B, target_dim] = params(view 2) - params(view 1).

    Time pairs take the partner frame and r gets what `time_change(idx, partner)` says changed
    (see time_pair_change; None when the head learns nothing of the partner); synthetic pairs
    augment each view (r gets the change of augmentation parameters); both can combine.
    Everything random is drawn on the CPU first and moved in two non-blocking
    copies (indices and targets here, augmentation parameters in the pipeline),
    so the device never waits for the host inside a step.
    """
    n = len(idx)
    pair = torch.cat([idx, partner])
    r = []
    if time_change is not None:
        r.append(time_change(idx, partner))
    raw = None
    if pipeline is not None:
        raw = pipeline.sample(2 * n, g, *images.shape[-2:])
        params = pipeline.encode(raw)
        r.append(params[n:] - params[:n])
    r = torch.cat(r, 1) if r else torch.zeros(n, 0)
    pair, r = to_device([pair, r], images.device)
    x = images[pair].float().div_(255)
    if raw is not None:
        x = pipeline.apply(x, raw)
    return x, r


def memory_format(cfg: Config) -> torch.memory_format:
    """The encoder's image layout. channels_last measured fastest on the CPU as on the GPU
    (benchmarks/layout.py), so `auto` is channels_last; `contiguous` stays selectable for
    machines where it is not."""
    return torch.contiguous_format if cfg.memory_format == "contiguous" else torch.channels_last


def make_optimizer(cfg: Config, model: torch.nn.Module, total_steps: int, device: torch.device):
    """cfg's optimiser (no weight decay on BatchNorm and biases) and a cosine schedule with a
    short warm-up, stepped once per batch."""
    warmup = min(100, total_steps // 10)
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    fast = fast_kernels(device)
    opt = (
        torch.optim.AdamW(groups, lr=cfg.lr, **fast)
        if cfg.optimizer == "adamw"
        else torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True, **fast)
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: (
            min(1.0, (s + 1) / max(1, warmup)) * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps))
        ),
    )
    return opt, sched


def training_split(cfg: Config) -> tuple[ImageSet, ImageSet]:
    """(train, held-out) frames of cfg's data, the training frames capped at max_train_images."""
    train_set, test_set, _ = split_of(load_dataset(cfg), cfg)
    if cfg.max_train_images and len(train_set) > cfg.max_train_images:
        keep = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(cfg.seed))
        train_set = train_set.subset(keep[: cfg.max_train_images].sort().values)
    return train_set, test_set


def train(
    cfg: Config,
    workdir: str | Path | None = None,
    on_epoch: Callable[[dict, Trained], None] | None = None,
    progress: bool = False,
) -> Trained:
    """Train for cfg.epochs, checkpointing to workdir each epoch (resuming if one is there).

    on_epoch(metrics, trained) runs after every epoch's checkpoint is written.
    """
    cfg = cfg.validated()
    if cfg.method != "ciper":
        raise ConfigError(
            f"method={cfg.method} is a reference, not a training run: studies run it beside their trials "
            f"(ciper/reference.py); use method=ciper here"
        )
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)

    # data: one tensor on the device; batches are indexed, never collated image by image
    train_set, test_set = training_split(cfg)
    time_pairs = TimePairs(train_set, cfg.time_window) if cfg.time_pairs else None
    pipeline = Pipeline.from_config(cfg) if cfg.synthetic_pairs else None
    images = train_set.images.to(device)
    time_change = time_pair_change(cfg, train_set)

    # model, optimiser (cosine schedule, short warm-up)
    layout = memory_format(cfg)
    model = build_model(cfg, train_set).to(device, memory_format=layout)
    if cfg.compile:
        model.encoder = torch.compile(model.encoder)
    steps_per_epoch = max(1, len(train_set) // cfg.batch_size)
    opt, sched = make_optimizer(cfg, model, steps_per_epoch * cfg.epochs, device)
    g = torch.Generator().manual_seed(cfg.seed)  # batch order, partners, augmentation parameters
    losses_of = graph_captured(model.losses, device) if cfg.cuda_graphs else model.losses
    trained = Trained(cfg, model, train_set, test_set, device)

    ckpt_path = Path(workdir) / checkpoint.FILE_NAME if workdir is not None else None
    start = 0
    if ckpt_path is not None and ckpt_path.exists():
        state = checkpoint.load(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        g.set_state(state["generator"])
        start, trained.history = state["epoch"], state["history"]

    precision = resolve_precision(cfg.precision, device)  # recorded with every epoch
    for epoch in range(start, cfg.epochs):
        model.train()
        t0 = time.perf_counter()
        sums: dict[str, torch.Tensor] = {}
        order = torch.randperm(len(train_set), generator=g)
        bar = _progress(range(steps_per_epoch), f"epoch {epoch + 1}/{cfg.epochs}", progress)
        for step in bar:
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            partner = time_pairs.partners(idx, g) if time_pairs is not None else idx
            x, r = make_pair_batch(images, time_change, idx, partner, pipeline, g)
            x = x.contiguous(memory_format=layout)
            with autocast(precision, device):
                losses = losses_of(x, r)
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            opt.step()
            sched.step()
            for k, v in losses.items():  # summed on the device: no host-device sync per step
                sums[k] = sums.get(k, 0.0) + v.detach()
            if progress and step % 10 == 0:
                bar.set_postfix(loss=f"{losses['loss'].item():.3f}")
        metrics = {k: float(v) / steps_per_epoch for k, v in sums.items()}
        # a bounded loss (InfoNCE on normalised features) can stay finite while the weights overflow
        finite_weights = all(bool(torch.isfinite(p).all()) for p in model.parameters())
        if not finite_weights or not all(math.isfinite(v) for v in metrics.values()):
            what = f"loss became {metrics['loss']}" if finite_weights else "the weights became inf or nan"
            raise TrainingDiverged(
                f"{what} in epoch {epoch + 1}; lower lr (now {cfg.lr}) or alpha (now {cfg.alpha})"
            )
        metrics.update(
            epoch=epoch + 1, lr=sched.get_last_lr()[0], epoch_time=time.perf_counter() - t0, precision=precision
        )
        trained.history.append(metrics)
        if ckpt_path is not None:
            checkpoint.save(
                ckpt_path,
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "generator": g.get_state(),
                    "epoch": epoch + 1,
                    "history": trained.history,
                    "config": cfg.to_dict(),
                },
            )
        if on_epoch is not None:
            on_epoch(dict(metrics), trained)
    return trained


def _progress(iterable, desc, enabled):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, leave=False, dynamic_ncols=True, file=sys.stderr)


def run(cfg: Config, out: str | Path, progress: bool = False) -> dict:
    """Train, evaluate and write out/config.json and out/metrics.json; returns the metrics."""
    from ciper.probes import evaluate  # evaluation sits above training in the data flow

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    old = out / "config.json"
    if old.exists() and (out / checkpoint.FILE_NAME).exists():
        import json

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
        prog="python -m ciper.train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", default="cpu", help=f"{' | '.join(PRESETS)} (default: cpu)")
    ap.add_argument(
        "--set",
        nargs="*",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="override config fields (may be given several times; they add up)",
    )
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.preset, **parse_overrides(args.set))
        if cfg.data_dir is not None:
            cfg = cfg.replace(data_dir=resolve_path(cfg.data_dir))
        metrics = run(cfg, args.out, progress=not args.no_progress)
    except (ConfigError, checkpoint.CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TrainingDiverged as e:
        print(f"error: training diverged: {e}", file=sys.stderr)
        return 1
    from ciper.probes import METRICS, nan_notes

    keys = [*METRICS, "loss", "train_time"]
    print("  ".join(f"{k}={metrics[k]:.3f}" for k in keys if isinstance(metrics.get(k), float)))
    for note in nan_notes(metrics):
        print(f"note: {note}")
    print(f"wrote {Path(args.out) / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
