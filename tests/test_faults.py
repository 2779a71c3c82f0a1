"""Faults caused for real: diverging trials, killed workers, corrupt checkpoints, crashes mid-write.

Every test waits for the state it needs (a record, a checkpoint file), never for a time.
"""

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import ray
import torch
from helpers import (
    ENV,
    ROOT,
    interrupted,
    kill_session,
    refused,
    resume_point,
    session_processes,
    snapshot,
    write_cifar,
    write_study,
)

from ciper import checkpoint
from ciper.records import atomic_write_bytes
from ciper.study import Study, load_results
from studies import main as run_and_report
from studies.__main__ import run as run_by_name


@pytest.mark.slow
def test_diverging_trial_is_recorded_and_the_others_go_on(tmp_path):
    study = Study(
        name="diverge",
        question="one trial diverges",
        space=lambda p: {"lr": [2e-3, 1e30]},
        fixed={"optimizer": "sgd"},
        seeds=1,
        references=(),
    )
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        study_dir = run_and_report(
            study,
            [
                "--preset",
                "smoke",
                "--set",
                "epochs=2",
                "world_frames=20",
                "eval_images=100",
                "--storage",
                str(tmp_path),
            ],
        ).study_dir
    finally:
        ray.shutdown()
    trials, _ = load_results(study_dir)
    bad, good = trials[trials.lr == 1e30].iloc[0], trials[trials.lr == 2e-3].iloc[0]
    assert bad.status == "error" and "TrainingDiverged" in bad.error and "nan" in bad.error
    assert good.status == "finished" and good.object_acc > 0
    report = (study_dir / "report.md").read_text()
    assert "not finished" in report and "TrainingDiverged" in report


NAME = "small"  # the study these tests kill: one trial per alpha, one seed, no references


def _study_cmd(storage, epochs, alphas=(0.0, 1.0)):
    """The command of a study of one trial per alpha (the trials of a study, not its grid, are what
    these tests need: each kills or corrupts a trial and checks that the rerun finishes them all)."""
    study_file = write_study(storage / f"{NAME}.py", NAME, list(alphas))
    cmd = [sys.executable, str(study_file), "--preset", "smoke", "--storage", str(storage)]
    return cmd + ["--set", f"epochs={epochs}", "world_frames=20", "eval_images=100"]


def _checkpointed_running_trial(ray_dir):
    """(trial_id, worker pid) of a trial that Ray has recorded at epoch 2 or later, with a
    checkpoint on disk, and that has not finished; None while there is none yet."""
    for records in ray_dir.glob("*/result.json"):
        lines = records.read_text().splitlines()
        try:
            last = json.loads(lines[-1]) if lines else {}
        except json.JSONDecodeError:  # a line still being written
            continue
        if last.get("epoch", 0) >= 2 and not last.get("finished") and list(records.parent.glob("checkpoint_*")):
            return last["trial_id"], last["pid"]
    return None


def _wait_for_checkpointed_trial(p, ray_dir):
    """_checkpointed_running_trial once there is one (whatever the machine's speed); fails if the
    study `p` ends first."""
    found = None
    while found is None and p.poll() is None:
        found = _checkpointed_running_trial(ray_dir)
        time.sleep(0.2)
    assert found is not None, "the study ended before a trial was seen training with a checkpoint"
    return found


@pytest.mark.slow
def test_worker_killed_mid_trial_is_retried_from_its_checkpoint(tmp_path):
    """Kill a trial's worker once Ray has recorded a checkpoint for it (whatever the machine's
    speed): the trial goes on from that checkpoint instead of starting over."""
    p = subprocess.Popen(
        _study_cmd(tmp_path, 30),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        start_new_session=True,
    )
    trial_id, pid = _wait_for_checkpointed_trial(p, tmp_path / NAME / "ray")
    os.kill(pid, signal.SIGKILL)
    out, _ = p.communicate(timeout=1800)
    assert p.returncode == 0, out[-3000:]
    trials, epochs = load_results(tmp_path / NAME)
    assert len(trials) == 2 and set(trials.status) == {"finished"}
    # the killed trial went on from its last checkpoint instead of starting over
    assert trials.set_index("trial_id").restored_from[trial_id] > 0, trials[["trial_id", "restored_from"]]
    assert epochs.groupby("trial_id").epoch.apply(lambda e: sorted(set(e)) == list(range(1, 31))).all()


