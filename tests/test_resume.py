"""A study killed in each phase of its life, then rerun with the same command.

Each test starts a small study (two trials) in a session of its own, waits for the file that
marks its phase, SIGKILLs the driver with every process it started (as a machine crash would),
and reruns the command: the rerun resumes, or starts over where nothing was recorded yet, and
ends with every trial exactly once and every epoch exactly once. The kills wait for state on
disk, never for a time (the overall timeout is only a safety net), so they pass on one core
(`taskset -c 0`).
"""

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import ENV, ROOT, interrupted, kill_session, resume_point, write_study

from ciper.study import load_results

pytestmark = pytest.mark.slow  # real Ray, real trials
EPOCHS = 4
SAFETY_S = 900  # only a net for a study that hangs; every wait ends on a state


class SmallStudy:
    """The small study's command and folders, and one run of it in a session of its own."""

    def __init__(self, tmp_path: Path, report: bool = False):
        """report: the study's entry point builds the report after the tables (as every study file
        does); without it, only the runner (the trials and the tables), which keeps the test short."""
        study_file = write_study(tmp_path / "tiny.py", "tiny", [0.0, 1.0], report)
        self.report = report
        self.storage = tmp_path / "storage"  # created by the study's checks, before Ray starts
        self.dir = self.storage / "tiny"
        self.ray = self.dir / "ray"
        self.log = tmp_path / "killed.log"
        self.cmd = [sys.executable, str(study_file), "--preset", "smoke", "--storage", str(self.storage)]
        self.cmd += ["--set", f"epochs={EPOCHS}", "world_frames=20", "eval_images=100"]

    def start(self):
        self.out = self.log.open("w")
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT, env=ENV, start_new_session=True
        )

    def kill_when(self, what: str, found):
        """SIGKILL the whole study once found() returns something (polled); return that."""
        deadline = time.time() + SAFETY_S
        while not (hit := found()):
            assert self.proc.poll() is None, f"the study ended before {what}:\n{self.log.read_text()[-3000:]}"
            assert time.time() < deadline, f"no {what} after {SAFETY_S} s"
            time.sleep(0.01)
        kill_session(self.proc)
        self.out.close()
        assert "Traceback" not in self.log.read_text(), self.log.read_text()[-3000:]
        return hit

    def rerun(self) -> subprocess.CompletedProcess:
        p = subprocess.run(self.cmd, cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=SAFETY_S)
        assert "Traceback" not in p.stdout + p.stderr, p.stdout[-2000:] + p.stderr[-3000:]
        return p

    def records(self) -> dict[str, bytes]:
        """Each trial folder's result.json (Ray's record of every epoch it reported)."""
        return {p.parent.name: p.read_bytes() for p in self.ray.glob("*/result.json")}


def _finished_once(study: SmallStudy, rerun: subprocess.CompletedProcess):
    """The rerun exited 0 with both trials finished, each once, each epoch once, and the report."""
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
    trials, epochs = load_results(study.dir)
    assert sorted(trials.alpha) == [0.0, 1.0] and set(trials.status) == {"finished"}, trials.to_string()
    every_epoch = list(range(1, EPOCHS + 1))
    assert epochs.groupby("trial_id").epoch.apply(lambda e: sorted(e) == every_epoch).all(), epochs.to_string()
    assert set(epochs.trial_id) == set(trials.trial_id)
    assert (study.dir / "report.md").exists() == study.report
    return trials


def _before_ray_starts(study: SmallStudy):
    study.kill_when("the storage folder", study.storage.exists)
    assert not study.dir.exists()  # Ray had not started: nothing of the study on disk
    rerun = study.rerun()
    _finished_once(study, rerun)
    assert "resuming" not in rerun.stdout


def _tuner_saved_no_snapshot(study: SmallStudy):
    study.kill_when("Ray's tuner file", (study.ray / "tuner.pkl").exists)
    assert not list(study.ray.glob("experiment_state-*.json"))  # the window the first snapshot closes
    rerun = study.rerun()
    _finished_once(study, rerun)
    assert "starting over" in rerun.stdout and "resuming" not in rerun.stdout


def _during_the_first_trial(study: SmallStudy):
    study.kill_when("a first checkpoint", lambda: list(study.ray.glob("*/checkpoint_000000/checkpoint.pt")))
    resume_at = {tid: resume_point(named)[1] for tid, named in interrupted(study.ray).items()}
    _a_folder_without_a_whole_snapshot_is_refused(study)
    tuner = study.ray / "tuner.pkl"  # cut off, as a kill in Ray's copy of it leaves it where writes are not atomic
    tuner.write_bytes(tuner.read_bytes()[:200])
    rerun = study.rerun()
    trials = _finished_once(study, rerun)
    assert "writing it anew" in rerun.stdout and "resuming tiny" in rerun.stdout
    restored = trials.set_index("trial_id").restored_from
    assert all(restored[tid] == e for tid, e in resume_at.items()), (resume_at, restored.to_dict())


