"""One trial as Ray Tune runs it: train with a report and a checkpoint per epoch, evaluate at the end.

Each report's times, in seconds since this run of the trial started (a resumed trial
restarts them): train_time is the training alone, eval_time the evaluations, and
trial_time everything (what a slot was busy for).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path

from ciper.config import Config
from ciper.study.spec import trial_config


def trainable(
    config: dict,
    objective: dict[str, float] | None = None,
    eval_every_epoch: bool = False,
    reference_cache: str | None = None,
    runs: str | None = None,
    study: str = "",
) -> None:
    """Train one config. `objective` (search studies, bound with tune.with_parameters) is a
    weighted sum of metrics reported as `objective`; `eval_every_epoch` evaluates after
    every epoch so that ASHA can compare trials early. A reference or control trial
    (cfg.method other than ciper) is evaluated through `reference_cache` instead.
    `runs` (grid studies; ciper/study/runs.py) is the storage's folder of finished runs: a
    run found there is replayed, report by report, with `reused_from` naming where it was
    trained; a run trained here is added to it."""
    import ray
    import torch
    from ray import tune

    from ciper.device import pick_device, resolve_precision
    from ciper.probes import evaluate
    from ciper.records import code_version
    from ciper.study.recovery import restore_checkpoint
    from ciper.train import TrainingDiverged, train

    cfg = Config.from_dict(trial_config(config))  # the condition's settings in place; its name and labels are columns
    torch.set_num_threads(max(1, cfg.threads))
    node_id = ray.get_runtime_context().get_node_id()
    if cfg.method != "ciper":
        tune.report({**reference_result(cfg, reference_cache), "node_id": node_id})
        return
    from ciper.study.runs import finished_run, keep_run, run_version

    version = run_version(code_version(), resolve_precision(cfg.precision, pick_device(cfg.device)))
    runs = runs if version else None
    # a trial Ray restores (its own run, interrupted) goes on from its checkpoint, never replays
    done = finished_run(runs, cfg, version) if runs and tune.get_checkpoint() is None else None
    if done is not None:
        for i, report in enumerate(done["reports"], 1):  # the last with the run's final checkpoint
            ckpt = tune.Checkpoint.from_directory(done["checkpoint"]) if i == len(done["reports"]) else None
            tune.report({**report, "node_id": node_id, "reused_from": done["source"]}, checkpoint=ckpt)
        return
    source = f"{study}/{tune.get_context().get_trial_id()}"
    workdir = Path(tempfile.mkdtemp(prefix="ciper-trial-"))
    try:
        restored_from = restore_checkpoint(tune.get_checkpoint(), workdir)  # the epoch this run goes on from
        t0 = time.perf_counter()
        reported, kept, eval_time = [], [], 0.0

        def on_epoch(metrics: dict, trained) -> None:
            nonlocal eval_time
            reported.append(metrics["epoch"])
            train_time = time.perf_counter() - t0 - eval_time
            if eval_every_epoch or metrics["epoch"] == cfg.epochs:
                t_eval = time.perf_counter()
                metrics.update(evaluate(trained))
                eval_time += time.perf_counter() - t_eval
            if objective and "object_acc" in metrics:
                metrics["objective"] = sum(w * _finite(metrics.get(k)) for k, w in objective.items())
            metrics.update(
                train_time=train_time,
                eval_time=eval_time,
                trial_time=time.perf_counter() - t0,
                seed=cfg.seed,
                code_version=code_version(),
                finished=metrics["epoch"] == cfg.epochs,
                node_id=node_id,
                restored_from=restored_from,
            )
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(workdir)))
            kept.append(dict(metrics))
            if runs and metrics["finished"] and not restored_from:  # a resumed run lacks its first reports
                keep_run(runs, cfg, version, source, kept, workdir)

        try:
            trained = train(cfg, workdir, on_epoch=on_epoch)
        except TrainingDiverged as e:
            # a diverged trial is a result, not a crash: record why, stop it, let the others go on
            tune.report(
                {
                    "failure": f"TrainingDiverged: {e}",
                    "finished": False,
                    "seed": cfg.seed,
                    "code_version": code_version(),
                    "epoch": len(reported) + 1,
                    "node_id": node_id,
                    "precision": resolve_precision(cfg.precision, pick_device(cfg.device)),
                    **({"objective": float("nan")} if objective else {}),
                }
            )
            return
        if not reported:
            # restored from the last epoch's checkpoint: the trial had finished training but the
            # driver died before recording it. Evaluate and report; nothing is trained again.
            on_epoch(dict(trained.history[-1]), trained)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def reference_result(cfg: Config, cache: str | None) -> dict:
    """A reference or control trial's one report: its metrics (cached per storage, see
    ciper/reference.py); NaN metrics and a note where the data lacks what it needs."""
    from ciper.config import ConfigError
    from ciper.device import pick_device, resolve_precision
    from ciper.metrics import METRICS
    from ciper.records import code_version
    from ciper.reference import SUPERVISED, reference_metrics

    started = time.perf_counter()
    try:
        got = reference_metrics(cfg, cfg.method, cache or tempfile.mkdtemp(prefix="ciper-references-"))
        metrics, note = got["metrics"], None
    except ConfigError as e:
        metrics, note = {m: math.nan for m in METRICS}, str(e)
    return {
        **metrics,
        **({"note": note} if note else {}),
        "epoch": cfg.epochs,
        "trial_time": time.perf_counter() - started,
        # a supervised encoder trains as a trial does; the others only run forward, in fp32
        "precision": resolve_precision(cfg.precision, pick_device(cfg.device)) if cfg.method in SUPERVISED else "fp32",
        "seed": cfg.seed,
        "code_version": code_version(),
        "finished": True,
    }


def _finite(x) -> float:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else 0.0