@pytest.mark.slow
def test_sigterm_stops_the_trial_workers_too_and_the_rerun_resumes(tmp_path):
    """SIGTERM to a study's driver (kill, timeout, a scheduler) while trials train: one line, a
    non-zero exit, no trial worker left training, and the rerun finishes the study."""
    cmd = _study_cmd(tmp_path, 30)
    p = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True
    )
    _wait_for_checkpointed_trial(p, tmp_path / NAME / "ray")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=600)
    try:
        message = f"{NAME}: stopped by SIGTERM; rerun the same command to resume it"
        assert p.returncode == 1 and message in err.splitlines(), err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        deadline = time.time() + 120  # Ray's processes exit on their own once stopped
        while session_processes(p.pid) and time.time() < deadline:  # the driver has exited: Ray's remain
            time.sleep(0.5)
        assert not session_processes(p.pid), "processes of the stopped study are still running"
    finally:
        kill_session(p)
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=1800)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert "resuming small" in second.stdout
    trials, _ = load_results(tmp_path / NAME)
    assert len(trials) == 2 and set(trials.status) == {"finished"}


@pytest.mark.slow
def test_corrupt_checkpoint_in_a_study_restarts_that_trial(tmp_path):
    """Kill the study once a trial has finished and another has checkpoints; truncate every
    checkpoint on disk: the rerun starts the unfinished trial over and finishes the study."""
    cmd = _study_cmd(tmp_path, 6, alphas=(0.0, 0.3, 1.0))  # two trials at a time: the third runs after one finished
    log, ray_dir = tmp_path / "study.log", tmp_path / NAME / "ray"
    with log.open("w") as out:
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=ENV, start_new_session=True)
        victim = None
        while victim is None and p.poll() is None:
            victim = _checkpointed_running_trial(ray_dir) if " done " in log.read_text() else None
            time.sleep(0.2)
        kill_session(p)
    assert victim is not None, "the study ended before a trial could be cut off:\n" + log.read_text()[-3000:]
    ckpts = sorted(ray_dir.glob("*/checkpoint_*/checkpoint.pt"))
    for c in ckpts:  # truncate every checkpoint on disk
        c.write_bytes(c.read_bytes()[:100])
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=1800)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    trials, _ = load_results(tmp_path / NAME)
    assert len(trials) == 3 and set(trials.status) == {"finished"}
    assert trials.set_index("trial_id").restored_from[victim[0]] == 0  # started over: no checkpoint was whole


@pytest.mark.slow
def test_corrupt_checkpoint_on_the_command_line_is_one_line_exit_2(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ciper", "--preset", "smoke", "--out", str(out), "--no-progress"]
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, env=ENV).returncode == 0
    metrics = (out / "metrics.json").read_bytes()
    ckpt = out / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[: len(ckpt.read_bytes()) // 2])
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV)
    assert p.returncode == 2 and str(ckpt) in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert (out / "metrics.json").read_bytes() == metrics  # finished results untouched


