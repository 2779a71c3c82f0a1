"""Run (or resume) a study on Ray Tune and write its tables.

Rerunning the same command with the same storage resumes: finished trials are
kept, interrupted ones continue from their last checkpoint, errored ones are
retried. `--fresh` starts over. A grid trial whose config and code version another
study of the storage already ran is read back, not trained (ciper/study/runs.py).
The report is built by the study's entry point (studies/), above this library.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ciper.config import Config
from ciper.records import json_ready, write_json
from ciper.study.cli import base_config, check_args, is_uri, parse_args
from ciper.study.packing import GpuSampler
from ciper.study.spec import Study, trial_settings

# Ray's settings for a study: no auth token on a local cluster, no usage telemetry (study machines
# are often offline), the plain progress output, and the study's state saved at most a second after
# each change (Ray's default waits >= 10 s), so a killed driver loses at most a second of bookkeeping
RAY_ENVIRONMENT = {
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AIR_NEW_OUTPUT": "0",
    "TUNE_GLOBAL_CHECKPOINT_S": "1",
}


def ray_environment() -> None:
    """RAY_ENVIRONMENT, where the environment does not set it already; before Ray starts
    (its workers inherit it)."""
    for key, value in RAY_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def skip_callback_telemetry() -> None:
    """Stop Tune from importing every tracker it knows of at each fit, only to count callbacks
    for its usage telemetry: with torch loaded, `import wandb` alone takes 10-25 s on a 2-core
    machine (benchmarks/README.md). The count is what telemetry would send; with telemetry
    off (RAY_ENVIRONMENT) nothing reads it. A tracker a study asks for is imported as before."""
    from ray.air._internal import usage

    if os.environ.get("RAY_USAGE_STATS_ENABLED") == "0" and hasattr(usage, "tag_callbacks"):
        usage.tag_callbacks = lambda callbacks: False


@dataclass
class StudyRun:
    """What a finished `run_study` call leaves: where its results are, and its tables."""

    study_dir: Path | None  # None when the storage is a URI
    trials: object  # pandas DataFrame, one row per trial
    epochs: object  # pandas DataFrame, one row per trial epoch

    @property
    def finished(self) -> int:
        return int((self.trials["status"] == "finished").sum()) if len(self.trials) else 0

    def first_error(self) -> str | None:
        errors = self.trials[self.trials["status"] == "error"] if len(self.trials) else self.trials
        return None if not len(errors) else str(errors.iloc[0]["error"])


def run_study(study: Study, argv: list[str] | None = None) -> StudyRun:
    """Run (or resume) a study and write its tables; exits 2 on bad arguments or a folder it cannot resume."""
    args = parse_args(study, argv)
    _exit_on(check_args(study, args))

    ray_environment()
    skip_callback_telemetry()
    import ray

    from ciper.study.recovery import UnusableStudy, resume_state
    from ciper.study.tables import tables

    storage = args.storage if is_uri(args.storage) else str(Path(args.storage).expanduser().resolve())
    study_dir = None if is_uri(storage) else Path(storage) / study.name
    base = base_config(study, args)
    if args.fresh and study_dir is not None and study_dir.exists():
        shutil.rmtree(study_dir)
    exp_path = os.path.join(storage, study.name, "ray")
    try:
        state = resume_state(exp_path)  # read before Ray starts: a folder that cannot be resumed stops here
    except UnusableStudy as e:
        _exit_on([str(e)])
    if state in ("resume", "rebuild") and study_dir is not None:
        _exit_on(_changed_command(study, study_dir, args, base))

    owns_ray = not ray.is_initialized()  # a notebook or test may have started Ray already
    if owns_ray:
        _start_ray(args)
    sigterm = GracefulStop(study.name) if owns_ray else None
    try:
        cluster_gpus = ray.cluster_resources().get("GPU", 0)
        if args.gpus_per_trial > cluster_gpus:
            _exit_on([f"--gpus-per-trial {args.gpus_per_trial} exceeds the cluster's {cluster_gpus} GPU(s)"])
        try:
            tuner = _tuner(study, args, base, storage, study_dir, state)
            if state in ("new", "restart") and study_dir is not None:
                write_json(study_dir / GRID_RECORD, _grid(study, args, base))
            started = time.time()
            with GpuSampler() as gpu, sigterm.fitting() if sigterm else contextlib.nullcontext():
                grid = _fit(tuner, exp_path, resumed=state in ("resume", "rebuild"))
        except UnusableStudy as e:
            _exit_on([str(e)])
        wall = time.time() - started
        trials, epochs = tables(grid)
        if study_dir is not None:
            _write_results(study, study_dir, args, argv, trials, epochs, wall, gpu.summary())
        _summary(study, trials, wall)
    finally:
        try:
            if owns_ray:
                ray.shutdown()
        finally:
            if sigterm is not None:
                sigterm.restore()
    return StudyRun(study_dir, trials, epochs)


class GracefulStop:
    """SIGTERM (`kill`, `timeout`, a job scheduler) stops a study as Ctrl-C stops Ray Tune: during the
    fit it calls Tune's own stop, which ends the trials and saves the study's state one last time,
    then exits with one line; Ray and its trial workers stop in run_study's `finally`, and rerunning
    the command resumes. Outside the fit it exits at once (nothing is half-written there: results are
    written atomically). A second SIGTERM is ignored, so it cannot cut the shutdown short.
    Off the main thread, where Python sets no handler, it does nothing."""

    def __init__(self, study_name: str):
        self.message = f"{study_name}: stopped by SIGTERM; rerun the same command to resume it"
        self.in_fit = False
        self.received = False
        self.installed = threading.current_thread() is threading.main_thread()
        if self.installed:  # (None: a handler set outside Python; the default is what it did)
            self.before = signal.signal(signal.SIGTERM, self._on_sigterm) or signal.SIG_DFL

    def _on_sigterm(self, signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        self.received = True
        tune_stop = signal.getsignal(signal.SIGINT)  # Tune's handler while it fits
        if not (self.in_fit and callable(tune_stop) and tune_stop is not signal.default_int_handler):
            raise SystemExit(self.message)
        tune_stop(signal.SIGINT, frame)

    @contextlib.contextmanager
    def fitting(self):
        self.in_fit = True
        try:
            yield
        finally:
            self.in_fit = False
        if self.received:  # Tune stopped on our signal and returned: leave now, not with a partial table
            raise SystemExit(self.message)

    def restore(self) -> None:
        if self.installed:
            signal.signal(signal.SIGTERM, self.before)


GRID_RECORD = "grid.json"  # what a study's Ray run was started with; resuming it must ask for the same


RESOURCE_FIELDS = ("device", "threads")  # set from --gpus-per-trial / --cpus-per-trial: a resume may change them


def _grid(study: Study, args, base: Config) -> dict:
    """What decides a study's trials: the preset and base config, and the grid's seeds and references
    or the search's size and objective (JSON-ready, as grid.json holds it)."""
    config = {k: v for k, v in base.to_dict().items() if k not in RESOURCE_FIELDS}
    if study.is_search(args.preset):
        trials = {"num_samples": getattr(args, "num_samples", None), "objective": getattr(args, "objective", None)}
    else:
        trials = {"seeds": args.seeds, "references": args.references}
    return json.loads(json.dumps(json_ready({"preset": args.preset, **trials, **config})))


