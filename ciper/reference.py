"""Reference points and controls: what a trial's probes read from encoders that are not CIPER's.

A metric means little alone: object_acc 0.77 is good only if the controls score
well below it and a supervised encoder not far above. For a config this evaluates,
with the same probes (`ciper.probes.evaluate`), one of (Config.method):

  untrained          the encoder as a trial's model is initialised (same seed), never trained
  object_supervised  the same architecture trained with cross-entropy on the object labels:
                     what labels buy for object recognition at the trials' budget
  pose_supervised    the same architecture trained to regress the pose columns (MSE on
                     standardised poses): what pose labels buy at the trials' budget
                     (neither is a converged ceiling: same epochs and optimiser as a trial)
  pixels, colour     no-learning controls (ciper/controls.py): pooled pixels, colour statistics

The supervised encoders train with the trial's optimiser, schedule, batch size, epochs and
precision on the training frames, each frame through the photometric ops of aug_order
that are photometric (jitter, grayscale, blur: they leave the pose and the object as they
are), one view per step.

Everything is cached in a folder (a study storage's `references/`), so every study of one
storage reuses it: metrics keyed by every config field but those of the groups that only
shape CIPER's objective or how a run executes (NOT_MEASURED: Config's "objective" and
"execution" groups); the supervised weights also leave out the "evaluation" group. A field
added to Config is in both keys unless its group is one of those, so a cache is never
reused for a config it was not computed for. A cache file that cannot be read is computed
again.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ciper import checkpoint
from ciper.augment import Pipeline, make_ops
from ciper.config import METHODS, Config, ConfigError, fields_in
from ciper.controls import CONTROLS, Control
from ciper.data import training_split
from ciper.device import autocast, memory_format, pick_device
from ciper.model import Trained, build_model
from ciper.probes import evaluate
from ciper.records import code_version, write_json
from ciper.train import make_optimizer

KINDS = tuple(m for m in METHODS if m != "ciper")
SUPERVISED = {"object_supervised": "object", "pose_supervised": "pose"}
# fields that only shape the self-supervised objective or how a run is executed: a reference ignores them
NOT_MEASURED = fields_in("objective", "execution")
EVALUATION = fields_in("evaluation")  # change what is measured, not how a supervised encoder trains


def _key(cfg: Config, leave_out) -> str:
    values = {k: v for k, v in cfg.to_dict().items() if k not in leave_out}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def metrics_key(cfg: Config) -> str:
    return _key(cfg, NOT_MEASURED)


def training_key(cfg: Config) -> str:
    return _key(cfg, NOT_MEASURED + EVALUATION)


def _read_json(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text())
        return state if isinstance(state.get("metrics"), dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def reference_metrics(cfg: Config, kind: str, cache_dir: str | Path) -> dict:
    """The probes' metrics of the `kind` encoder for cfg, from the cache when it holds them.

    Returns {"kind", "metrics", "config", "seconds", "code_version", "cached"}."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {', '.join(KINDS)}")
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{kind}-{metrics_key(cfg)}.json"
    if path.exists() and (state := _read_json(path)) is not None:
        return {**state, "cached": True}
    t0 = time.perf_counter()
    device = pick_device(cfg.device)
    train_set, test_set = training_split(cfg)
    if kind in CONTROLS:
        model = Control(kind)
    else:
        torch.manual_seed(cfg.seed)  # the initialisation a trial's model starts from
        model = build_model(cfg.replace(method="ciper", head_mode="contrastive"), train_set)
        if kind in SUPERVISED:
            model.encoder.load_state_dict(supervised_encoder(cfg, SUPERVISED[kind], cache_dir))
    trained = Trained(cfg, model.to(device, memory_format=memory_format(cfg)), train_set, test_set, device)
    state = {
        "kind": kind,
        "metrics": evaluate(trained),
        "config": cfg.to_dict(),
        "seconds": time.perf_counter() - t0,
        "code_version": code_version(),
    }
    write_json(path, state)
    return {**state, "cached": False}


def supervised_encoder(cfg: Config, target: str, cache_dir: Path) -> dict:
    """The encoder's weights (a state dict) supervised on `target` (object | pose), trained once per key."""
    path = Path(cache_dir) / f"supervised_{target}-{training_key(cfg)}.pt"
    if path.exists():
        try:
            return checkpoint.load(path)["encoder"]
        except (checkpoint.CheckpointError, KeyError):
            pass  # unreadable: train it again
    weights = train_supervised(cfg, target)
    checkpoint.save(path, {"encoder": weights, "config": cfg.to_dict()})
    return weights


def train_supervised(cfg: Config, target: str) -> dict:
    """Encoder + linear head: cross-entropy on the object labels (target=object) or MSE on the
    standardised pose columns (target=pose); cfg's optimiser, budget and precision."""
    device = pick_device(cfg.device)
    train_set, _ = training_split(cfg)
    if target == "pose" and train_set.poses is None:
        raise ConfigError(f"method=pose_supervised needs pose labels, and {train_set.name} has none")
    torch.manual_seed(cfg.seed)
    layout = memory_format(cfg)
    encoder = build_model(cfg.replace(method="ciper", head_mode="contrastive"), train_set).encoder
    encoder = encoder.to(device, memory_format=layout)
    if target == "object":
        labels = train_set.objects
        head, loss_of = torch.nn.Linear(cfg.latent_dim, train_set.num_objects), F.cross_entropy
    else:
        poses = train_set.poses
        labels = (poses - poses.mean(0)) / poses.std(0).clamp(min=1e-6)
        head, loss_of = torch.nn.Linear(cfg.latent_dim, poses.shape[1]), F.mse_loss
    net = torch.nn.Sequential(encoder, head.to(device))
    ops = make_ops(cfg)
    photometric = Pipeline([op for op in cfg.aug_order if ops[op].photometric], ops)
    steps_per_epoch = max(1, len(train_set) // cfg.batch_size)
    opt, sched = make_optimizer(cfg, net, steps_per_epoch * cfg.epochs, device)
    images, labels = train_set.images.to(device), labels.to(device)
    g = torch.Generator().manual_seed(cfg.seed)
    net.train()
    for _ in range(cfg.epochs):
        order = torch.randperm(len(train_set), generator=g)
        for step in range(steps_per_epoch):
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x, _ = photometric(images[idx.to(device)].float().div_(255), g)
            with autocast(cfg.precision, device):  # the precision trials train in
                loss = loss_of(net(x.contiguous(memory_format=layout)).float(), labels[idx.to(device)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return {k: v.cpu() for k, v in encoder.state_dict().items()}
