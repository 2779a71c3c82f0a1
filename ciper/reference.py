"""Reference points: what an untrained and a supervised encoder score on a study's probes.

A metric means little alone: object_acc 0.77 is good only if an untrained
encoder scores well below it and a supervised one not far above. For a trial's
config this evaluates, with the same probes (`ciper.probes.evaluate`):

  untrained    the encoder as a trial's model is initialised (same seed), never trained;
  supervised   the same architecture trained with cross-entropy on the object labels,
               same optimiser, schedule, batch size and epochs, on the training frames
               as they are (no augmentation: the sequences' view changes are the variety).

Both are cached in a folder (a study storage's `references/`), so every study of
one storage reuses them: metrics keyed by every config field that changes what is
measured, the supervised weights by the fields that change its training. A cache
file that cannot be read is computed again.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ciper import checkpoint
from ciper.config import Config
from ciper.device import autocast, pick_device
from ciper.model import CIPER
from ciper.probes import evaluate
from ciper.records import code_version, write_json
from ciper.train import Trained, make_optimizer, memory_format, target_groups, training_split

KINDS = ("untrained", "supervised")
# fields that only shape the self-supervised objective or how a run is executed: a reference ignores them
NOT_MEASURED = ("alpha", "temperature", "head_mode", "proj_dim", "head_hidden", "pairs", "compile", "threads")
NOT_MEASURED += ("device", "memory_format", "cuda_graphs")
# fields that shape the supervised encoder's training
TRAINING = ("dataset", "data_dir", "view_columns", "image_size", "world_objects", "world_sessions", "world_frames")
TRAINING += ("world_seed", "test_fraction", "encoder", "width", "latent_dim", "optimizer", "lr", "weight_decay")
TRAINING += ("batch_size", "epochs", "max_train_images", "seed", "precision", "file_pattern", "max_objects")
TRAINING += ("split", "split_blocks", "time_window")  # they choose the training frames


def _key(cfg: Config, fields) -> str:
    values = {k: v for k, v in cfg.to_dict().items() if k in fields}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def metrics_key(cfg: Config) -> str:
    return _key(cfg, [k for k in cfg.to_dict() if k not in NOT_MEASURED])


def _read_json(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text())
        return state if isinstance(state.get("metrics"), dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def reference_metrics(cfg: Config, kind: str, cache_dir: str | Path) -> dict:
    """The probes' metrics of the `kind` reference encoder for cfg, from the cache when it holds them.

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
    torch.manual_seed(cfg.seed)  # the initialisation a trial's model starts from
    model = CIPER(cfg, target_groups(cfg, train_set))
    if kind == "supervised":
        model.encoder.load_state_dict(supervised_encoder(cfg, cache_dir))
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


def supervised_encoder(cfg: Config, cache_dir: Path) -> dict:
    """The supervised encoder's weights (a state dict), trained once per training key."""
    path = Path(cache_dir) / f"supervised-{_key(cfg, TRAINING)}.pt"
    if path.exists():
        try:
            return checkpoint.load(path)["encoder"]
        except (checkpoint.CheckpointError, KeyError):
            pass  # unreadable: train it again
    weights = train_supervised(cfg)
    checkpoint.save(path, {"encoder": weights, "config": cfg.to_dict()})
    return weights


def train_supervised(cfg: Config) -> dict:
    """Encoder + linear classifier, cross-entropy on object labels, cfg's optimiser, budget and precision."""
    device = pick_device(cfg.device)
    train_set, _ = training_split(cfg)
    torch.manual_seed(cfg.seed)
    layout = memory_format(cfg)
    model = CIPER(cfg, target_groups(cfg, train_set))
    encoder = model.encoder.to(device, memory_format=layout)
    classifier = torch.nn.Linear(cfg.latent_dim, train_set.num_objects).to(device)
    net = torch.nn.Sequential(encoder, classifier)
    steps_per_epoch = max(1, len(train_set) // cfg.batch_size)
    opt, sched = make_optimizer(cfg, net, steps_per_epoch * cfg.epochs, device)
    images, labels = train_set.images.to(device), train_set.objects.to(device)
    g = torch.Generator().manual_seed(cfg.seed)
    net.train()
    for _ in range(cfg.epochs):
        order = torch.randperm(len(train_set), generator=g).to(device)
        for step in range(steps_per_epoch):
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x = images[idx].float().div_(255).contiguous(memory_format=layout)
            with autocast(cfg.precision, device):  # the precision trials train in
                loss = F.cross_entropy(net(x).float(), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return {k: v.cpu() for k, v in encoder.state_dict().items()}
