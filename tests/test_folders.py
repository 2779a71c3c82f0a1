"""Real-format loaders on small files that the tests write themselves."""

import csv
import pickle

import pytest
import torch
from helpers import write_cifar
from torchvision.io import write_png

from ciper.config import Config
from ciper.datasets import check_dataset, load_dataset
from ciper.folders import DataError, core50_category, load_cifar10, load_core50
from ciper.run import main


def _png(path, color, size=20):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = torch.zeros(3, size, size, dtype=torch.uint8)
    img[:] = torch.tensor(color, dtype=torch.uint8)[:, None, None]
    write_png(img, str(path))


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
    assert len(data.sequences.unique()) == 4 and data.frame_index.max() == 2
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
    data = load_dataset(Config(dataset="tdw", data_dir=str(tmp_path), image_size=16))
    assert data.images.shape == (6, 3, 16, 16)
    assert data.objects.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.pose_names == ["azimuth_sin", "azimuth_cos", "elevation", "distance"]
    assert torch.allclose(data.poses[1, :2], torch.tensor([0.8660254, 0.5]), atol=1e-5)
    assert data.frame_index.tolist() == [0, 1, 2, 0, 1, 2]


def test_tdw_bad_csv_named(tmp_path):
    (tmp_path / "labels.csv").write_text("file,object\nx.png,a\n")
    with pytest.raises(DataError, match="lacks column"):
        load_dataset(Config(dataset="tdw", data_dir=str(tmp_path), image_size=16))


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


def write_folder(root, rows, images=True):
    """A labelled folder in the documented layout: labels.csv and images/."""
    for r in rows:
        if images:
            _png(root / "images" / r["file"], (len(r["file"]) * 20 % 255, 40, 90), size=12)
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _rows(n=8):
    return [
        {
            "file": f"f{i}.png",
            "label": "cat" if i % 2 else "dog",
            "session": f"s{i // 4}",
            "sequence": i % 2,
            "frame": i // 2,
            "yaw": 45 * i,
            "height": 1.5 + i,
        }
        for i in range(n)
    ]


def test_any_labelled_folder_loads_with_named_pose_columns(tmp_path):
    write_folder(tmp_path, _rows())
    cfg = Config(dataset="folder", data_dir=str(tmp_path), image_size=16, pose_columns=["yaw:deg", "height"])
    data = load_dataset(cfg)
    assert data.images.shape == (8, 3, 16, 16) and data.name == "folder"
    assert data.objects.tolist() == [1, 0, 1, 0, 1, 0, 1, 0]  # labels in sorted order: cat 0, dog 1
    assert data.sessions.tolist() == [0] * 4 + [1] * 4
    assert data.sequences.tolist() == [0, 1] * 4 and data.frame_index.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert data.pose_names == ["yaw_sin", "yaw_cos", "height"]
    assert torch.allclose(data.poses[2, :2], torch.tensor([1.0, 0.0]), atol=1e-6)  # 90 degrees
    assert data.poses[:, 2].min() == -1 and data.poses[:, 2].max() == 1


@pytest.mark.parametrize(
    "break_it, needle",
    [
        (lambda rows: [{k: v for k, v in r.items() if k != "height"} for r in rows], "lacks column(s) height"),
        (
            lambda rows: [{**r, "height": "tall"} if r["file"] == "f3.png" else r for r in rows],
            "row 5: height='tall' is not a number",
        ),
        (lambda rows: [{**r, "file": "gone.png"} if r["file"] == "f6.png" else r for r in rows], "row 8 names"),
        (lambda rows: [{**r, "label": ""} if r["file"] == "f1.png" else r for r in rows], "row 3: label is empty"),
        (lambda rows: [{**r, "label": "cat"} for r in rows], "every row has label 'cat', one class"),
    ],
)
def test_a_malformed_labelled_folder_names_the_row_and_the_fix(tmp_path, break_it, needle):
    write_folder(tmp_path, _rows())
    write_folder(tmp_path, break_it(_rows()), images=False)
    cfg = Config(dataset="folder", data_dir=str(tmp_path), pose_columns=["yaw:deg", "height"])
    with pytest.raises(DataError) as e:
        check_dataset(cfg)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_data_dir_that_is_a_file_is_named_as_such(tmp_path):
    a_file = tmp_path / "labels.csv"
    a_file.write_text("file,label\n")
    with pytest.raises(DataError, match="is a file, not a folder"):
        check_dataset(Config(dataset="folder", data_dir=str(a_file)))


def test_cifar10_in_another_pickle_format_is_caught_before_training(tmp_path):
    write_cifar(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    with open(batch, "rb") as f:
        data = pickle.load(f)
    with open(batch, "wb") as f:
        pickle.dump({k.encode(): v for k, v in data.items()}, f)  # keys as bytes, as some exports have
    with pytest.raises(DataError, match="not in torchvision's format"):
        check_dataset(Config(dataset="cifar10", data_dir=str(tmp_path), pairs="synthetic"))


def test_a_single_class_folder_is_refused_before_training_or_a_study_starts(tmp_path, capsys):
    """Object probes over one class would report a meaningless accuracy: one line, exit 2."""
    from ciper.study import run_study
    from studies import alpha_sweep

    write_folder(tmp_path / "data", [{**r, "label": "cat"} for r in _rows()])
    sets = ["--set", "dataset=folder", f"data_dir={tmp_path / 'data'}", "pairs=time"]
    code = main(["--preset", "smoke", *sets, "--out", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "need at least two classes" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run" / "checkpoint.pt").exists()
    with pytest.raises(SystemExit) as e:  # a study stops in its checks, before Ray starts
        run_study(alpha_sweep.STUDY, ["--preset", "smoke", *sets, "--storage", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and "need at least two classes" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r" / "alpha_sweep").exists()
