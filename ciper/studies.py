"""Studies: many CIPER trials run by Ray Tune, resumable, with tidy result tables.

A `Study` says what is varied (scientific), what is held fixed, what is
measured and how many seeds; `run_study` hands it to Ray Tune (a grid through
BasicVariantGenerator, or an Optuna search with ASHA), and writes

    <storage>/<study>/trials.parquet   one row per trial: config, seed, final metrics,
                                       status, error, wall time, code version
    <storage>/<study>/epochs.parquet   per-epoch metrics of every trial

Rerunning the same command with the same storage resumes: finished trials are
kept, interrupted ones continue from their last checkpoint, errored ones are
retried. `--fresh` starts over.
"""
from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ciper.config import Config, ConfigError, PRESETS, preset

METRICS = ["object_acc", "session_acc", "view_r2", "aug_r2", "knn_acc"]
EPOCH_COLUMNS = ["epoch", "loss", "loss_con", "loss_pred", "lr", "epoch_time", "objective", *METRICS]


@dataclass
class Study:
    name: str
    question: str                                   # what the study answers, in a sentence
    varied: Callable[[str], dict[str, list]]        # preset -> {config key: values} (a grid)
    fixed: dict = field(default_factory=dict)       # config held fixed on top of the preset
    measured: list[str] = field(default_factory=lambda: list(METRICS))
    seeds: int = 3
    # an Optuna search instead of a grid: preset -> {key: optuna distribution}
    search: Callable[[str], dict] | None = None
    objectives: dict[str, dict[str, float]] = field(default_factory=dict)   # name -> metric weights


# ---- the trainable ---------------------------------------------------------

def trainable(config: dict) -> None:
    """One trial: train with per-epoch reports and checkpoints; evaluate on the last epoch."""
    import ray
    import torch
    from ray import tune

    from ciper.probes import evaluate
    from ciper.records import code_version
    from ciper.train import TrainingDiverged, train

    config = dict(config)
    objective = config.pop("_objective", None)          # search studies: metric weights
    every_epoch = config.pop("_eval_every_epoch", False)
    cfg = Config.from_dict(config)
    torch.set_num_threads(max(1, cfg.threads))
    node_id = ray.get_runtime_context().get_node_id()
    workdir = Path(tempfile.mkdtemp(prefix="ciper-trial-"))
    try:
        restored_from = _restore(tune.get_checkpoint(), workdir)   # the epoch this run goes on from
        t0 = time.perf_counter()
        reported = []

        def on_epoch(metrics: dict, trained) -> None:
            reported.append(metrics["epoch"])
            if every_epoch or metrics["epoch"] == cfg.epochs:
                metrics.update(evaluate(trained))
            if objective and "object_acc" in metrics:
                metrics["objective"] = sum(w * _finite(metrics.get(k)) for k, w in objective.items())
            metrics.update(train_time=time.perf_counter() - t0, seed=cfg.seed, code_version=code_version(),
                           finished=metrics["epoch"] == cfg.epochs, node_id=node_id, restored_from=restored_from)
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(workdir)))

        try:
            trained = train(cfg, workdir, on_epoch=on_epoch)
        except TrainingDiverged as e:
            # a diverged trial is a result, not a crash: record why, stop it, let the others go on
            tune.report({"failure": f"TrainingDiverged: {e}", "finished": False, "seed": cfg.seed,
                         "code_version": code_version(), "epoch": len(reported) + 1, "node_id": node_id,
                         **({"objective": float("nan")} if objective else {})})
            return
        if not reported:
            # restored from the last epoch's checkpoint: the trial had finished training but the
            # driver died before recording it. Evaluate and report; nothing is trained again.
            on_epoch(dict(trained.history[-1]), trained)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _restore(ckpt, workdir: Path) -> int:
    """Copy this trial's checkpoint into workdir; return its epoch (0: start over).

    The checkpoint Ray hands back can be a folder without a readable file (a worker
    killed while Ray copied it); the trial then goes on from its newest readable
    checkpoint, or starts over. It never fails the trial.
    """
    from ray import tune

    from ciper import checkpoint

    if ckpt is None:
        return 0
    others = [p for p in reversed(_checkpoint_folders(ckpt.filesystem, ckpt.path)) if p != ckpt.path.rstrip("/")]
    for path in [ckpt.path, *others]:
        try:
            with tune.Checkpoint(path, filesystem=ckpt.filesystem).as_directory() as d:
                shutil.copy(Path(d) / "checkpoint.pt", workdir / "checkpoint.pt")
            epoch = int(checkpoint.load(workdir / "checkpoint.pt")["epoch"])
        except (OSError, checkpoint.CheckpointError, KeyError, TypeError, ValueError) as e:
            print(f"warning: checkpoint {path} cannot be used ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        if path != ckpt.path:
            print(f"warning: went on from {path} instead of {ckpt.path}", file=sys.stderr)
        return epoch
    (workdir / "checkpoint.pt").unlink(missing_ok=True)
    print("warning: no usable checkpoint; trial restarts from epoch 0", file=sys.stderr)
    return 0


def _checkpoint_folders(fs, ckpt_path: str) -> list[str]:
    """The checkpoint_* folders beside ckpt_path in a trial's folder, oldest first."""
    import pyarrow.fs

    try:
        infos = fs.get_file_info(pyarrow.fs.FileSelector(os.path.dirname(ckpt_path.rstrip("/"))))
    except OSError:
        return []
    return sorted(i.path.rstrip("/") for i in infos
                  if i.type == pyarrow.fs.FileType.Directory and i.base_name.startswith("checkpoint_"))


def _finite(x) -> float:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else 0.0


# ---- command line ------------------------------------------------------------

def parse_args(study: Study, argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=f"python studies/{study.name}.py", description=study.question)
    ap.add_argument("--preset", default="cpu", help=f"{' | '.join(PRESETS)} (default: cpu, the built-in world)")
    ap.add_argument("--seeds", type=int, default=study.seeds, help=f"seeds per condition (default {study.seeds})")
    ap.add_argument("--cpus-per-trial", type=float, default=1.0)
    ap.add_argument("--gpus-per-trial", type=float, default=0.0, help="fractional packs trials on a GPU")
    ap.add_argument("--max-concurrent", type=int, default=0, help="0 = as many as resources allow")
    ap.add_argument("--address", default=None, help="join an existing Ray cluster (ray start --head ...)")
    ap.add_argument("--storage", default="results", help="results root: a path or a URI (default results/)")
    ap.add_argument("--fresh", action="store_true", help="discard earlier results of this study")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="extra fixed config values")
    ap.add_argument("--dashboard", action="store_true", help="start Ray's dashboard on 127.0.0.1")
    if study.search is not None:
        ap.add_argument("--num-samples", type=int, default=12)
        ap.add_argument("--objective", default=next(iter(study.objectives)), choices=list(study.objectives))
    return ap.parse_args(argv)


