"""Real-format loaders on small files that the tests write themselves."""

import csv
import pickle

import numpy as np
import pytest
import torch
from torchvision.io import write_png

from ciper.folders import DataError, core50_category, load_cifar10, load_core50, load_tdw
from ciper.train import main


def _png(path, color, size=20):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = torch.zeros(3, size, size, dtype=torch.uint8)
    img[:] = torch.tensor(color, dtype=torch.uint8)[:, None, None]
    write_png(img, str(path))


def write_cifar(root, per_batch=6):
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


def test_cifar10_from_torchvision_format(tmp_path):
    write_cifar(tmp_path)
    data = load_cifar10(tmp_path, 32)
    assert data.images.shape == (36, 3, 32, 32)
    assert data.is_test.sum() == 6 and data.objects.max() < 10


def test_cifar10_missing_files_named(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DataError, match="test_batch"):
        load_cifar10(tmp_path, 32)


def test_core50_layout(tmp_path):
    for s in (1, 2):
        for o in (1, 7):
            for f in range(3):
                _png(tmp_path / f"s{s}" / f"o{o}" / f"C_{s:02d}_{o:02d}_{f:03d}.png", (10 * s, 20 * o, f))
    data = load_core50(tmp_path, 16)
    assert data.images.shape == (12, 3, 16, 16)
    assert set(data.objects.tolist()) == {0, 6} and set(data.sessions.tolist()) == {0, 1}
    assert core50_category(torch.tensor([0, 6])).tolist() == [0, 1]
    assert len(data.sequences.unique()) == 4 and data.frames.max() == 2
    assert data.pose_names == ["time"] and data.poses.min() == -1 and data.poses.max() == 1


def test_tdw_layout(tmp_path):
    rows = []
    for i in range(6):
        name = f"img{i}.png"
        _png(tmp_path / "images" / name, (i * 30, 0, 0), size=24)
        rows.append(
            {
                "file": name,
                "object": "chair" if i < 3 else "table",
                "azimuth": 60 * i,
                "elevation": 10 + 10 * i,
                "distance": 0.3 + 0.05 * i,
            }
        )
    with open(tmp_path / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    data = load_tdw(tmp_path, 16)
    assert data.images.shape == (6, 3, 16, 16)
    assert data.objects.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.pose_names == ["az_sin", "az_cos", "elevation", "distance"]
    assert torch.allclose(data.poses[1, :2], torch.tensor([0.8660254, 0.5]), atol=1e-5)
    assert data.frames.tolist() == [0, 1, 2, 0, 1, 2]


def test_tdw_bad_csv_named(tmp_path):
    (tmp_path / "labels.csv").write_text("file,object\nx.png,a\n")
    with pytest.raises(DataError, match="lacks column"):
        load_tdw(tmp_path, 16)


@pytest.mark.parametrize("dataset", ["cifar10", "core50", "tdw"])
def test_missing_folder_is_one_line_exit_2(tmp_path, capsys, dataset):
    missing = tmp_path / "nowhere"
    pairs = "synthetic" if dataset == "cifar10" else "time"
    code = main(
        [
            "--preset",
            "smoke",
            "--set",
            f"dataset={dataset}",
            f"data_dir={missing}",
            f"pairs={pairs}",
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert str(missing) in err and "expected" in err
    assert not (tmp_path / "out" / "checkpoint.pt").exists()
