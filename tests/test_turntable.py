"""Turntable folders (COIL-100's layout and any file-name pattern), image folders, and the
folder cache, on small folders the tests write themselves; malformed folders fail in one line."""

import csv
import os

import pytest
import torch
from torchvision.io import write_png

from ciper import worldcache
from ciper.config import Config, ConfigError
from ciper.data import TimePairs, split_of
from ciper.datasets import check_dataset, load_dataset
from ciper.folders import DataError
from ciper.model import target_groups
from ciper.run import main
from ciper.study import run_study
from ciper.train import train
from studies import alpha_sweep


def _png(path, seed, size=16):
    path.parent.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    write_png(torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g), str(path))


def write_turntable(root, objects=(1, 2, 3), angles=range(0, 360, 30)):
    for k in objects:
        for a in angles:
            _png(root / f"obj{k}__{a}.png", seed=1000 * k + a)
    return root


def test_turntable_labels_come_from_the_file_names(tmp_path):
    write_turntable(tmp_path, objects=(2, 10, 1))
    data = load_dataset(Config(dataset="coil100", data_dir=str(tmp_path), image_size=8))
    assert len(data) == 36 and data.images.shape[1:] == (3, 8, 8)
    # numeric order of the objects: 1, 2, 10 -> 0, 1, 2; a sequence is an object; 30-degree steps
    assert data.num_objects == 3 and torch.equal(data.sequences, data.objects)
    assert data.cyclic and data.period == 12 and data.pose_names == ["azimuth_sin", "azimuth_cos"]
    first = data.objects == 0
    assert sorted(data.frame_index[first].tolist()) == list(range(12))
    angle = torch.rad2deg(torch.atan2(data.poses[:, 0], data.poses[:, 1])) % 360
    assert torch.allclose(angle, data.frame_index.float() * 30, atol=1e-3)
    # a time pair's target is the turn between its frames, the same for every object: 330 -> 0 is +30
    last, zero = (int(torch.nonzero(first & (data.frame_index == f))) for f in (11, 0))
    assert data.pose_change_names == ["dazimuth"]
    turn = data.pose_change(torch.tensor([last, zero, zero]), torch.tensor([zero, last, zero]))
    assert torch.allclose(torch.rad2deg(turn[:, 0]), torch.tensor([30.0, -30.0, 0.0]), atol=1e-4)


def test_any_subset_of_poses_keeps_the_turntable_step(tmp_path):
    """Poses 0-150 degrees only: frames count 30-degree steps, and 150 is not next to 0."""
    write_turntable(tmp_path, objects=(1, 2), angles=range(0, 180, 30))
    data = load_dataset(Config(dataset="coil100", data_dir=str(tmp_path), image_size=8))
    assert data.period == 12 and data.frame_index.max() == 5
    partner = TimePairs(data, window=1).partners(torch.arange(len(data)).repeat(50), torch.Generator())
    idx = torch.arange(len(data)).repeat(50)
    assert bool(((data.frame_index[partner] - data.frame_index[idx]).abs() == 1).all())


def test_another_turntable_needs_only_its_file_pattern(tmp_path):
    """ALOI's layout: <object>/<object>_r<angle>.png, with sessions from a second group."""
    for k in (1, 2):
        for light in ("l1", "l2"):
            for a in (0, 90, 180, 270):
                _png(tmp_path / light / str(k) / f"{k}_r{a}.png", seed=k * 1000 + a + len(light))
    pattern = r"(?P<session>l\d)/(?P<object>\d+)/\d+_r(?P<angle>\d+)\.png"
    data = load_dataset(Config(dataset="turntable", data_dir=str(tmp_path), file_pattern=pattern, image_size=8))
    assert len(data) == 16 and data.num_objects == 2 and data.num_sessions == 2 and data.period == 4
    assert len(data.sequences.unique()) == 4  # an object in a session


def test_max_objects_keeps_the_first_objects(tmp_path):
    write_turntable(tmp_path, objects=(1, 2, 3, 4))
    data = load_dataset(Config(dataset="coil100", data_dir=str(tmp_path), image_size=8, max_objects=2))
    assert data.num_objects == 2 and len(data) == 24