def _is_uri(path: str) -> bool:
    return "://" in path


def check_args(study: Study, args) -> list[str]:
    """Every problem with the arguments, found before Ray starts."""
    from ciper.config import parse_overrides

    problems = []
    if args.preset not in PRESETS:
        problems.append(f"unknown preset '{args.preset}'; choose one of {', '.join(PRESETS)}")
    if args.seeds < 1:
        problems.append(f"--seeds {args.seeds} must be >= 1")
    if args.cpus_per_trial <= 0:
        problems.append(f"--cpus-per-trial {args.cpus_per_trial} must be > 0")
    if args.gpus_per_trial < 0:
        problems.append(f"--gpus-per-trial {args.gpus_per_trial} must be >= 0")
    if args.gpus_per_trial > 0 and args.address is None:
        import torch
        have = torch.cuda.device_count()
        if have == 0:
            problems.append(f"--gpus-per-trial {args.gpus_per_trial} but this machine has no CUDA GPU; "
                            f"leave it at 0 or pass --address of a cluster with GPUs")
        elif args.gpus_per_trial > have:
            problems.append(f"--gpus-per-trial {args.gpus_per_trial} exceeds the {have} GPU(s) here")
    if args.max_concurrent < 0:
        problems.append(f"--max-concurrent {args.max_concurrent} must be >= 0")
    if getattr(args, "num_samples", 1) < 1:
        problems.append(f"--num-samples {args.num_samples} must be >= 1")
    if not _is_uri(args.storage):
        root = Path(args.storage).expanduser().resolve()
        try:
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=root):
                pass
        except OSError as e:
            problems.append(f"--storage {root} is not writable ({e.strerror}); choose a folder you can write")
    if problems:
        return problems
    try:
        base = preset(args.preset, **{**study.fixed, **parse_overrides(args.set)})
        space = study.search(args.preset) if study.search else study.varied(args.preset)
        if not space or any(len(v) == 0 for v in space.values() if isinstance(v, list)):
            problems.append(f"study {study.name} has an empty search space for preset {args.preset}")
        for combo in _grid(space) if not study.search else []:
            base.replace(**combo)                     # every grid point must be a valid config
        if base.dataset != "world":
            from ciper.folders import check_layout
            check_layout(base.dataset, base.data_dir)
    except ConfigError as e:
        problems.append(str(e))
    return problems


