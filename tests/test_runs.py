"""Compute once (ciper/study/runs.py): a finished run is read back only for exactly its config and code."""

import math
import shutil
from pathlib import Path

import numpy as np

from ciper.config import preset
from ciper.study.runs import finished_run, keep_run, run_key, run_version


def _checkpoint(tmp_path):
    folder = tmp_path / "trial"
    folder.mkdir()
    (folder / "checkpoint.pt").write_bytes(b"weights")
    return folder


def test_a_kept_run_is_found_only_for_its_own_config_and_code_version(tmp_path):
    cfg = preset("smoke")
    reports = [{"epoch": 1, "loss": np.float32(0.5)}, {"epoch": 2, "object_acc": 0.25, "pose_r2": math.nan}]
    assert keep_run(tmp_path / "runs", cfg, "abc123", "alpha_sweep/t_00001", reports, _checkpoint(tmp_path))
    tmp_path = tmp_path / "runs"
    found = finished_run(tmp_path, cfg, "abc123")
    assert found["source"] == "alpha_sweep/t_00001" and found["reports"][0] == {"epoch": 1, "loss": 0.5}
    assert (Path(found["checkpoint"]) / "checkpoint.pt").read_bytes() == b"weights"  # its weights travel with it
    assert math.isnan(found["reports"][1]["pose_r2"])  # NaN survives JSON's null
    assert finished_run(tmp_path, cfg, "abc123+dirty.0f0f0f0f") is None  # other code
    assert finished_run(tmp_path, cfg.replace(seed=1), "abc123") is None  # another seed
    assert finished_run(tmp_path, cfg.replace(alpha=0.5), "abc123") is None
    assert run_key(cfg, "abc123") != run_key(cfg, "abc124")
    # the run's version: the code and the precision it computed in; no reuse without a known commit
    assert run_version("abc123", "bf16") != run_version("abc123", "fp32")
    assert run_version("ciper-0.1.0", "fp32") is None and run_version("unknown", "fp32") is None
    # a record whose checkpoint is gone is not reused
    shutil.rmtree(found["checkpoint"])
    assert finished_run(tmp_path, cfg, "abc123") is None


def test_a_record_that_cannot_be_read_or_does_not_match_is_ignored(tmp_path):
    cfg = preset("smoke")
    path = tmp_path / f"{run_key(cfg, 'v')}.json"
    for text in ["{not json", "[]", '{"config": {}, "code_version": "v", "reports": [{}]}']:
        path.write_text(text)
        assert finished_run(tmp_path, cfg, "v") is None, text
    assert finished_run(tmp_path / "missing", cfg, "v") is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    unwritable = keep_run(blocker / "runs", cfg, "v", "s/t", [{"epoch": 1}], _checkpoint(tmp_path))
    assert not unwritable  # a run that cannot be kept: the trial's own result still stands
