"""Experiment trackers for real: a smoke study logs to TensorBoard, MLflow and wandb (offline) at
once, and each tracker's own reader reads back every trial's config and per-epoch metrics."""

import glob
import sys
from pathlib import Path

import pytest
import ray
from helpers import refused

from ciper.study import Study
from studies import main as run_and_report
from studies.__main__ import run as run_by_name

ROOT = Path(__file__).resolve().parent.parent
STUDY = Study(
    name="tracked", question="are trials tracked?", space=lambda p: {"alpha": [0.0, 1.0]}, seeds=1, references=()
)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    storage = tmp_path_factory.mktemp("results")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        run = run_and_report(
            STUDY,
            [
                "--preset",
                "smoke",
                "--set",
                "epochs=2",
                "world_frames=20",
                "eval_images=100",
                "--log",
                "tensorboard",
                "mlflow",
                "--log",
                "wandb",
                "--storage",
                str(storage),
            ],
        )
    finally:
        ray.shutdown()
    return run.study_dir


@pytest.mark.slow
def test_tensorboard_event_files_hold_every_epoch(tracked):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    trial_dirs = sorted(glob.glob(str(tracked / "ray" / "trainable_*")))
    assert len(trial_dirs) == 2
    for d in trial_dirs:
        events = EventAccumulator(d)
        events.Reload()
        assert [e.step for e in events.Scalars("ray/tune/loss")] == [1, 2]
        assert "ray/tune/object_acc" in events.Tags()["scalars"]


@pytest.mark.slow
def test_mlflow_runs_hold_config_and_metric_history(tracked):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tracked / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("tracked").experiment_id])
    assert sorted(float(r.data.params["alpha"]) for r in runs) == [0.0, 1.0]
    for r in runs:
        assert r.data.params["dataset"] == "world" and "object_acc" in r.data.metrics
        assert len(client.get_metric_history(r.info.run_id, "loss")) == 2


@pytest.mark.slow
def test_wandb_offline_runs_hold_config_and_history(tracked):
    from wandb.proto import wandb_internal_pb2 as pb
    from wandb.sdk.internal import datastore

    files = sorted(glob.glob(str(tracked / "wandb" / "offline-run-*" / "*.wandb")))
    assert len(files) == 2
    alphas = []
    for f in files:
        store = datastore.DataStore()
        store.open_for_scan(f)
        history, config = [], {}
        while (data := store.scan_data()) is not None:
            record = pb.Record()
            record.ParseFromString(data)
            kind = record.WhichOneof("record_type")
            if kind in ("history", "config"):
                items = record.history.item if kind == "history" else record.config.update
                values = {i.key or "/".join(i.nested_key): i.value_json for i in items}
                history.append(values) if kind == "history" else config.update(values)
        assert [h["epoch"] for h in history if "loss" in h] == ["1", "2"]
        alphas.append(float(config["alpha"]))
    assert sorted(alphas) == [0.0, 1.0]


def test_a_wandb_run_may_take_minutes_to_start_while_trials_train_beside_it(tmp_path):
    from ciper.study.trackers import callbacks

    (wandb,) = callbacks(["wandb"], "tracked", tmp_path)
    assert wandb.kwargs["settings"].init_timeout >= 300  # wandb's own default, 90 s, is not enough under load
    assert wandb.kwargs["dir"] == str(tmp_path)


def test_a_missing_tracker_package_is_one_line_before_ray_starts(tmp_path, capsys, monkeypatch):
    # a Python that cannot import mlflow: the check must name the extra to install
    monkeypatch.setitem(sys.modules, "mlflow", None)
    argv = ["alpha_sweep", "--preset", "smoke", "--log", "mlflow", "--storage", str(tmp_path)]
    assert "pip install -e .[mlflow]" in refused(run_by_name, argv, capsys)
    assert not (tmp_path / "alpha_sweep").exists()
