import json
import subprocess
import sys

import pytest
from helpers import refused

from ciper.config import Config, ConfigError, preset
from ciper.probes import evaluate
from ciper.run import main
from ciper.train import train

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
# the smallest smoke run the training tests need (the world the study tests use too: cached once)
SMALL = dict(epochs=1, world_frames=20, eval_images=100)
KEYS = ["object_acc", "session_acc", "pose_r2", "rot_r2", "aug_r2", "knn_acc", "loss", "loss_con", "loss_pred"]


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ciper", *args], cwd=cwd, capture_output=True, text=True, timeout=1200)


@pytest.mark.slow
def test_smoke_cli_writes_config_and_metrics(tmp_path):
    out = tmp_path / "run"
    p = _cli("--preset", "smoke", "--out", str(out), "--no-progress")
    assert p.returncode == 0, p.stderr
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    for key in KEYS:
        assert isinstance(metrics[key], float), key
    assert any(k.startswith("aug_r2/") for k in metrics) and "pose_r2/rot_x" in metrics and "rot_r2/drot_x" in metrics
    assert metrics["code_version"] and metrics["seed"] == 0
    assert json.loads((out / "config.json").read_text()) == preset("smoke").to_dict()


def _final(cfg, workdir=None, on_epoch=None):
    return evaluate(train(cfg, workdir, on_epoch=on_epoch))


@pytest.mark.slow
def test_same_seed_same_metrics_and_seed_matters():
    cfg = preset("smoke", **SMALL)
    a, b, c = _final(cfg), _final(cfg), _final(cfg.replace(seed=1))
    assert a == b
    assert a != c


class Interrupt(Exception):
    pass


@pytest.mark.slow
def test_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    cfg = preset("smoke", **{**SMALL, "epochs": 3})
    whole = _final(cfg, tmp_path / "whole")

    def stop_after_first(metrics, trained):
        if metrics["epoch"] == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(cfg, tmp_path / "cut", on_epoch=stop_after_first)
    epochs_seen = []
    resumed = evaluate(train(cfg, tmp_path / "cut", on_epoch=lambda m, t: epochs_seen.append(m["epoch"])))
    assert epochs_seen == [2, 3]  # only the missing epochs were trained
    assert resumed == whole  # bit-identical on CPU


@pytest.mark.slow
def test_contrastive_only_and_predictive_only_run():
    c = train(preset("smoke", alpha=0.0, **SMALL)).history[-1]
    p = train(preset("smoke", head_mode="predictive", **SMALL)).history[-1]
    assert "loss_pred" not in c and c["loss_con"] > 0
    assert "loss_con" not in p and p["loss_pred"] > 0


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["aug_order=crop,spin"], "unknown augmentation 'spin'"),
        (["aug_order=crop,blur,crop"], "appears twice"),
        (["alpha=-1"], "alpha=-1.0 must be"),
        (["alpha=nan"], "alpha=nan must be"),
        (["latent_dim=0"], "latent_dim=0 must be >= 1"),
        (["temperature=0"], "temperature=0.0 must be > 0"),
        (["batch_size=1"], "batch_size=1 must be >= 2"),
        (["encoder=vit"], "encoder='vit' is not one of"),
        (["alpah=1"], "unknown config key 'alpah'"),
        (["latent_dim=abc"], "latent_dim='abc' must be a whole number"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path, capsys, sets, needle):
    code = main(["--preset", "smoke", "--set", *sets, "--out", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "o").exists()  # rejected before anything was written


def test_unknown_preset_exit_2(tmp_path):
    p = _cli("--preset", "huge", "--out", str(tmp_path / "o"))
    assert p.returncode == 2 and "unknown preset 'huge'" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_the_training_module_names_the_run_command(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "ciper.train", "--preset", "smoke", "--out", str(tmp_path / "r")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and "python -m ciper --preset" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_config_round_trips_through_json():
    cfg = preset("cpu", alpha=0.3, aug_order=["blur", "jitter"])
    assert Config.from_dict(json.loads(cfg.to_json())) == cfg
    with pytest.raises(ConfigError):
        Config.from_dict({"alpha": "lots"})


@pytest.mark.slow
def test_time_pairs_with_geometric_ops_train_on_the_3d_world():
    """The 3D rotation of time pairs and the rotation op are separate target groups."""
    from ciper.datasets import load_dataset
    from ciper.model import target_groups

    cfg = preset("smoke", aug_order=["crop", "rotation", "jitter"], **SMALL)
    groups = target_groups(cfg, load_dataset(cfg))
    assert list(groups)[:2] == ["pose_rotation", "pose"] and "rotation" in groups
    trained = train(cfg)
    assert trained.model.predictor.mlp[-1].out_features == sum(len(c) for c in groups.values())


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["max_train_images=1"], "max_train_images=1 leaves one training image"),
        (["latent_dim=1000000000"], "latent_dim=1000000000 must be <= 65536"),
        (["weight_decay=-1"], "weight_decay=-1.0 must be >= 0"),
        (["lr=inf"], "lr=inf must be a finite number"),
        (["rotation_degrees=nan", "aug_order=rotation", "pairs=synthetic"], "rotation_degrees=nan must be a finite"),
        (["pose_columns=yaw"], "pose_columns is for dataset=folder"),
        (["jitter_order=hue,brightness"], "jitter_order=hue,brightness must list each of brightness, contrast"),
        (["precision=fp16"], "precision='fp16' is not one of auto, fp32, bf16"),
        (["split=random"], "split=random does not fit the built-in worlds"),
        (["test_fraction=0.9"], "leaves none to train"),
        (["world_sessions=1"], "use world_sessions >= 2"),
        (["pairs=time", "time_pair_target=none"], "has nothing to predict"),
        (["method=oracle"], "method='oracle' is not one of ciper, untrained"),
        (["method=pixels"], "method=pixels is a reference, not a training run"),
    ],
)
def test_bad_values_are_one_line_and_exit_2_before_training(tmp_path, capsys, sets, needle):
    argv = ["--preset", "smoke", "--set", *sets, "--out", str(tmp_path / "run"), "--no-progress"]
    assert needle in refused(main, argv, capsys)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2(tmp_path):
    a_file = tmp_path / "data.csv"
    a_file.write_text("file,label\n")
    p = _cli("--preset", "smoke", "--set", "dataset=folder", f"data_dir={a_file}", "--out", str(tmp_path / "r"))
    assert p.returncode == 2 and "is a file, not a folder" in p.stderr and len(p.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_repeated_set_flags_add_up(tmp_path):
    out = tmp_path / "run"
    sets = ["--set", "alpha=0", "--set", "seed=3", "epochs=1", "world_frames=20", "eval_images=100"]
    p = _cli("--preset", "smoke", *sets, "--out", str(out), "--no-progress")
    assert p.returncode == 0, p.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["alpha"] == 0.0 and config["seed"] == 3 and config["epochs"] == 1


@pytest.mark.slow
def test_a_nan_metric_is_explained(tmp_path):
    sets = ["--set", "dataset=flatworld", "epochs=1", "world_frames=20", "eval_images=100"]
    p = _cli("--preset", "smoke", *sets, "--out", str(tmp_path / "r"), "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "note: rot_r2=nan: the data has no 3D rotations" in p.stdout