def _bad_turntable(tmp_path, kind):
    root = tmp_path / "coil"
    if kind == "missing":
        return root, str(root)
    if kind == "empty":
        root.mkdir()
        (root / "README.txt").write_text("no images here")
        return root, "no image files"
    write_turntable(root)
    if kind == "stray":
        _png(root / "obj1_extra.png", seed=1)
        return root, "obj1_extra.png"
    (root / "obj2__60.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return root, "obj2__60.png"


@pytest.mark.parametrize("kind", ["missing", "empty", "stray", "unreadable"])
def test_a_malformed_turntable_is_one_line_and_exit_2(tmp_path, capsys, kind):
    root, needle = _bad_turntable(tmp_path, kind)
    code = main(["--preset", "coil", "--set", f"data_dir={root}", "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "out" / "checkpoint.pt").exists()


@pytest.mark.parametrize("kind", ["missing", "empty", "stray", "unreadable"])
def test_a_malformed_turntable_stops_a_study_before_ray_and_keeps_its_results(tmp_path, capsys, kind):
    root, needle = _bad_turntable(tmp_path, kind)
    finished = tmp_path / "r" / "alpha_sweep" / "trials.csv"
    finished.parent.mkdir(parents=True)
    finished.write_text("a finished study's table\n")
    with pytest.raises(SystemExit) as e:
        run_study(
            alpha_sweep.STUDY, ["--preset", "coil", "--set", f"data_dir={root}", "--storage", str(tmp_path / "r")]
        )
    err = capsys.readouterr().err
    assert e.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert finished.read_text() == "a finished study's table\n"


def test_a_bad_file_pattern_is_named(tmp_path):
    write_turntable(tmp_path)
    with pytest.raises(DataError, match="lacks the named group"):
        check_dataset(Config(dataset="turntable", data_dir=str(tmp_path), file_pattern=r"obj(\d+)__(\d+)\.png"))
    with pytest.raises(ConfigError, match="needs file_pattern"):
        Config(dataset="turntable", data_dir=str(tmp_path)).validated()


# ---- the cache -------------------------------------------------------------
def _cache_files(root):
    return sorted((root / "folders").glob("*.pt"))


def test_a_folder_is_decoded_once_and_a_changed_file_or_a_corrupt_cache_is_read_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CIPER_CACHE_DIR", str(tmp_path / "cache"))
    data_dir = write_turntable(tmp_path / "coil")
    cfg = Config(dataset="coil100", data_dir=str(data_dir), image_size=8)
    first = load_dataset(cfg)
    (entry,) = _cache_files(tmp_path / "cache")
    stamp = entry.stat().st_mtime_ns
    # a hit reads the cache, not the images: garbage of the same size and time goes unnoticed
    victim = data_dir / "obj1__0.png"
    st = victim.stat()
    victim.write_bytes(b"\0" * st.st_size)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = load_dataset(cfg)
    assert torch.equal(again.images, first.images) and _cache_files(tmp_path / "cache") == [entry]
    assert entry.stat().st_mtime_ns == stamp
    # a changed file (new content, new time) is a miss: the folder is decoded again
    _png(victim, seed=99)
    changed = load_dataset(cfg)
    assert len(_cache_files(tmp_path / "cache")) == 2
    row = int(torch.nonzero((changed.objects == 0) & (changed.frame_index == 0)))
    assert not torch.equal(changed.images[row], first.images[row])
    # another image size is another entry
    load_dataset(cfg.replace(image_size=12))
    assert len(_cache_files(tmp_path / "cache")) == 3
    # a corrupt entry is rebuilt with a warning, never trusted
    newest = max(_cache_files(tmp_path / "cache"), key=lambda p: p.stat().st_mtime_ns)
    newest.write_bytes(newest.read_bytes()[:1000])
    rebuilt = load_dataset(cfg.replace(image_size=12))
    assert "unusable" in capsys.readouterr().err and rebuilt.images.shape[-1] == 12
    assert worldcache.load(newest).images.shape == rebuilt.images.shape


# ---- image folders -----------------------------------------------------------
def test_an_image_folder_reads_classes_and_an_official_split(tmp_path):
    for split_name, n in (("train", 3), ("test", 2)):
        for c in ("cat", "dog"):
            for i in range(n):
                _png(tmp_path / split_name / c / f"{i}.png", seed=hash((split_name, c, i)) % 1000)
    (tmp_path / "train" / "cat" / "notes.txt").write_text("not an image: ignored, as ImageFolder ignores it")
    cfg = Config(dataset="imagefolder", data_dir=str(tmp_path), pairs="synthetic", image_size=8)
    data = load_dataset(cfg)
    assert len(data) == 10 and data.objects.tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 1, 1]
    train_set, test_set, rule = split_of(data, cfg)
    assert rule == "official" and len(test_set) == 4


def test_an_image_folder_without_train_and_test_is_split_at_random(tmp_path):
    for c in ("a", "b", "c"):
        for i in range(5):
            _png(tmp_path / c / "sub" / f"{i}.png", seed=i)
    cfg = Config(dataset="imagefolder", data_dir=str(tmp_path), pairs="synthetic", image_size=8, max_objects=2)
    data = load_dataset(cfg)
    assert data.num_objects == 2 and len(data) == 10
    assert split_of(data, cfg)[2] == "random"
    with pytest.raises(ConfigError, match="imagefolder has no time sequences"):
        cfg.replace(pairs="time")


@pytest.mark.parametrize("kind, needle", [("empty class", "without images (bird)"), ("unreadable", "broken.png")])
def test_an_image_folder_names_empty_classes_and_unreadable_files_in_one_line(tmp_path, capsys, kind, needle):
    root = tmp_path / "data"
    for c in ("cat", "dog"):
        for i in range(3):
            _png(root / c / f"{i}.png", seed=i)
    if kind == "empty class":
        (root / "bird").mkdir()
    else:
        (root / "dog" / "broken.png").write_bytes(b"not a png")
    args = ["--preset", "smoke", "--set", "dataset=imagefolder", f"data_dir={root}", "pairs=synthetic"]
    code = main([*args, "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err


# ---- labels.csv with sequences but no pose columns ---------------------------
def _video_folder(root):
    rows = []
    for seq in range(4):
        for f in range(10):
            name = f"s{seq}_{f}.png"
            _png(root / "images" / name, seed=seq * 100 + f, size=12)
            rows.append({"file": name, "label": f"c{seq % 2}", "sequence": seq, "frame": f})
    with open(root / "labels.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return root


def test_video_frames_without_pose_columns_train_on_the_frame_gap_or_the_augmentations(tmp_path):
    """The crash this closes: pose_change on data without poses. A time pair's target is then
    the frame gap (time_pair_target=frame_gap) or nothing (none: only the synthetic ops)."""
    cfg = Config(
        dataset="folder",
        data_dir=str(_video_folder(tmp_path)),
        image_size=12,
        time_window=2,
        test_fraction=0.5,
        epochs=1,
        batch_size=8,
        eval_images=0,
        knn_k=3,
        latent_dim=8,
    )
    for target, head_mode, pairs, first in [
        ("none", "both", "time+synthetic", "jitter"),
        ("none", "predictive", "time+synthetic", "jitter"),
        ("frame_gap", "both", "time", "frame_gap"),
    ]:
        trained = train(cfg.replace(time_pair_target=target, head_mode=head_mode, pairs=pairs))
        groups = target_groups(trained.cfg, trained.train_set)
        assert "view" not in groups and next(iter(groups)) == first
        assert trained.history[-1]["loss_pred"] > 0


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["pairs=time"], "time_pair_target=pose_change needs pose labels"),
        (["pairs=time+synthetic", "head_mode=predictive"], "time_pair_target=pose_change needs pose labels"),
        (["pairs=time", "time_pair_target=none"], "nothing to predict"),
    ],
)
def test_time_pairs_without_pose_columns_and_nothing_to_predict_are_one_line_and_exit_2(tmp_path, capsys, sets, needle):
    data_dir = _video_folder(tmp_path / "video")
    args = ["--preset", "smoke", "--set", "dataset=folder", f"data_dir={data_dir}", *sets]
    code = main([*args, "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err


def test_video_frames_without_pose_columns_stop_a_study_before_ray(tmp_path, capsys):
    data_dir = _video_folder(tmp_path / "video")
    args = ["--preset", "smoke", "--set", "dataset=folder", f"data_dir={data_dir}", "--storage", str(tmp_path / "r")]
    with pytest.raises(SystemExit) as e:
        run_study(alpha_sweep.STUDY, args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "time_pair_target=pose_change needs pose labels" in err, err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r" / "alpha_sweep").exists()


def test_the_turn_read_out_of_a_run_on_training_and_held_out_pairs(tmp_path, capsys):
    from analysis.turntable import main as turntable_main

    data_dir = write_turntable(tmp_path / "coil", objects=(1, 2, 3), angles=range(0, 360, 10))
    sets = ["image_size=8", "epochs=1", "batch_size=16", "latent_dim=8", "time_window=2", "split_blocks=2"]
    assert main(["--preset", "coil", "--set", f"data_dir={data_dir}", *sets, "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert turntable_main([str(tmp_path / "run")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" pairs")[0] for line in lines] == ["train", "test"] and "of 3 objects" in lines[1]
    assert turntable_main([str(tmp_path / "nowhere")]) == 2
    assert "holds no checkpoint.pt" in capsys.readouterr().err
