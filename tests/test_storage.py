"""The study's storage as Ray sees it (atomic writes), and what a rerun makes of a Ray folder.

No Ray here: the filesystem is pyarrow's, the folders are laid out as Ray lays them out.
"""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.fs
import pytest

from ciper.study.recovery import UnusableStudy, resume_state
from ciper.study.storage import storage_filesystem

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys
from ciper.study.storage import storage_filesystem

with storage_filesystem(sys.argv[1]).open_output_stream(sys.argv[1]) as f:
    for _ in range(1000):
        f.write(b"new" * 350_000)
"""


def test_a_process_killed_mid_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "experiment_state-x.json"
    target.write_bytes(b"old complete content")
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT)
    deadline = time.time() + 60
    while not [t for t in tmp_path.glob(f".{target.name}.*.tmp") if t.stat().st_size > 1 << 20]:
        assert p.poll() is None and time.time() < deadline, "the writer ended before it was killed"
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert target.read_bytes() == b"old complete content"
    assert {f.name for f in tmp_path.iterdir()} - {target.name} == {t.name for t in tmp_path.glob(".*.tmp")}


def test_copies_through_it_arrive_whole(tmp_path):
    fs = storage_filesystem(str(tmp_path))
    assert pickle.loads(pickle.dumps(fs)) == fs  # Ray ships it to its workers
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "checkpoint.pt").write_bytes(os.urandom(3 << 20))
    (tmp_path / "src" / "sub" / "result.json").write_text("{}\n")
    pyarrow.fs.copy_files(str(tmp_path / "src"), str(tmp_path / "dst"), destination_filesystem=fs)
    for name in ["checkpoint.pt", "sub/result.json"]:
        assert (tmp_path / "dst" / name).read_bytes() == (tmp_path / "src" / name).read_bytes()
    assert not list((tmp_path / "dst").rglob("*.tmp"))
    with fs.open_output_stream(str(tmp_path / "dst" / "tuner.pkl")) as f:  # as Ray writes its tuner file
        f.write(b"whole")
    assert (tmp_path / "dst" / "tuner.pkl").read_bytes() == b"whole"


def _ray_folder(root: Path, tuner=True, snapshot: bytes | None = None, trial: str | None = None) -> Path:
    """A study's Ray folder as Ray leaves it at some moment; trial: 'pending', 'result' or 'checkpoint'."""
    root.mkdir(parents=True)
    (root / ".validate_storage_marker").touch()
    if tuner:
        (root / "tuner.pkl").write_bytes(pickle.dumps({"param_space": {"alpha": [0.0, 1.0]}}))
    if snapshot is not None:
        (root / "experiment_state-2026-01-01_00-00-00.json").write_bytes(snapshot)
    if trial:
        folder = root / "trainable_abc_00000_0_alpha=0.0_2026-01-01_00-00-00"
        folder.mkdir()
        (folder / "params.json").write_text("{}")
        (folder / "result.json").write_text('{"epoch": 1}\n' if trial == "result" else "")
        if trial == "checkpoint":
            (folder / "checkpoint_000000").mkdir()
    return root


WHOLE = json.dumps({"trial_data": [], "runner_data": {}}).encode()


@pytest.mark.parametrize(
    "layout, state",
    [
        ({"tuner": False}, "restart"),  # Ray's storage check left its marker, nothing else
        ({}, "restart"),  # the tuner saved, no snapshot yet: the window before Ray queues trials
        ({"trial": "pending"}, "restart"),  # trial folders, but no result or checkpoint in them
        ({"snapshot": WHOLE}, "resume"),
        ({"snapshot": WHOLE, "trial": "checkpoint"}, "resume"),
        ({"snapshot": WHOLE, "tuner": False, "trial": "result"}, "rebuild"),
    ],
)
def test_what_a_rerun_makes_of_a_ray_folder(tmp_path, layout, state):
    assert resume_state(str(tmp_path / "nothing")) == "new"
    assert resume_state(str(_ray_folder(tmp_path / "ray", **layout))) == state


def test_a_cut_off_tuner_file_is_written_anew(tmp_path):
    root = _ray_folder(tmp_path / "ray", snapshot=WHOLE, trial="checkpoint")
    (root / "tuner.pkl").write_bytes((root / "tuner.pkl").read_bytes()[:-3])
    assert resume_state(str(root)) == "rebuild"


@pytest.mark.parametrize("snapshot", [None, WHOLE[:20]], ids=["no snapshot", "a cut-off snapshot"])
@pytest.mark.parametrize("trial", ["result", "checkpoint"])
def test_trials_without_a_whole_snapshot_are_one_line_with_the_fix(tmp_path, snapshot, trial):
    root = _ray_folder(tmp_path / "ray", snapshot=snapshot, trial=trial)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    with pytest.raises(UnusableStudy) as e:
        resume_state(str(root))
    message = str(e.value)
    assert str(root) in message and "1 trial folder(s) hold results" in message and "--fresh" in message
    assert "\n" not in message and sorted(p.relative_to(root) for p in root.rglob("*")) == before
