"""Helpers that several test files share: the repository root, the environment of the
subprocesses they start, small dataset folders, a small study file, and killing a study
as a crash would."""

import os
import pickle
import signal
import subprocess
import time
from pathlib import Path

import numpy as np

from ciper import checkpoint

ROOT = Path(__file__).resolve().parent.parent
# the environment of the commands the tests start: conftest has put the study's Ray settings
# (ciper.study.runner.RAY_ENVIRONMENT) in os.environ
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def refused(entry, argv, capsys) -> str:
    """Call a command's entry point in this process (no new Python to start) and return what
    it wrote to stderr, after checking that it refused: exit status 2 (returned or raised),
    exactly one line, and no Ray started. One subprocess test per command checks the same of
    the real process."""
    import ray

    capsys.readouterr()
    try:
        code = entry(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert not ray.is_initialized(), "Ray started before the input was checked"
    return err


def write_cifar(root, per_batch=6):
    """A CIFAR-10 folder in torchvision's format: five training batches and a test batch of
    `per_batch` random images each."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            "labels": list(rng.integers(0, 10, per_batch)),
            "batch_label": name,
            "filenames": [f"{name}_{i}.png" for i in range(per_batch)],
        }
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)


STUDY_FILE = """
from ciper.study import Study, run_study
from studies import main

STUDY = Study(
    name={name!r},
    question="a small study",
    space=lambda preset: {{"alpha": {alphas!r}}},
    seeds=1,
    report="alpha_sweep",
    references=(),
)

if __name__ == "__main__":
    main(STUDY) if {report!r} else run_study(STUDY)
"""


def write_study(path: Path, name: str, alphas: list[float], report: bool = True) -> Path:
    """A study file of one trial per alpha (one seed, no references) at `path`, run as
    `python path --preset ... --storage ...`. report: its entry point builds the report after
    the tables (as every study file does); without it, only the runner (trials and tables)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STUDY_FILE.format(name=name, alphas=[float(a) for a in alphas], report=report))
    return path


def session_processes(leader: int) -> list[int]:
    """Live processes of the session a study's driver leads (started with start_new_session): the
    driver itself, Ray and the trial workers."""
    out = subprocess.run(["ps", "-eo", "pid,sid,stat"], capture_output=True, text=True).stdout
    rows = (line.split()[:3] for line in out.splitlines()[1:])
    return [int(pid) for pid, sid, stat in rows if int(sid) == leader and not stat.startswith("Z")]


def kill_session(p):
    """SIGKILL a study's driver and every process it started, as a machine crash would.

    Ray puts each trial worker in a process group of its own, so killing the driver's group
    leaves workers writing checkpoints until they notice; kill the whole session instead.
    """
    alive = lambda: session_processes(p.pid)
    deadline = time.time() + 30
    while (pids := alive()) and time.time() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    p.wait()
    assert not alive(), "processes of the killed study survived"


def snapshot(ray_dir):
    """What Ray's experiment snapshot says: trial_id -> (status, checkpoint folder or None)."""
    from ray import tune

    return {
        t.trial_id: (t.status, Path(t.checkpoint.path) if t.checkpoint else None)
        for t in tune.ExperimentAnalysis(str(ray_dir)).trials
    }


def interrupted(ray_dir):
    """Trials the snapshot records as unfinished, with the checkpoint folder it names for each."""
    return {
        tid: named for tid, (status, named) in snapshot(ray_dir).items() if status != "TERMINATED" and named is not None
    }


def epoch_of(ckpt_dir):
    return int(checkpoint.load(ckpt_dir / "checkpoint.pt")["epoch"])


def resume_point(named):
    """Where a trial whose snapshot names the checkpoint folder `named` goes on from: the
    readable checkpoint of the latest epoch in its folder, else nowhere (epoch 0)."""
    best = (None, 0)
    for c in named.parent.glob("checkpoint_*"):
        try:
            epoch = epoch_of(c)
        except (OSError, checkpoint.CheckpointError):
            continue
        if epoch > best[1]:
            best = (c, epoch)
    return best