def _changed_command(study: Study, study_dir: Path, args, base: Config) -> list[str]:
    """One problem if this command asks for other trials than the run it would resume: Ray resumes
    the trials it started with and would silently ignore the new settings (more seeds, say)."""
    try:
        started = json.loads((study_dir / GRID_RECORD).read_text())
    except (OSError, ValueError):
        return []  # a run started before the record was kept: nothing to compare
    asked = _grid(study, args, base)
    changes = [f"{k} {started[k]} there, {asked[k]} asked" for k in asked if k in started and started[k] != asked[k]]
    if not changes:
        return []
    return [
        f"{study_dir} holds a run of {study.name} started with other settings ({'; '.join(changes)}): "
        "rerun with its settings to resume it, or add --fresh to run these (finished trials of the same "
        "code are read back from the storage's runs/, not trained again)"
    ]


def reference_cache(storage: str) -> str:
    """Where the references' metrics and supervised encoders are cached: beside the storage's
    studies (every study of one storage shares them), or this machine's cache for a URI."""
    if is_uri(storage):
        from ciper.worldcache import cache_dir

        return str(cache_dir() / "references")
    return str(Path(storage) / "references")


def runs_folder(storage: str) -> str | None:
    """Where the storage's finished runs are kept for reuse (ciper/study/runs.py); None for a URI
    (a run is reused only within the storage that computed it)."""
    return None if is_uri(storage) else str(Path(storage) / "runs")