def _grid(space: dict[str, list]) -> list[dict]:
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


# ---- the runner ---------------------------------------------------------------

def run_study(study: Study, argv: list[str] | None = None) -> Path:
    """Run (or resume) a study; returns the study folder. Exits 2 on bad arguments."""
    args = parse_args(study, argv)
    problems = check_args(study, args)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        raise SystemExit(2)

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # save the study's state at most a second after each change (Ray's default waits >= 10 s),
    # so a killed driver loses at most a second of bookkeeping
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
    import ray
    from ray import tune

    from ciper.config import parse_overrides

    storage = args.storage if _is_uri(args.storage) else str(Path(args.storage).expanduser().resolve())
    study_dir = Path(storage) / study.name if not _is_uri(storage) else None
    base = preset(args.preset, **{**study.fixed, **parse_overrides(args.set)})
    if base.data_dir and not _is_uri(base.data_dir):
        base = base.replace(data_dir=str(Path(base.data_dir).expanduser().resolve()))
    base = base.replace(threads=max(1, int(args.cpus_per_trial)))
    if args.gpus_per_trial > 0:
        base = base.replace(device="cuda")

    if args.fresh and study_dir is not None and study_dir.exists():
        shutil.rmtree(study_dir)

    init = dict(include_dashboard=args.dashboard, configure_logging=True, logging_level="ERROR",
                log_to_driver=False)
    if args.dashboard:
        init["dashboard_host"] = "127.0.0.1"
    owns_ray = not ray.is_initialized()      # a notebook or test may have started Ray already
    if owns_ray and args.address:
        ray.init(address=args.address, **init)
    elif owns_ray:
        ray.init(num_cpus=os.cpu_count(), num_gpus=None if args.gpus_per_trial else 0, **init)
    try:
        resources = {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial}
        cluster_gpus = ray.cluster_resources().get("GPU", 0)
        if args.gpus_per_trial > cluster_gpus:
            print(f"error: --gpus-per-trial {args.gpus_per_trial} exceeds the cluster's {cluster_gpus} GPU(s)",
                  file=sys.stderr)
            raise SystemExit(2)
        fn = tune.with_resources(trainable, resources)
        exp_path = os.path.join(storage, study.name, "ray")
        if tune.Tuner.can_restore(exp_path):
            print(f"resuming {study.name} from {exp_path}")
            _mend_missing_checkpoints(exp_path)
            tuner = tune.Tuner.restore(exp_path, trainable=fn, resume_errored=True, restart_errored=False)
        else:
            tuner = _new_tuner(study, args, base, fn, storage)
        started = time.time()
        grid = tuner.fit()
        wall = time.time() - started
        trials, epochs = tables(grid, study)
        if study_dir is not None:
            write_tables(study_dir, trials, epochs)
            from ciper.records import code_version, write_json
            write_json(study_dir / "run.json", {"study": study.name, "argv": sys.argv[1:] if argv is None else argv,
                                                "fit_seconds": wall, "trials": len(trials),
                                                "code_version": code_version(),
                                                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        _summary(study, trials, wall)
    finally:
        if owns_ray:
            ray.shutdown()
    if study_dir is not None:
        _analyse(study_dir)
    return study_dir


def _mend_missing_checkpoints(exp_path: str) -> None:
    """Give every unfinished trial the checkpoint folder Ray's snapshot names.

    The snapshot lags Ray's checkpoints: if the driver died after Ray deleted an old
    checkpoint (`num_to_keep`) but before it saved a snapshot naming the new one, Ray
    refuses to restore that trial and it fails for good. Put the trial's newest
    surviving checkpoint at the named path (an empty folder if it has none: the trial
    then starts over) so that every trial goes on.
    """
    import logging

    import pyarrow.fs
    from ray import tune

    quiet = logging.getLogger("ray.tune.analysis.experiment_analysis")
    level = quiet.level
    quiet.setLevel(logging.ERROR)                       # pending trials have no results yet: not news
    try:
        trials = tune.ExperimentAnalysis(exp_path).trials
    finally:
        quiet.setLevel(level)
    for trial in trials:
        ckpt = trial.checkpoint
        if trial.status == "TERMINATED" or ckpt is None:
            continue
        fs, path = ckpt.filesystem, ckpt.path.rstrip("/")
        if fs.get_file_info(path).type != pyarrow.fs.FileType.NotFound:
            continue
        siblings = _checkpoint_folders(fs, path)
        fs.create_dir(path)
        if siblings:
            pyarrow.fs.copy_files(siblings[-1], path, source_filesystem=fs, destination_filesystem=fs)
        print(f"warning: trial {trial.trial_id}: Ray's snapshot names {path}, which is gone; "
              f"{'going on from ' + siblings[-1] if siblings else 'it starts over'}", file=sys.stderr)


def _new_tuner(study: Study, args, base: Config, fn, storage: str):
    from ray import tune

    space = base.to_dict()
    seeds = list(range(args.seeds))
    # reuse_actors: a finished trial's worker process runs the next trial, so each slot
    # imports torch once instead of once per trial (seconds per trial on a small machine)
    run_config = tune.RunConfig(
        name="ray", storage_path=os.path.join(storage, study.name), verbose=0,
        callbacks=[progress_callback(study.name, [*(study.search(args.preset) if study.search else
                                                    study.varied(args.preset)), "seed"])],
        failure_config=tune.FailureConfig(max_failures=2),
        checkpoint_config=tune.CheckpointConfig(num_to_keep=2))
    if study.search is None:
        for key, values in study.varied(args.preset).items():
            space[key] = tune.grid_search(values)
        space["seed"] = tune.grid_search(seeds)
        tune_config = tune.TuneConfig(max_concurrent_trials=args.max_concurrent or None, reuse_actors=True)
    else:
        from optuna.storages import RDBStorage
        from ray.tune.schedulers import ASHAScheduler
        from ray.tune.search.optuna import OptunaSearch

        db = Path(storage) / study.name / "optuna.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        dists = study.search(args.preset)
        for key in dists:
            space.pop(key, None)
        space["_objective"] = study.objectives[args.objective]
        space["_eval_every_epoch"] = True
        searcher = OptunaSearch(space=dists, metric="objective", mode="max", seed=seeds[0],
                                study_name=study.name, storage=RDBStorage(f"sqlite:///{db}"))
        tune_config = tune.TuneConfig(
            search_alg=searcher, num_samples=args.num_samples,
            scheduler=ASHAScheduler(metric="objective", mode="max", max_t=base.epochs, grace_period=1),
            max_concurrent_trials=args.max_concurrent or None, reuse_actors=True)
    return tune.Tuner(fn, param_space=space, tune_config=tune_config, run_config=run_config)


def progress_callback(name: str, keys: list[str]):
    """A Ray Tune callback printing one line per finished or failed trial, instead of status tables."""
    from ray.tune import Callback

    class Progress(Callback):
        def __init__(self):
            self.done = 0

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.done += 1
            r = trial.last_result or {}
            got = "  ".join(f"{k}={r[k]:.3f}" for k in METRICS if isinstance(r.get(k), float))
            print(f"[{name}] {self.done}/{len(trials)} done  {_label(trial.config, keys)}  {got}", flush=True)

        def on_trial_error(self, iteration, trials, trial, **info):
            self.done += 1
            print(f"[{name}] {self.done}/{len(trials)} FAILED  {_label(trial.config, keys)}", flush=True)

    return Progress()


def _label(config: dict, keys: list[str]) -> str:
    return " ".join(f"{k}={_plain(config[k])}" for k in keys if k in config)


def _plain(v):
    return ">".join(v) if isinstance(v, (list, tuple)) else v


# ---- result tables --------------------------------------------------------------

def tables(grid, study: Study):
    """ResultGrid -> (trials, epochs) DataFrames with plain column names."""
    import pandas as pd

    rows, epochs = [], []
    for i, result in enumerate(grid):
        config = {k: _plain(v) for k, v in (result.config or {}).items() if not k.startswith("_")}
        metrics = dict(result.metrics or {})
        trial_id = metrics.get("trial_id") or (result.path and Path(result.path).name) or str(i)
        finished = bool(metrics.get("finished")) and result.error is None
        failure = (str(result.error).strip().splitlines()[-1][:500] if result.error is not None
                   else metrics.get("failure"))
        row = {"trial_id": trial_id, **config,
               # a trial that neither finished nor failed was stopped by the scheduler (ASHA)
               "status": "finished" if finished else ("error" if failure else "stopped early"),
               "error": failure,
               "wall_time": metrics.get("time_total_s"), "code_version": metrics.get("code_version"),
               "epochs_done": metrics.get("epoch"), "node_id": metrics.get("node_id")}
        for k, v in metrics.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in row and k != "seed" \
                    and not k.startswith(("time_", "timestamp", "training_iteration", "pid")):
                row[k] = v
        rows.append(row)
        history = result.metrics_dataframe
        if history is not None and len(history):
            keep = [c for c in history.columns if c in EPOCH_COLUMNS]
            h = _fill_gaps(history[keep].copy(), result)
            h.insert(0, "trial_id", trial_id)
            epochs.append(h)
    trials = pd.DataFrame(rows)
    front = ["trial_id", *[k for k in Config.__dataclass_fields__ if k in trials], "status", "error",
             "wall_time", "code_version", "epochs_done", "node_id"]
    trials = trials[[c for c in front if c in trials] + sorted(c for c in trials if c not in front)]
    epochs = pd.concat(epochs, ignore_index=True) if epochs else pd.DataFrame(columns=["trial_id", "epoch"])
    # a trial resumed at its final checkpoint is evaluated again, not trained: keep its last report
    epochs = epochs.drop_duplicates(["trial_id", "epoch"], keep="last", ignore_index=True)
    if len(trials):   # the config columns that vary across trials travel with every epoch row
        config_keys = {k for r in grid for k in (r.config or {}) if not k.startswith("_")}
        varying = [c for c in trials.columns if c in config_keys and trials[c].astype(str).nunique() > 1]
        epochs = epochs.merge(trials[["trial_id", *varying]], on="trial_id", how="left")
    return trials, epochs


def _fill_gaps(h, result):
    """Epoch rows Ray's records lack, taken from the training history in the trial's checkpoint.

    Ray writes results and its experiment snapshot separately; after a killed driver a
    trial can go on from a checkpoint newer than the records Ray kept. Its checkpoint
    holds every epoch's training metrics, so the table stays complete (evaluation
    metrics of those epochs, if any, are not recoverable and stay empty).
    """
    import pandas as pd

    from ciper import checkpoint

    done = set(h["epoch"].dropna().astype(int)) if "epoch" in h else set()
    if not done or done >= set(range(1, max(done) + 1)) or result.checkpoint is None:
        return h
    try:
        with result.checkpoint.as_directory() as d:
            saved = checkpoint.load(Path(d) / "checkpoint.pt").get("history", [])
    except (OSError, checkpoint.CheckpointError):
        return h
    missing = [{k: v for k, v in m.items() if k in h.columns} for m in saved if m.get("epoch") not in done]
    if not missing:
        return h
    return pd.concat([h, pd.DataFrame(missing)], ignore_index=True).sort_values("epoch", kind="stable",
                                                                               ignore_index=True)


def write_tables(study_dir: Path, trials, epochs) -> None:
    """Parquet written atomically (temporary file + rename)."""
    import io

    from ciper.records import atomic_write_bytes

    for name, df in (("trials", trials), ("epochs", epochs)):
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        atomic_write_bytes(study_dir / f"{name}.parquet", buf.getvalue())


def load_results(study_dir: str | Path):
    """(trials, epochs) DataFrames of a finished study, for notebooks."""
    import pandas as pd

    study_dir = Path(study_dir)
    missing = [n for n in ("trials.parquet", "epochs.parquet") if not (study_dir / n).exists()]
    if missing:
        raise FileNotFoundError(f"{study_dir} has no {', '.join(missing)}; run the study first "
                                f"(rerunning its command resumes it)")
    return pd.read_parquet(study_dir / "trials.parquet"), pd.read_parquet(study_dir / "epochs.parquet")


def _summary(study: Study, trials, wall: float) -> None:
    counts = trials["status"].value_counts().to_dict() if len(trials) else {}
    print(f"[{study.name}] {len(trials)} trials ({', '.join(f'{v} {k}' for k, v in counts.items())}) "
          f"in {wall / 60:.1f} min")
    for _, row in trials[trials["status"] == "error"].iterrows():
        print(f"[{study.name}] failed trial {row['trial_id']}: {row['error']}")


def _analyse(study_dir: Path) -> None:
    """Build the study's report when the analysis package is there."""
    try:
        from analysis.report import build_report
    except ImportError:
        return
    path = build_report(study_dir)
    print(f"report: {path}")


def permutations_sample(ops: list[str], k: int | None, seed: int = 0) -> list[list[str]]:
    """All orderings of ops, or a seeded sample of k of them (always including the given order)."""
    every = [list(p) for p in itertools.permutations(ops)]
    if k is None or k >= len(every):
        return every
    rest = random.Random(seed).sample(every[1:], k - 1)
    return [every[0], *rest]
