"""A study's command line, and every problem with it found before Ray starts."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ciper.config import PRESETS, Config, ConfigError, parse_overrides, resolve_path
from ciper.options import add_config_options, config_of
from ciper.study.spec import Study, trial_settings
from ciper.study.trackers import TRACKERS, missing


def parse_args(study: Study, argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=f"python studies/{study.name}.py", description=study.question)
    add_config_options(ap, set_help="extra fixed config values")
    ap.add_argument("--seeds", type=int, default=study.seeds, help=f"seeds per condition (default {study.seeds})")
    ap.add_argument("--cpus-per-trial", type=float, default=1.0)
    ap.add_argument(
        "--gpus-per-trial",
        type=_gpu_share,
        default=0.0,
        help="GPU share per trial: a fraction packs trials on a GPU; auto packs by trial size (this machine's GPUs)",
    )
    ap.add_argument("--max-concurrent", type=int, default=0, help="0 = as many as resources allow")
    ap.add_argument("--address", default=None, help="join an existing Ray cluster (ray start --head ...)")
    ap.add_argument("--storage", default="results", help="results root: a path or a URI (default results/)")
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="discard earlier results of this study (a finished run of the storage is still reused: see --retrain)",
    )
    ap.add_argument(
        "--no-references",
        dest="references",
        action="store_false",
        help="leave out the reference encoders and no-learning controls (they run as trials by default)",
    )
    ap.add_argument(
        "--retrain",
        action="store_true",
        help="train every trial, even one whose config and code version a study of this storage already ran",
    )
    ap.add_argument("--dashboard", action="store_true", help="start Ray's dashboard on 127.0.0.1")
    ap.add_argument(
        "--log",
        nargs="+",
        action="extend",
        default=[],
        choices=list(TRACKERS),
        help="experiment trackers, several allowed: tensorboard, mlflow, wandb (see README)",
    )
    if study.objectives:
        ap.add_argument("--num-samples", type=int, default=12)
        ap.add_argument("--objective", default=next(iter(study.objectives)), choices=list(study.objectives))
    args = ap.parse_args(argv)
    if args.gpus_per_trial == "auto":
        args.gpus_per_trial = _auto_share(study, args)
    return args


def _gpu_share(value: str):
    if value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number or auto") from None


def _auto_share(study: Study, args) -> float:
    """`--gpus-per-trial auto`: trials per GPU from the trial's size and this machine's GPUs."""
    from ciper.study.packing import auto_gpu_share, local_gpus

    gpus, memory = local_gpus()
    if gpus == 0:
        print("--gpus-per-trial auto: no CUDA GPU here, trials run on the CPU")
        return 0.0
    try:
        cfg = config_of(args, study.fixed)
    except ConfigError:
        return 0.0  # check_args reports the bad value
    share = auto_gpu_share(cfg, gpus, memory, os.cpu_count() or 1)
    print(f"--gpus-per-trial auto: {share:g} ({round(1 / share)} trials per GPU, {gpus} GPU(s))")
    return share


def is_uri(path: str) -> bool:
    return "://" in path


def base_config(study: Study, args) -> Config:
    """The preset, the study's fixed values and --set, with paths made absolute (trials run
    in Ray's working folders) and threads/device from the per-trial resources."""
    cfg = config_of(args, study.fixed)
    if cfg.data_dir and not is_uri(cfg.data_dir):
        cfg = cfg.replace(data_dir=resolve_path(cfg.data_dir))
    cfg = cfg.replace(threads=max(1, int(args.cpus_per_trial)))
    return cfg.replace(device="cuda") if args.gpus_per_trial > 0 else cfg


def _sets_the_study_overrides(study: Study, args) -> list[str]:
    """One problem per --set key that the study sets in every trial itself (it would be ignored)."""
    try:
        sets = parse_overrides(args.set)
    except ConfigError:
        return []  # the malformed pair is reported with the config's other problems
    own = study.own_keys(args.preset)
    problems = []
    for key, value in sets.items():
        if key not in own:
            continue
        fix = (
            "choose how many seeds with --seeds N"
            if key == "seed"
            else f"drop it, or train that one config: python -m ciper --preset {args.preset} --set {key}={value}"
        )
        problems.append(
            f"--set {key}={value}: {study.name} sets {key} itself ({own[key]}), so --set would be ignored; {fix}"
        )
    return problems


def check_args(study: Study, args) -> list[str]:
    """Every problem with the arguments, found before Ray starts."""
    from ciper.datasets import check_dataset, load_dataset
    from ciper.model import prediction_groups

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
            problems.append(
                f"--gpus-per-trial {args.gpus_per_trial} but this machine has no CUDA GPU; "
                f"leave it at 0 or pass --address of a cluster with GPUs"
            )
        elif args.gpus_per_trial > have:
            problems.append(f"--gpus-per-trial {args.gpus_per_trial} exceeds the {have} GPU(s) here")
    if args.max_concurrent < 0:
        problems.append(f"--max-concurrent {args.max_concurrent} must be >= 0")
    problems += missing(args.log)
    if getattr(args, "num_samples", 1) < 1:
        problems.append(f"--num-samples {args.num_samples} must be >= 1")
    if not is_uri(args.storage):
        root = Path(args.storage).expanduser().resolve()
        try:
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=root):
                pass
        except OSError as e:
            problems.append(f"--storage {root} is not writable ({e.strerror}); choose a folder you can write")
    if problems:
        return problems
    problems += study.problems(args.preset)
    if problems:
        return problems
    problems += _sets_the_study_overrides(study, args)
    if problems:
        return problems
    try:
        base = base_config(study, args)
        configs = [base]
        if not study.is_search(args.preset):
            for trial in study.trials(args.preset, study.references if args.references else ()):
                configs.append(base.replace(**trial_settings(trial)))  # each must be valid
        check_dataset(base)
        data = load_dataset(base)  # from the cache the check filled: what the data cannot support
        for cfg in configs:
            if cfg.method == "ciper":
                prediction_groups(cfg, data)
    except ConfigError as e:
        problems.append(str(e))
    return problems