def test_checkpoints_never_unpickle_code(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"model": {}, "payload": pd.Timestamp("2020-01-01")}, evil)  # an arbitrary Python object
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
    p = subprocess.run(
        [sys.executable, "-m", "studies", "alpha_sweeep"], cwd=ROOT, capture_output=True, text=True, env=ENV
    )
    assert p.returncode == 2 and "unknown study 'alpha_sweeep'" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["dataset=cifar10", "pairs=synthetic", "data_dir=/nonexistent/cifar"], "/nonexistent/cifar does not exist"),
        (["dataset=tdw", "data_dir=/tmp"], "has no labels.csv"),
        (["latent_dim=1.5"], "latent_dim='1.5' must be a whole number"),
        (["epochs=0"], "epochs=0 must be >= 1"),
        (["dataset=folder", f"data_dir={__file__}"], "is a file, not a folder"),
        (["weight_decay=-1"], "weight_decay=-1.0 must be >= 0"),
    ],
)
def test_study_rejects_bad_data_and_types_before_ray_starts(tmp_path, capsys, sets, needle):
    argv = ["alpha_sweep", "--preset", "smoke", "--set", *sets, "--storage", str(tmp_path)]
    assert needle in refused(run_by_name, argv, capsys)
    assert not (tmp_path / "alpha_sweep").exists()


def _start_then_kill(cmd, trials_done):
    """Start a study in its own session; SIGKILL the driver and its whole Ray after n trials finish."""
    p = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV, start_new_session=True
    )
    done, deadline = [], time.time() + 1800
    for line in p.stdout:
        if " done " in line:
            done.append(line.split(" done ")[1].split()[0])
        if len(done) >= trials_done or time.time() > deadline:
            break
    kill_session(p)
    assert len(done) >= trials_done


def _rerun_finishes(cmd, storage, resumes_at, epochs_per_trial):
    """Rerun a killed study: it exits 0, every trial finishes, each interrupted trial went on
    from the epoch expected of it, and every trial has one row per epoch. -> (run, trials, epochs)"""
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=1800)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    trials, epochs = load_results(storage / NAME)
    assert set(trials.status) == {"finished"}, trials[["trial_id", "status", "error"]].to_string()
    restored = trials.set_index("trial_id").restored_from
    assert all(restored[tid] == e for tid, e in resumes_at.items()), (resumes_at, restored.to_dict())
    every_epoch = list(range(1, epochs_per_trial + 1))
    assert epochs.groupby("trial_id").epoch.apply(lambda e: sorted(e) == every_epoch).all()
    return second, trials, epochs


@pytest.mark.slow
def test_driver_killed_mid_study_then_rerun_finishes(tmp_path):
    """SIGKILL the whole study (driver and its Ray) half-way; the same command finishes it.

    Ray's snapshot lags the trials' folders by up to a second; a trial goes on from the
    furthest readable checkpoint in its folder, so no epoch before it runs again.
    """
    cmd = _study_cmd(tmp_path, epochs=3, alphas=(0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0))  # finished, cut off, pending
    _start_then_kill(cmd, trials_done=3)
    assert not (tmp_path / NAME / "trials.parquet").exists()
    ray_dir = tmp_path / NAME / "ray"
    # every interrupted trial goes on from the checkpoint the snapshot names ...
    resume_at = {tid: resume_point(named)[1] for tid, named in interrupted(ray_dir).items()}
    second, trials, _ = _rerun_finishes(cmd, tmp_path, resume_at, epochs_per_trial=3)
    assert f"resuming {NAME}" in second.stdout
    assert len(trials) == 7 and trials.alpha.is_unique, trials[["trial_id", "alpha"]]
    # ... and, by Ray's raw records, trained no epoch before it a second time
    from analysis.load import _from_ray_folders

    _, raw = _from_ray_folders(ray_dir)
    for tid, e in raw.groupby("trial_id").epoch:
        e = list(e)
        assert all(e.count(k) <= 1 for k in range(1, resume_at.get(tid, 1))), (tid, e)


def _kill_at_epoch_3(cmd, storage):
    """Kill a study (driver and Ray) while its first trials are at epoch 3, with Ray snapshotting
    its experiment state after every event, so that the snapshot names each trial's latest checkpoint."""
    ray_dir = storage / NAME / "ray"
    for _ in range(3):  # a kill can land while Ray writes its snapshot: then kill a fresh study again
        shutil.rmtree(storage / NAME, ignore_errors=True)
        p = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**ENV, "TUNE_GLOBAL_CHECKPOINT_S": "0"},
            start_new_session=True,
        )
        deadline = time.time() + 1800
        while not list(ray_dir.glob("*/checkpoint_000002")) and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        kill_session(p)
        try:
            snapshot(ray_dir)
            return ray_dir
        except ValueError:  # the snapshot was cut off mid-write
            continue
    raise AssertionError("three kills in a row cut Ray's snapshot off mid-write")


