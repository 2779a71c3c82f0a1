"""The cluster path for real: two Ray nodes on this machine, a smoke study with --address."""

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ENV

from ciper.study import load_results

pytestmark = pytest.mark.slow  # a real Ray and real trials: make test-fast leaves these out

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_nodes():
    """A head and a worker node of one CPU each, started with Ray's own test cluster. Shutting it
    down stops only these two nodes, never another Ray on the machine (`ray stop` would)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "num_gpus": 0, "include_dashboard": False},
        shutdown_at_exit=False,
    )
    try:
        cluster.add_node(num_cpus=1, num_gpus=0)
        yield cluster.address, ENV
    finally:
        cluster.shutdown()


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