def _exit_on(problems: list[str]) -> None:
    """One line per problem on stderr, then exit 2 (nothing to do if there are none)."""
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        raise SystemExit(2)


def _write_results(study: Study, study_dir: Path, args, argv, trials, epochs, wall: float, gpu: dict) -> None:
    """trials.parquet and epochs.parquet, then run.json (the command, fit time, resources)."""
    from ciper.device import machine
    from ciper.records import code_version
    from ciper.study.tables import write_tables

    write_tables(study_dir, trials, epochs)
    write_json(
        study_dir / "run.json",
        {
            "study": study.name,
            "report": study.report,
            "argv": sys.argv[1:] if argv is None else argv,
            "fit_seconds": wall,
            "cpus_per_trial": args.cpus_per_trial,
            "gpus_per_trial": args.gpus_per_trial,
            **gpu,
            "trials": len(trials),
            "code_version": code_version(),
            # the driver's machine, which names the machine of every absolute time on one node
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


def _fit(tuner, exp_path: str, resumed: bool):
    """tuner.fit(); a restored experiment whose state Ray cannot read is an UnusableStudy, not a crash."""
    from ciper.study.recovery import UnusableStudy

    if not resumed:
        return tuner.fit()
    try:
        return tuner.fit()
    except Exception as e:  # trials' own errors are results; what reaches here is Ray's state on disk
        raise UnusableStudy(_cannot_resume(exp_path, e)) from e


def _start_ray(args) -> None:
    import ray

    init = dict(include_dashboard=args.dashboard, configure_logging=True, logging_level="ERROR", log_to_driver=False)
    if args.dashboard:
        init["dashboard_host"] = "127.0.0.1"
    if args.address:
        ray.init(address=args.address, **init)
    else:
        ray.init(num_cpus=os.cpu_count(), num_gpus=None if args.gpus_per_trial else 0, **init)


def _tuner(study: Study, args, base: Config, storage: str, study_dir: Path | None, state: str):
    """A new Tuner for the study, or the interrupted one restored from its storage; `state` is
    recovery.resume_state of its Ray folder. Raises UnusableStudy when Ray cannot read that folder."""
    from ray import tune

    from ciper.study.recovery import UnusableStudy, mend_missing_checkpoints
    from ciper.study.storage import storage_filesystem
    from ciper.study.trainable import trainable

    search = study.is_search(args.preset)
    bound = tune.with_parameters(
        trainable,
        objective=study.objectives[args.objective] if search else None,
        eval_every_epoch=search,
        reference_cache=reference_cache(storage),
        runs=None if search or args.retrain else runs_folder(storage),
        study=study.name,
    )
    fn = tune.with_resources(bound, {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial})
    exp_path = os.path.join(storage, study.name, "ray")
    if state == "restart":
        # killed after Ray saved its tuner but before it recorded any trial: nothing to keep
        print(f"{study.name}: the last run was stopped before it recorded any trial; starting over")
        _clear(exp_path, study_dir)
    if state in ("new", "restart"):
        return _new_tuner(study, args, base, fn, storage, study_dir)
    if state == "rebuild":
        print(f"{study.name}: Ray's tuner file in {exp_path} is missing or cut off; writing it anew from this command")
        _new_tuner(study, args, base, fn, storage, study_dir)  # a new Tuner writes its tuner file
    print(f"resuming {study.name} from {exp_path}")
    try:
        mend_missing_checkpoints(exp_path)
        tuner = tune.Tuner.restore(
            exp_path,
            trainable=fn,
            resume_errored=True,
            restart_errored=False,
            storage_filesystem=storage_filesystem(storage),
        )
    except Exception as e:  # Ray's own files on disk, which Ray could not read
        raise UnusableStudy(_cannot_resume(exp_path, e)) from e
    return tuner


def _cannot_resume(exp_path: str, e: BaseException) -> str:
    detail = (str(e).strip().splitlines() or [""])[-1][:300]
    return (
        f"{exp_path} cannot be resumed: Ray could not read its state ({type(e).__name__}: {detail}); "
        f"rerun with --fresh to start this study over (it deletes the folder)"
    )


def _clear(exp_path: str, study_dir: Path | None) -> None:
    """Remove what an interrupted start left: Ray's folder and a search's Optuna database."""
    import pyarrow.fs

    fs, root = pyarrow.fs.FileSystem.from_uri(exp_path)
    fs.delete_dir(root)
    if study_dir is not None:
        (study_dir / "optuna.db").unlink(missing_ok=True)


def _from_condition(key: str, default, config: dict):
    """A trial's value of `key`: its condition's setting, else the study's base value."""
    return config["condition"].get(key, default)


def _new_tuner(study: Study, args, base: Config, fn, storage: str, study_dir: Path | None):
    from ray import tune

    from ciper.study.progress import StudyProgress
    from ciper.study.storage import storage_filesystem
    from ciper.study.trackers import callbacks

    space = base.to_dict()
    study_space = study.space(args.preset)
    seeds = list(range(args.seeds))
    # reuse_actors: a finished trial's worker process runs the next trial, so each slot
    # imports torch once instead of once per trial (seconds per trial on a small machine)
    run_config = tune.RunConfig(
        name="ray",
        storage_path=os.path.join(storage, study.name),
        storage_filesystem=storage_filesystem(storage),
        verbose=0,
        callbacks=[
            StudyProgress(
                study.name,
                [*study_space, "condition", "seed"],
                "objective" if study.is_search(args.preset) else study.metric,
            ),
            *callbacks(args.log, study.name, study_dir),
        ],
        failure_config=tune.FailureConfig(max_failures=2),
        checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
    )
    if not study.is_search(args.preset):
        # one list of trials (the grid's combinations, then its references and controls), times the seeds
        references = study.references if args.references else ()
        trials = study.trials(args.preset, references)
        space["condition"] = tune.grid_search(trials)
        # each setting a condition makes is also the trial's own top-level value, so that
        # every reader of trial.config (trackers, progress) sees what the trial ran with
        for key in dict.fromkeys(k for t in trials for k in trial_settings(t)):
            space[key] = tune.sample_from(functools.partial(_from_condition, key, space.get(key)))
        space["seed"] = tune.grid_search(seeds)
        tune_config = tune.TuneConfig(max_concurrent_trials=args.max_concurrent or None, reuse_actors=True)
    else:
        from optuna.storages import RDBStorage
        from ray.tune.schedulers import ASHAScheduler
        from ray.tune.search.optuna import OptunaSearch

        db = Path(storage) / study.name / "optuna.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        for key in study_space:
            space.pop(key, None)
        searcher = OptunaSearch(
            space=study_space,
            metric="objective",
            mode="max",
            seed=seeds[0],
            study_name=study.name,
            storage=RDBStorage(f"sqlite:///{db}"),
        )
        tune_config = tune.TuneConfig(
            search_alg=searcher,
            num_samples=args.num_samples,
            scheduler=ASHAScheduler(metric="objective", mode="max", max_t=base.epochs, grace_period=1),
            max_concurrent_trials=args.max_concurrent or None,
            reuse_actors=True,
        )
    return tune.Tuner(fn, param_space=space, tune_config=tune_config, run_config=run_config)


def _summary(study: Study, trials, wall: float) -> None:
    counts = trials["status"].value_counts().to_dict() if len(trials) else {}
    print(
        f"[{study.name}] {len(trials)} trials ({', '.join(f'{v} {k}' for k, v in counts.items())}) "
        f"in {wall / 60:.1f} min"
    )
    reused = int(trials["reused_from"].notna().sum()) if "reused_from" in trials else 0
    if reused:
        print(
            f"[{study.name}] {reused} of {len(trials)} trials reused a finished run of the same config and "
            "code in this storage (column reused_from); --retrain trains them again"
        )
    for _, row in trials[trials["status"] == "error"].iterrows():
        print(f"[{study.name}] failed trial {row['trial_id']}: {row['error']}")
    from ciper.probes import METRICS, WHY_NAN

    done = trials[trials["status"] == "finished"] if len(trials) else trials
    for m in METRICS:
        if m in done and len(done) and done[m].isna().all():
            print(f"[{study.name}] note: {m} is NaN in every trial: {WHY_NAN[m]}")
