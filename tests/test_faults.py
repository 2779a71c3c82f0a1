"""Faults caused for real: diverging trials, killed workers, corrupt checkpoints, crashes mid-write."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import ray
import torch

from ciper import checkpoint
from ciper.records import atomic_write_bytes
from ciper.studies import Study, load_results, run_study

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_AUTH_MODE": "disabled"}


def test_diverging_trial_is_recorded_and_the_others_go_on(tmp_path):
    study = Study(name="diverge", question="one trial diverges", varied=lambda p: {"lr": [2e-3, 1e9]},
                  fixed={"optimizer": "sgd"}, seeds=1)
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        study_dir = run_study(study, ["--preset", "smoke", "--set", "epochs=2", "world_frames=20",
                                      "eval_images=100", "--storage", str(tmp_path)])
    finally:
        ray.shutdown()
    trials, _ = load_results(study_dir)
    bad, good = trials[trials.lr == 1e9].iloc[0], trials[trials.lr == 2e-3].iloc[0]
    assert bad.status == "error" and "TrainingDiverged" in bad.error and "nan" in bad.error
    assert good.status == "finished" and good.object_acc > 0
    report = (study_dir / "report.md").read_text()
    assert "not finished" in report and "TrainingDiverged" in report


def _study_cmd(storage, epochs):
    return [sys.executable, "studies/alpha_sweep.py", "--preset", "smoke", "--seeds", "1",
            "--set", f"epochs={epochs}", "world_frames=20", "eval_images=100", "--storage", str(storage)]


def _trial_workers():
    out = subprocess.run(["ps", "-eo", "pid,etimes,args"], capture_output=True, text=True).stdout
    return [(int(l.split()[0]), int(l.split()[1])) for l in out.splitlines() if "ray::ImplicitFunc.train" in l]


def test_worker_killed_mid_trial_is_retried_from_its_checkpoint(tmp_path):
    p = subprocess.Popen(_study_cmd(tmp_path, 30), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=ENV, start_new_session=True)
    killed = None
    deadline = time.time() + 120
    while killed is None and time.time() < deadline and p.poll() is None:
        old = [pid for pid, age in _trial_workers() if age >= 6]     # several epochs in: checkpoints exist
        if old:
            os.kill(old[0], signal.SIGKILL)
            killed = old[0]
        time.sleep(0.5)
    out, _ = p.communicate(timeout=400)
    assert killed is not None, "no trial worker was seen to kill"
    assert p.returncode == 0, out[-3000:]
    trials, epochs = load_results(tmp_path / "alpha_sweep")
    assert len(trials) == 7 and set(trials.status) == {"finished"}
    # the killed trial went on from its last checkpoint instead of starting over
    assert (trials.restored_from > 0).sum() >= 1
    assert epochs.groupby("trial_id").epoch.apply(lambda e: sorted(set(e)) == list(range(1, 31))).all()


def test_corrupt_checkpoint_in_a_study_restarts_that_trial(tmp_path):
    cmd = _study_cmd(tmp_path, 6)
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
                         start_new_session=True)
    for line in p.stdout:
        if " done " in line:
            break
    time.sleep(1.0)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    ckpts = sorted((tmp_path / "alpha_sweep" / "ray").glob("*/checkpoint_*/checkpoint.pt"))
    assert ckpts
    for c in ckpts:                                  # truncate every checkpoint on disk
        c.write_bytes(c.read_bytes()[:100])
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=400)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    trials, _ = load_results(tmp_path / "alpha_sweep")
    assert len(trials) == 7 and set(trials.status) == {"finished"}


def test_corrupt_checkpoint_on_the_command_line_is_one_line_exit_2(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ciper.train", "--preset", "smoke", "--out", str(out), "--no-progress"]
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, env=ENV).returncode == 0
    metrics = (out / "metrics.json").read_bytes()
    ckpt = out / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[: len(ckpt.read_bytes()) // 2])
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV)
    assert p.returncode == 2 and str(ckpt) in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert (out / "metrics.json").read_bytes() == metrics          # finished results untouched


def test_checkpoints_never_unpickle_code(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"model": {}, "payload": pd.Timestamp("2020-01-01")}, evil)   # an arbitrary Python object
    with pytest.raises(checkpoint.CheckpointError, match=str(evil)):
        checkpoint.load(evil)


WRITER = """
import sys
from ciper.records import atomic_write_bytes
atomic_write_bytes(sys.argv[1], b"new" * 200_000_000)
"""


def test_a_crash_mid_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "trials.parquet"
    atomic_write_bytes(target, b"old complete content")
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT, env=ENV)
    deadline = time.time() + 30
    while time.time() < deadline and not list(tmp_path.glob(".trials.parquet.*.tmp")):
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert target.read_bytes() == b"old complete content"


def test_unknown_study_name_exit_2():
    p = subprocess.run([sys.executable, "-m", "studies", "alpha_sweeep"], cwd=ROOT, capture_output=True,
                       text=True, env=ENV)
    assert p.returncode == 2 and "unknown study 'alpha_sweeep'" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("sets, needle", [
    (["dataset=cifar10", "pairs=synthetic", "data_dir=/nonexistent/cifar"], "/nonexistent/cifar does not exist"),
    (["dataset=tdw", "data_dir=/tmp"], "has no labels.csv"),
    (["latent_dim=1.5"], "latent_dim='1.5' must be a whole number"),
    (["epochs=0"], "epochs=0 must be >= 1"),
])
def test_study_rejects_bad_data_and_types_before_ray_starts(tmp_path, sets, needle):
    p = subprocess.run([sys.executable, "-m", "studies", "alpha_sweep", "--preset", "smoke", "--set", *sets,
                        "--storage", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, env=ENV)
    assert p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not (tmp_path / "alpha_sweep").exists()


def test_driver_killed_mid_study_then_rerun_finishes(tmp_path):
    """SIGKILL the whole study (driver and its Ray) half-way; the same command finishes it."""
    cmd = [sys.executable, "studies/alpha_sweep.py", "--preset", "smoke", "--seeds", "1",
           "--set", "epochs=3", "world_frames=20", "eval_images=100", "--storage", str(tmp_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env, start_new_session=True)
    done_before = []
    deadline = time.time() + 240
    for line in p.stdout:
        if " done " in line:
            done_before.append(line.split(" done ")[1].split()[0])
        if len(done_before) >= 3 or time.time() > deadline:
            break
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert len(done_before) >= 3
    assert not (tmp_path / "alpha_sweep" / "trials.parquet").exists()

    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=400)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert "resuming alpha_sweep" in second.stdout
    trials, epochs = load_results(tmp_path / "alpha_sweep")
    assert len(trials) == 7 and trials.alpha.is_unique and set(trials.status) == {"finished"}
    assert epochs.groupby("trial_id").epoch.apply(lambda e: sorted(e) == [1, 2, 3]).all()
    # Ray's raw records: no epoch was trained twice. Interrupted trials went on from their checkpoint;
    # a trial killed after its last epoch but before Ray saved that is re-evaluated (epoch 3 reported
    # again), never retrained.
    from analysis.load import _from_ray_folders
    _, raw = _from_ray_folders(tmp_path / "alpha_sweep" / "ray")
    for _, e in raw.groupby("trial_id").epoch:
        e = list(e)
        assert sorted(set(e)) == [1, 2, 3] and e.count(1) == 1 and e.count(2) == 1, e
