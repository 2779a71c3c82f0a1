"""Studies on a real local Ray (2 CPUs, one cluster for the tests that run trials) with real tiny
trials, and what a study checks and prints before and without Ray."""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import ray

from analysis import order_verdicts
from ciper.checkpoint import trial_checkpoint
from ciper.study import Study, load_results, run_study
from studies import alpha_sweep, aug_ablation, aug_order, head_ablation, latent_dim, search
from studies import main as run_and_report

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--preset", "smoke", "--seeds", "2", "--set", "epochs=1", "world_frames=20", "eval_images=100"]
SMALL = Study(
    name="alpha_pair",
    question="tiny alpha study",
    space=lambda p: {"alpha": [0.0, 1.0]},
    report="alpha_sweep",
    references=(),
)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield
    ray.shutdown()


def _png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_study_writes_tables_and_report(tmp_path, capsys, local_ray):
    study_dir = run_and_report(SMALL, [*TINY, "--storage", str(tmp_path)]).study_dir
    out = capsys.readouterr().out
    # a line per finished trial, each with the study's status (a log, not a terminal: no in-place line)
    lines = [line for line in out.splitlines() if " done  " in line]
    assert len(lines) == 4 and "[alpha_pair] 4/4 done" in lines[-1]
    assert "| 4 done, 0 running, 0 pending, ETA 0.0 min, best object_acc 0." in lines[-1]
    assert "\r" not in out
    trials, epochs = load_results(study_dir)
    assert len(trials) == 4 and set(trials.status) == {"finished"}
    assert sorted(zip(trials.alpha, trials.seed)) == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]
    for col in ["object_acc", "pose_r2", "aug_r2", "wall_time", "code_version", "latent_dim", "aug_order", "precision"]:
        assert trials[col].notna().all(), col
    assert trials.aug_order.iloc[0] == "jitter>grayscale>blur"
    assert len(epochs) == 4 and {"trial_id", "epoch", "loss", "alpha", "seed"} <= set(epochs.columns)
    assert (study_dir / "report.md").exists()
    run = json.loads((study_dir / "run.json").read_text())
    assert run["trials"] == 4 and run["fit_seconds"] > 0 and run["code_version"]
    assert f"{os.cpu_count()} cores, torch " in run["machine"]  # absolute times name their machine
    assert run["gpus_per_trial"] == 0.0 and "gpu_utilisation" in run and run["gpu_utilisation_note"]
    w, h = _png_size(study_dir / "alpha_metrics.png")
    assert w > 500 and h > 200


@pytest.mark.slow
def test_a_conditions_labels_reach_the_trial_table_as_columns(tmp_path, local_ray):
    study = Study(
        name="labelled",
        question="do labels reach the table?",
        space=lambda p: {"alpha": [1.0]},
        conditions=lambda p: {
            "everything": {"aug_order": ["jitter", "blur"], "removal": "none"},
            "less": {"aug_order": ["jitter"], "removal": "one op", "removed_op": "blur"},
        },
        labels=("removal", "removed_op"),
        references=(),
    )
    trials, epochs = load_results(run_study(study, [*TINY[:3], "1", *TINY[4:], "--storage", str(tmp_path)]).study_dir)
    assert set(trials.status) == {"finished"}
    rows = trials.set_index("condition")
    assert rows.loc["less", ["removal", "removed_op", "aug_order"]].tolist() == ["one op", "blur", "jitter"]
    assert rows.loc["everything", "removal"] == "none" and pd.isna(rows.loc["everything", "removed_op"])
    assert list(trials.columns[:4]) == ["trial_id", "condition", "removal", "removed_op"]
    assert {"removal", "removed_op"} <= set(epochs.columns)  # they vary, so they travel with every epoch


@pytest.mark.slow
def test_rerun_resumes_without_training_again(tmp_path, capsys, local_ray):
    args = [*TINY, "--storage", str(tmp_path)]
    first, _ = load_results(run_study(SMALL, args).study_dir)
    capsys.readouterr()
    second, _ = load_results(run_study(SMALL, args).study_dir)
    out = capsys.readouterr().out
    assert "resuming alpha_pair" in out and " done " not in out  # nothing was trained again
    pd.testing.assert_frame_equal(
        first.sort_values("trial_id").reset_index(drop=True), second.sort_values("trial_id").reset_index(drop=True)
    )
    # --retrain: train again rather than read the storage's finished runs back
    fresh, _ = load_results(run_study(SMALL, [*args, "--fresh", "--retrain"]).study_dir)
    assert set(fresh.trial_id).isdisjoint(first.trial_id) and fresh.reused_from.isna().all()
    # same study, same seeds: same configs and, on CPU, the same final metrics
    key = ["alpha", "seed"]
    a = first.sort_values(key).reset_index(drop=True)
    b = fresh.sort_values(key).reset_index(drop=True)
    for col in ["object_acc", "session_acc", "pose_r2", "aug_r2", "knn_acc", "loss"]:
        assert a[col].tolist() == b[col].tolist(), col


