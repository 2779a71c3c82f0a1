"""The cluster path for real: two Ray nodes on this machine, a smoke study with --address."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ENV

from ciper.study import load_results

pytestmark = pytest.mark.slow  # a real Ray and real trials: make test-fast leaves these out

ROOT = Path(__file__).resolve().parent.parent
PORT = "6391"


def _ray(*args, env):
    bin_dir = Path(sys.executable).parent
    exe = str(bin_dir / "ray") if (bin_dir / "ray").exists() else shutil.which("ray")
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture
def two_nodes(tmp_path):
    env = ENV
    head = _ray(
        "start", "--head", f"--port={PORT}", "--num-cpus=1", "--num-gpus=0", "--include-dashboard=false", env=env
    )
    assert head.returncode == 0, head.stderr[-2000:]
    try:
        worker = _ray("start", f"--address=127.0.0.1:{PORT}", "--num-cpus=1", "--num-gpus=0", env=env)
        assert worker.returncode == 0, worker.stderr[-2000:]
        yield f"127.0.0.1:{PORT}", env
    finally:
        _ray("stop", "--force", env=env)


def test_smoke_study_on_two_nodes(two_nodes, tmp_path):
    address, env = two_nodes
    cmd = [
        sys.executable,
        "studies/alpha_sweep.py",
        "--preset",
        "smoke",
        "--seeds",
        "1",
        "--set",
        "epochs=1",
        "world_frames=20",
        "eval_images=100",
        "--no-references",
        "--address",
        address,
        "--storage",
        str(tmp_path / "results"),
    ]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=1800)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    trials, _ = load_results(tmp_path / "results" / "alpha_sweep")
    assert len(trials) == 7 and set(trials.status) == {"finished"}
    assert trials.node_id.nunique() == 2  # trials ran on both nodes