@pytest.fixture(scope="module")
def killed_at_epoch_3(tmp_path_factory):
    """One study killed at epoch 3, kept whole; `fresh()` puts that killed state back in place
    (at the same path: Ray's snapshot names absolute folders) for the next test to damage."""
    storage, kept = tmp_path_factory.mktemp("killed"), tmp_path_factory.mktemp("kept") / NAME
    cmd = _study_cmd(storage, epochs=6)
    _kill_at_epoch_3(cmd, storage)
    shutil.copytree(storage / NAME, kept)

    def fresh():
        shutil.rmtree(storage / NAME)
        shutil.copytree(kept, storage / NAME)
        return cmd, storage, storage / NAME / "ray"

    return fresh


@pytest.mark.slow
def test_named_checkpoint_cut_off_mid_upload_goes_on_from_an_intact_one(killed_at_epoch_3):
    """A checkpoint folder without its file (a worker killed while Ray copied it): the trial
    goes on from its newest intact checkpoint, or starts over if it has none."""
    cmd, storage, ray_dir = killed_at_epoch_3()
    expected = {}
    for tid, named in interrupted(ray_dir).items():
        (named / "checkpoint.pt").unlink(missing_ok=True)
        expected[tid] = resume_point(named)[1]
    assert any(e > 0 for e in expected.values()), expected
    _rerun_finishes(cmd, storage, expected, epochs_per_trial=6)


@pytest.mark.slow
def test_snapshot_naming_a_deleted_checkpoint_goes_on_from_its_newest_sibling(killed_at_epoch_3):
    """The race behind a killed driver: Ray deleted the checkpoint its last snapshot names
    (num_to_keep) and kept a newer one whose results it had not recorded. Every trial still
    finishes, goes on from its newest checkpoint, and the epoch table gets the unrecorded
    epochs back from that checkpoint's history."""
    cmd, storage, ray_dir = killed_at_epoch_3()
    expected = {}
    for tid, named in interrupted(ray_dir).items():
        (source, epoch), trial_dir = resume_point(named), named.parent
        if source is None:
            continue
        newer = trial_dir / f"checkpoint_{int(max(trial_dir.glob('checkpoint_*')).name[11:]) + 1:06d}"
        newer.mkdir()
        checkpoint.save(newer / "checkpoint.pt", checkpoint.load(source / "checkpoint.pt"))
        for c in trial_dir.glob("checkpoint_*"):  # Ray deleted the others, the named one too
            if c != newer:
                shutil.rmtree(c)
        records = trial_dir / "result.json"  # and its records end at epoch 1
        records.write_text(records.read_text().splitlines(keepends=True)[0])
        expected[tid] = epoch
    assert any(2 <= e < 6 for e in expected.values()), expected
    second, _, epochs = _rerun_finishes(cmd, storage, expected, epochs_per_trial=6)
    assert "which is gone; it goes on from its furthest readable checkpoint" in second.stderr
    assert epochs.loss.notna().all()


def test_a_cifar_folder_in_another_format_fails_before_ray_starts(tmp_path, capsys):
    write_cifar(tmp_path / "cifar")
    batch = tmp_path / "cifar" / "cifar-10-batches-py" / "test_batch"
    data = pickle.loads(batch.read_bytes())
    batch.write_bytes(pickle.dumps({k.encode(): v for k, v in data.items()}))
    sets = ["dataset=cifar10", "pairs=synthetic", f"data_dir={tmp_path / 'cifar'}"]
    argv = ["alpha_sweep", "--preset", "smoke", "--set", *sets, "--storage", str(tmp_path / "r")]
    assert "not in torchvision's format" in refused(run_by_name, argv, capsys)