@pytest.mark.slow
def test_more_seeds_than_the_run_to_resume_is_refused_and_fresh_reads_its_seeds_back(tmp_path, capsys, local_ray):
    one_seed = [*TINY, "--seeds", "1", "--storage", str(tmp_path)]  # the last --seeds counts
    first, _ = load_results(run_study(SMALL, one_seed).study_dir)
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:
        run_study(SMALL, [*one_seed, "--seeds", "2"])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert "seeds 1 there, 2 asked" in err and "--fresh" in err
    assert load_results(tmp_path / "alpha_pair")[0].equals(first)  # the finished run is untouched
    both, _ = load_results(run_study(SMALL, [*one_seed, "--seeds", "2", "--fresh"]).study_dir)
    seed0 = both[both.seed == 0].sort_values("alpha")
    assert len(both) == 4 and set(both.status) == {"finished"}
    assert seed0.reused_from.tolist() == [f"alpha_pair/{t}" for t in first.sort_values("alpha").trial_id]
    assert both[both.seed == 1].reused_from.isna().all()  # the new seed trained
    assert seed0.object_acc.tolist() == first.sort_values("alpha").object_acc.tolist()


@pytest.mark.slow
def test_a_run_another_study_finished_is_reused_not_trained_again(tmp_path, capsys, local_ray):
    # two epochs, so that every report, not just the last, must come back
    args = ["--preset", "smoke", "--seeds", "1", "--set", "epochs=2", "world_frames=20", "eval_images=100"]
    args += ["--storage", str(tmp_path)]
    first, _ = load_results(run_study(SMALL, args).study_dir)
    one = Study(name="alpha_one", question="q", space=lambda p: {"alpha": [1.0, 0.3]}, references=())
    capsys.readouterr()
    second, second_epochs = load_results(run_study(one, args).study_dir)
    out = capsys.readouterr().out
    reused = second[second.alpha == 1.0].sort_values("seed")
    trained = first[first.alpha == 1.0].sort_values("seed")
    assert reused.reused_from.tolist() == [f"alpha_pair/{t}" for t in trained.trial_id]
    for col in ["object_acc", "pose_r2", "aug_r2", "loss", "train_time", "code_version"]:
        assert reused[col].tolist() == trained[col].tolist(), col
    assert second[second.alpha == 0.3].reused_from.isna().all()  # no study ran alpha 0.3: trained here
    assert "[alpha_one] 1 of 2 trials reused a finished run" in out
    replayed = second_epochs[second_epochs.trial_id.isin(reused.trial_id)]
    assert replayed.epoch.tolist() == [1, 2] and replayed.loss.notna().all()  # its epochs are replayed too
    # and its checkpoint, which the structure analysis and the maps read
    assert trial_checkpoint(tmp_path / "alpha_one" / "ray", reused.trial_id.iloc[0]) is not None
    # a record that cannot be read is not reused: that trial trains again
    for path in (tmp_path / "runs").glob("*.json"):
        path.write_text("{not json")
    again = Study(name="alpha_again", question="q", space=one.space, references=())
    third, _ = load_results(run_study(again, args).study_dir)
    assert third.reused_from.isna().all() and set(third.status) == {"finished"}


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--preset", "huge"], "unknown preset 'huge'"),
        (["--seeds", "0"], "--seeds 0 must be >= 1"),
        (["--gpus-per-trial", "1"], "no CUDA GPU"),
        (["--set", "lr=-2"], "lr=-2.0 must be > 0"),
        (["--set", "aug_order=jitter,jitter"], "appears twice"),
        # a key the study sets in every trial itself: a --set on it would be silently ignored
        (["--set", "alpha=0.5"], "--set alpha=0.5: alpha_pair sets alpha itself (its grid: 0.0, 1.0)"),
        (["--set", "seed=3"], "sets seed itself (one trial per seed, from --seeds)"),
    ],
)
def test_bad_arguments_exit_2_before_any_trial(tmp_path, capsys, argv, needle):
    with pytest.raises(SystemExit) as e:
        run_study(SMALL, [*argv, "--storage", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r" / "alpha_pair").exists()


def test_unwritable_storage_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as e:
        run_study(SMALL, ["--storage", str(blocker / "sub")])
    assert e.value.code == 2 and "not writable" in capsys.readouterr().err


def test_study_files_describe_their_grids():
    assert 0.0 in alpha_sweep.STUDY.space("cpu")["alpha"] and max(alpha_sweep.STUDY.space("cpu")["alpha"]) >= 10
    orders = aug_order.STUDY.conditions("paper")
    assert sum(name.startswith("ops ") for name in orders) == 24
    assert aug_order.STUDY.conditions("smoke") == aug_order.STUDY.conditions("smoke")  # seeded sample
    smoke = aug_order.STUDY.conditions("smoke")
    assert sum(name.startswith("ops ") for name in smoke) == 3
    assert sum(name.startswith("jitter ") for name in smoke) == 3  # two jitter orders, one per sample
    assert smoke["jitter order per sample"]["jitter_random_order"] is True
    removal = aug_ablation.STUDY.conditions("cpu")
    assert list(removal) == ["all ops", "without jitter", "without grayscale", "without blur", "no synthetic ops"]
    assert removal["no synthetic ops"]["pairs"] == "time" and removal["without blur"]["aug_order"] == [
        "jitter",
        "grayscale",
    ]
    # what each condition means is in its labels, which the reports read
    assert [c.get("removed_op") for c in removal.values()] == [None, "jitter", "grayscale", "blur", None]
    assert [c["removal"] for c in removal.values()] == ["none", "one op", "one op", "one op", "synthetic ops"]
    assert smoke["jitter order per sample"]["order_kind"] == "random"
    assert {c["order_kind"] for c in smoke.values()} == set(order_verdicts.KINDS)
    for study in (aug_ablation.STUDY, aug_order.STUDY):
        assert study.problems("cpu") == [] and all("labels" in t for t in study.grid("cpu"))
    assert set(head_ablation.STUDY.space("cpu")["head_mode"]) == {"contrastive", "predictive", "both"}
    assert latent_dim.STUDY.space("cpu")["alpha"] == [0.0, 1.0]


@pytest.mark.slow
def test_search_study_persists_an_optuna_study(tmp_path, local_ray):
    import optuna

    study_dir = run_and_report(
        search.STUDY,
        [
            "--preset",
            "smoke",
            "--num-samples",
            "3",
            "--objective",
            "balanced",
            "--set",
            "epochs=2",
            "world_frames=20",
            "eval_images=100",
            "--storage",
            str(tmp_path),
        ],
    ).study_dir
    trials, epochs = load_results(study_dir)
    assert len(trials) == 3 and trials.objective.notna().all()
    assert trials.alpha.nunique() == 3 and trials.alpha.between(0.01, 10).all()
    stored = optuna.load_study(study_name="search", storage=f"sqlite:///{study_dir / 'optuna.db'}")
    assert len(stored.trials) == 3
    assert "objective" in epochs  # reported every epoch, so ASHA can stop weak trials early


def test_repeated_set_flags_add_up_in_a_study():
    from ciper.study.cli import base_config, parse_args

    args = parse_args(SMALL, ["--preset", "smoke", "--set", "alpha=0", "--set", "seed=3", "epochs=1"])
    cfg = base_config(SMALL, args)
    assert (cfg.alpha, cfg.seed, cfg.epochs) == (0.0, 3, 1)


def test_the_status_line_counts_trials_and_estimates_the_time_left():
    from types import SimpleNamespace as Trial

    from ciper.study.progress import status_of

    trials = [
        Trial(status="TERMINATED", last_result={"finished": True, "time_total_s": 10.0, "object_acc": 0.5}),
        Trial(status="TERMINATED", last_result={"finished": True, "time_total_s": 30.0, "object_acc": 0.7}),
        Trial(status="TERMINATED", last_result={"epoch": 1, "object_acc": 0.9}),  # stopped by ASHA
        Trial(status="RUNNING", last_result={}),
        Trial(status="RUNNING", last_result={}),
        Trial(status="PENDING", last_result=None),
    ]
    s = status_of(trials, "object_acc")
    assert (s.done, s.running, s.pending, s.stopped_early) == (2, 2, 1, 1)
    assert s.best == 0.9 and s.eta_s == (1 + 2 * 0.5) * 20.0 / 2
    assert s.line() == "2 done, 2 running, 1 pending, 1 stopped early (ASHA), ETA 0.3 min, best object_acc 0.900"


COUNT_CALLBACKS = """
import importlib, sys
from ray.tune import Callback
from ciper.study.runner import ray_environment, skip_callback_telemetry

ray_environment()
skip_callback_telemetry()
importlib.import_module("ray.tune.tune").air_usage.tag_callbacks([Callback()])  # what Tune calls in every fit
print(",".join(m for m in ("wandb", "mlflow") if m in sys.modules))
"""


@pytest.mark.parametrize("telemetry, imported", [("0", ""), ("1", "wandb,mlflow")])
def test_a_study_imports_no_tracker_it_did_not_ask_for(telemetry, imported):
    """Tune counts callbacks for its telemetry by importing every tracker it knows of (with torch
    loaded, wandb alone takes 10-25 s). Telemetry is off for a study, and the count is skipped;
    with telemetry on (the control), Tune imports them, so the skip is what keeps them out."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": telemetry}
    p = subprocess.run([sys.executable, "-c", COUNT_CALLBACKS], cwd=ROOT, capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == imported


def test_a_reference_trials_progress_label_names_only_what_it_follows():
    from ciper.study.progress import label

    keys = ["alpha", "epochs", "condition", "seed"]
    trained = {"alpha": 1.0, "epochs": 48, "method": "ciper", "seed": 2}
    assert label(trained, keys) == "alpha=1.0 epochs=48 seed=2"
    control = {"alpha": 1.0, "epochs": 12, "method": "pixels", "seed": 2, "condition": {"name": "pixels"}}
    assert label(control, keys) == "epochs=12 condition=pixels seed=2"
