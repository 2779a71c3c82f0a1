"""Experiment trackers through Ray Tune's own logger callbacks: TensorBoard, MLflow, Weights & Biases.

`--log tensorboard mlflow wandb` (any of them, several at once) logs every trial's
config and per-epoch metrics:

    tensorboard  event files in each trial's folder      tensorboard --logdir <storage>/<study>/ray
    mlflow       <storage>/<study>/mlflow.db (SQLite)       mlflow ui --backend-store-uri sqlite:///<storage>/<study>/mlflow.db
    wandb        a run per trial, project <study>          wandb's own settings (WANDB_MODE=offline keeps it local)

MLflow and wandb are optional extras (pip install -e .[mlflow] / .[wandb]); a
missing one is reported before Ray starts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

TRACKERS = {
    "tensorboard": ("tensorboardX", "ray[tune]"),
    "mlflow": ("mlflow", "-e .[mlflow]"),
    "wandb": ("wandb", "-e .[wandb]"),
}


WANDB_INIT_TIMEOUT_S = 600  # seconds a trial's wandb run may take to start


def missing(trackers: list[str]) -> list[str]:
    """One problem per tracker whose package is not installed (with what to install)."""
    return [
        f"--log {name} needs the {TRACKERS[name][0]} package; install it with pip install {TRACKERS[name][1]}"
        for name in dict.fromkeys(trackers)
        if importlib.util.find_spec(TRACKERS[name][0]) is None
    ]


def callbacks(trackers: list[str], study_name: str, study_dir: Path | None) -> list:
    """Ray Tune logger callbacks for the named trackers."""
    out = []
    for name in dict.fromkeys(trackers):
        if name == "tensorboard":
            from ray.tune.logger import TBXLoggerCallback

            out.append(TBXLoggerCallback())
        elif name == "mlflow":
            from ray.air.integrations.mlflow import MLflowLoggerCallback

            uri = f"sqlite:///{(study_dir / 'mlflow.db').resolve()}" if study_dir is not None else None
            if study_dir is not None:
                study_dir.mkdir(parents=True, exist_ok=True)
            out.append(MLflowLoggerCallback(tracking_uri=uri, experiment_name=study_name))
        elif name == "wandb":
            import wandb
            from ray.air.integrations.wandb import WandbLoggerCallback

            kwargs = {"dir": str(study_dir)} if study_dir is not None else {}
            # each trial's run starts while trials train beside it: on a busy machine that can
            # take longer than wandb's 90 s default, and a run that times out logs no history
            settings = wandb.Settings(init_timeout=WANDB_INIT_TIMEOUT_S)
            out.append(
                WandbLoggerCallback(project=study_name, group=study_name, log_config=True, settings=settings, **kwargs)
            )
    return out
