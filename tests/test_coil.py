"""COIL-100's real photographs (objects 1-60), read from $CIPER_COIL_DIR (default data/coil-100,
where the README unpacks them); every test here is skipped, naming the folder, where it is absent."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import ENV

from ciper import turntable
from ciper.config import preset
from ciper.data import TimePairs, split_of
from ciper.datasets import load_dataset

ROOT = Path(__file__).resolve().parent.parent
COIL = Path(os.environ.get("CIPER_COIL_DIR", ROOT / "data" / "coil-100"))
pytestmark = pytest.mark.skipif(not COIL.is_dir(), reason=f"COIL-100 photographs not found in {COIL}")


def _coil(**overrides):
    return preset("coil", **{"data_dir": str(COIL), "image_size": 8, **overrides})


def test_labels_come_from_the_published_file_names():
    table = turntable.scan(COIL, turntable.COIL_PATTERN)
    assert len(table.files) == 4320 and len(set(table.objects)) == 60
    assert set(table.objects) == {str(k) for k in range(1, 61)}
    for k in ("1", "37", "60"):
        angles = sorted(a for o, a in zip(table.objects, table.angles) if o == k)
        assert angles == [a * 1000 for a in range(0, 360, 5)]  # 72 poses, 5 degrees apart


def test_an_object_is_a_cyclic_sequence_of_72_poses_with_its_azimuth():
    data = load_dataset(_coil(max_objects=3))
    assert len(data) == 216 and data.num_objects == 3 and data.cyclic and data.period == 72
    assert torch.equal(data.sequences, data.objects) and data.images.shape[1:] == (3, 8, 8)
    azimuth = torch.rad2deg(torch.atan2(data.poses[:, 0], data.poses[:, 1])) % 360
    assert torch.allclose(azimuth, data.frame_index.float() * 5, atol=1e-3)
    # the neighbours of pose 355 are 350 and 0 (circular), and only they, with time_window=1
    last = torch.nonzero(data.frame_index == 71).squeeze(1).repeat(100)
    partner = TimePairs(data, window=1).partners(last, torch.Generator().manual_seed(0))
    assert set(data.frame_index[partner].tolist()) == {70, 0}
    assert torch.equal(data.objects[partner], data.objects[last])


@pytest.mark.parametrize("window", [1, 3, 6])
def test_no_held_out_pose_is_within_the_time_window_of_a_training_pose_of_its_object(window):
    cfg = _coil(max_objects=5, time_window=window)
    train, test, rule = split_of(load_dataset(cfg), cfg)
    assert rule == "pose_blocks"
    for o in range(5):
        tr, te = train.frame_index[train.objects == o], test.frame_index[test.objects == o]
        gap = (te[:, None] - tr[None, :]).abs()
        assert int(torch.minimum(gap, 72 - gap).min()) > window
        assert len(te) == 16  # four blocks of round(72 * 0.2 / 4) = 4 poses
        assert len(tr) == 72 - 16 - 4 * 2 * window


def test_the_grey_protocol_takes_colour_away_and_leaves_the_controls_far_from_ceiling():
    """coil_grey: luminance images and two held-out arcs of 90 degrees an object. The colour
    control names 95 % of held-out objects on the coil preset; here it must fall far below."""
    from ciper.controls import Control
    from ciper.model import Trained
    from ciper.probes import evaluate

    accuracy = {}
    for name in ("coil", "coil_grey"):
        cfg = preset(name, data_dir=str(COIL), max_objects=20)
        train, test, _ = split_of(load_dataset(cfg), cfg)
        if name == "coil_grey":
            assert torch.equal(train.images[:, 0], train.images[:, 1]) and torch.equal(
                test.images[:, 1], test.images[:, 2]
            )
            assert len(train) == 20 * 24 and len(test) == 20 * 36  # two arcs of 12 poses trained, two of 18 held out
            gap = (test.frame_index[test.objects == 0][:, None] - train.frame_index[train.objects == 0][None, :]).abs()
            nearest = torch.minimum(gap, 72 - gap).min(1).values  # in poses of 5 degrees
            assert int(nearest.min()) == 4 and int(nearest.max()) == 12  # 20 to 60 degrees from training
        trained = Trained(cfg, Control("colour"), train, test, torch.device("cpu"))
        accuracy[name] = evaluate(trained)["object_acc"]
    assert accuracy["coil"] > 0.85 and accuracy["coil_grey"] < accuracy["coil"] - 0.25, accuracy


def test_the_cache_hits_misses_on_a_changed_file_and_rebuilds_a_corrupt_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CIPER_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "coil"
    copy.mkdir()
    for f in sorted(COIL.glob("obj[12]__*.png")):
        shutil.copy2(f, copy / f.name)
    cfg = _coil(data_dir=str(copy))
    first = load_dataset(cfg)
    (entry,) = (tmp_path / "cache" / "folders").glob("*.pt")
    stamp = entry.stat().st_mtime_ns
    assert torch.equal(load_dataset(cfg).images, first.images) and entry.stat().st_mtime_ns == stamp  # a hit
    shutil.copyfile(COIL / "obj3__0.png", copy / "obj1__0.png")  # another photograph under a known name
    changed = load_dataset(cfg)
    assert len(list((tmp_path / "cache" / "folders").glob("*.pt"))) == 2  # a miss
    row = int(torch.nonzero((changed.objects == 0) & (changed.frame_index == 0)))
    assert not torch.equal(changed.images[row], first.images[row])
    entry.write_bytes(entry.read_bytes()[:-100])  # corrupt the first entry; restore the file it keyed
    shutil.copy2(COIL / "obj1__0.png", copy / "obj1__0.png")
    rebuilt = load_dataset(cfg)
    assert "unusable" in capsys.readouterr().err and torch.equal(rebuilt.images, first.images)


@pytest.mark.slow
def test_a_coil_run_trains_and_reads_out_the_azimuth(tmp_path):
    out = tmp_path / "run"
    sets = [f"data_dir={COIL}", "max_objects=4", "epochs=2", "image_size=16", "latent_dim=32"]
    p = subprocess.run(
        [sys.executable, "-m", "ciper", "--preset", "coil", "--set", *sets, "--out", str(out), "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert p.returncode == 0, p.stderr
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    for key in ("object_acc", "pose_r2", "azimuth_change_r2", "aug_r2", "knn_acc"):
        assert isinstance(metrics[key], float) and metrics[key] == metrics[key], key  # measured, not NaN
    assert metrics["object_acc"] > 0.25  # above chance among 4 objects
    assert "rot_r2=nan" in p.stdout and "azimuth_change_r2=nan" not in p.stdout


@pytest.mark.slow
def test_findings_with_coil_writes_the_photographs_sections_from_their_own_storage(tmp_path):
    """The study runs with the options findings gives it (its preset and folder, the COIL folder,
    --seeds and --coil-set, never the world's --set); then `--no-run --coil` writes its section, and
    the sections without trials say how to run them."""
    from analysis.findings import PHOTOGRAPHS, parse, study_args

    storage = tmp_path / "results"
    coil_set = ["max_objects=4", "image_size=16", "epochs=1", "latent_dim=32"]
    argv = ["--preset", "smoke", "--storage", str(storage), "--coil", str(COIL), "--coil-set", *coil_set]
    args, passed = parse([*argv, "--seeds", "2", "--set", "world_frames=20"])
    options = study_args(PHOTOGRAPHS[0], args, passed)
    assert options[:4] == ["--preset", "coil", "--storage", str(storage / "coil")] and "world_frames=20" not in options
    run = subprocess.run(
        [sys.executable, "-m", "studies", "coil_alpha", *options], cwd=ROOT, env=ENV, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    cmd = [sys.executable, "-m", "analysis.findings", *argv, "--no-run", "--seeds", "2", "--out", str(tmp_path / "doc")]
    p = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    doc = (tmp_path / "doc" / "FINDINGS.md").read_text()
    coil, grey, views = doc.split("\n## Real photographs")[1:]
    assert "alpha = 1 vs 0, object_acc" in coil and "| colour control (no learning)" in coil and "n=2" in coil
    assert (tmp_path / "doc" / "coil" / "coil_alpha" / "alpha_metrics.png").stat().st_size > 1000
    assert (
        "Not run yet: no finished trials of coil_alpha in the storage's coil_grey/ folder." in grey
        and "--preset coil_grey --seeds 2 --set data_dir=" in grey
    )
    assert "Reproduce: `python -m studies view_source --preset coil" in views