def _a_folder_without_a_whole_snapshot_is_refused(study: SmallStudy):
    """Trials with results but no whole snapshot to say which they are: one line, exit 2, nothing touched.
    (Run on a copy, before Ray starts; the kill left the original to be resumed.)"""
    copy = SmallStudy(study.storage.parent / "copy")
    shutil.copytree(study.storage, copy.storage)
    for snapshot in copy.ray.glob("experiment_state-*.json"):
        snapshot.write_bytes(snapshot.read_bytes()[:100])

    def tree():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in copy.storage.rglob("*") if p.is_file()}

    before = tree()
    p = copy.rerun()
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "cannot be resumed" in p.stderr and "--fresh" in p.stderr
    assert tree() == before


def _during_a_checkpoint_write(study: SmallStudy):
    """Killed as a worker uploads its second checkpoint. Storage writes are atomic, so a kill in the
    middle of the copy leaves the folder without checkpoint.pt and part of it in a temporary file:
    the folder is left so, whether the kill landed before, during or just after the copy."""
    folders = study.kill_when("a second checkpoint folder", lambda: list(study.ray.glob("*/checkpoint_000001")))
    for folder in folders:
        whole = folder / "checkpoint.pt"
        data = (whole if whole.exists() else folder.parent / "checkpoint_000000" / "checkpoint.pt").read_bytes()
        whole.unlink(missing_ok=True)
        (folder / ".checkpoint.pt.cut.tmp").write_bytes(data[: len(data) // 2])
    resume_at = {tid: resume_point(named)[1] for tid, named in interrupted(study.ray).items()}
    rerun = study.rerun()
    trials = _finished_once(study, rerun)
    restored = trials.set_index("trial_id").restored_from
    assert all(restored[tid] == e for tid, e in resume_at.items()), (resume_at, restored.to_dict())


def _between_the_last_trial_and_the_tables(study: SmallStudy):
    """Killed as the last trial is reported done. The tables follow within a fraction of a second;
    if they beat the kill they are removed, which leaves the folder as a kill in that window does."""
    study.kill_when("the last trial's line", lambda: "2/2 done" in study.log.read_text())
    for name in ["trials.parquet", "epochs.parquet", "run.json"]:
        (study.dir / name).unlink(missing_ok=True)
    records = study.records()
    rerun = study.rerun()
    trials = _finished_once(study, rerun).set_index("trial_id")
    # no trial trained again: Ray kept its record as it was, or it went on from its final checkpoint
    after = study.records()
    for folder, record in records.items():
        tid = "_".join(folder.split("_")[1:3])
        assert after[folder] == record or trials.restored_from[tid] == EPOCHS, (folder, trials.restored_from)


def _while_the_report_is_written(study: SmallStudy):
    study.kill_when("the report's first figure", (study.dir / "alpha_metrics.png").exists)
    assert not (study.dir / "report.md").exists()
    before, records = load_results(study.dir)[0], study.records()
    rerun = study.rerun()
    after = _finished_once(study, rerun)
    assert "resuming tiny" in rerun.stdout and " done " not in rerun.stdout  # nothing was trained again
    assert study.records() == records
    key = ["trial_id", "alpha", "object_acc", "pose_r2", "loss", "wall_time"]
    pd.testing.assert_frame_equal(
        before[key].sort_values("trial_id", ignore_index=True), after[key].sort_values("trial_id", ignore_index=True)
    )


PHASES = {
    "before_ray_starts": _before_ray_starts,
    "tuner_saved_no_snapshot_yet": _tuner_saved_no_snapshot,
    "during_the_first_trial": _during_the_first_trial,
    "during_a_checkpoint_write": _during_a_checkpoint_write,
    "between_the_last_trial_and_the_tables": _between_the_last_trial_and_the_tables,
    "while_the_report_is_written": _while_the_report_is_written,
}


@pytest.mark.parametrize("phase", PHASES)
def test_a_study_killed_in_each_phase_finishes_when_rerun(tmp_path, phase):
    study = SmallStudy(tmp_path, report=phase == "while_the_report_is_written")
    study.start()
    PHASES[phase](study)
