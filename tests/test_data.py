import pytest
import torch

from ciper import flatworld, world
from ciper.config import Config, ConfigError
from ciper.data import TimePairs, split, split_of
from ciper.datasets import load_dataset
from ciper.device import to_device
from ciper.imageset import ImageSet

BOTH_WORLDS = pytest.mark.parametrize("world", [world, flatworld], ids=["world", "flatworld"])


@BOTH_WORLDS
def test_world_is_deterministic_and_complete(world):
    a = world.generate_world(objects=4, sessions=3, frames=20, seed=5)
    b = world.generate_world(objects=4, sessions=3, frames=20, seed=5)
    c = world.generate_world(objects=4, sessions=3, frames=20, seed=6)
    assert torch.equal(a.images, b.images) and torch.equal(a.poses, b.poses)
    assert not torch.equal(a.images, c.images)
    assert a.images.shape == (4 * 3 * 20, 3, 32, 32) and a.images.dtype == torch.uint8
    assert a.num_objects == 4 and a.num_sessions == 3 and a.pose_names == world.POSE_NAMES
    assert a.poses.abs().max() <= 1.0 + 1e-6
    # every sequence is one object in one session
    for s in range(12):
        m = a.sequences == s
        assert len(a.objects[m].unique()) == 1 and len(a.sessions[m].unique()) == 1


@BOTH_WORLDS
def test_world_objects_are_asymmetric(world):
    """A mirrored object must not look like itself, or flips could not be told apart."""
    w = world.generate_world(objects=10, sessions=1, frames=1, seed=0)
    x = w.images.float()
    mirrored_gap = (x - x.flip(-1)).abs().mean((1, 2, 3))
    assert torch.all(mirrored_gap > 1.0)


@BOTH_WORLDS
def test_sessions_differ_by_lighting_and_colour(world):
    w = world.generate_world(objects=2, sessions=4, frames=50, seed=0)
    means = torch.stack([w.images[w.sessions == s].float().mean((0, 2, 3)) for s in range(4)])
    assert (means.max(0).values - means.min(0).values).max() > 3  # visible colour/brightness shifts


@BOTH_WORLDS
def test_default_split_shares_no_sequence_with_training(world):
    """The leak this split closes: every sequence on both sides let a pixel classifier name it."""
    w = world.generate_world(objects=10, sessions=5, frames=20, seed=0)
    train, test, rule = split_of(w, Config())
    assert rule == "sequences"
    assert not set(train.sequences.tolist()) & set(test.sequences.tolist())
    assert set(train.sequences.tolist()) | set(test.sequences.tolist()) == set(range(50))
    # one sequence per object held out, spread over the sessions (a Latin square)
    held = sorted({(int(o), int(s)) for o, s in zip(test.objects, test.sessions)})
    assert [o for o, _ in held] == list(range(10))
    assert torch.bincount(torch.tensor([s for _, s in held]), minlength=5).tolist() == [2] * 5
    assert set(train.objects.tolist()) == set(range(10)) and set(train.sessions.tolist()) == set(range(5))


def test_sequences_split_refuses_an_object_without_training_sequences():
    w = world.generate_world(objects=2, sessions=2, frames=5, seed=0)
    with pytest.raises(ConfigError, match="leaves no training sequence"):
        split(w, "sequences", 0.9, seed=0)
    with pytest.raises(ConfigError, match="use world_sessions >= 2"):
        Config(world_sessions=1).validated()
    with pytest.raises(ConfigError, match="split=random would put frames of one sequence on both sides"):
        split(w, "random", 0.5, seed=0)


def _turntable(objects: int = 2, poses: int = 72) -> ImageSet:
    n = objects * poses
    return ImageSet(
        images=torch.zeros(n, 3, 8, 8, dtype=torch.uint8),
        objects=torch.arange(objects).repeat_interleave(poses),
        sequences=torch.arange(objects).repeat_interleave(poses),
        frame_index=torch.arange(poses).repeat(objects),
        cyclic=True,
    )


def test_pose_blocks_keep_every_test_frame_a_window_away_from_training():
    data = _turntable()
    train, test, rule = split(data, "auto", 0.2, seed=0, time_window=3, blocks=4)
    assert rule == "pose_blocks"
    for o in range(2):
        tr, te = train.frame_index[train.objects == o], test.frame_index[test.objects == o]
        gap = (te[:, None] - tr[None, :]).abs()
        gap = torch.minimum(gap, 72 - gap)  # the turntable is circular
        assert int(gap.min()) > 3
        assert len(te) == 4 * round(72 * 0.2 / 4)
    with pytest.raises(ConfigError, match="no training frame"):
        split(data, "pose_blocks", 0.5, seed=0, time_window=10, blocks=4)


def test_pose_blocks_measure_the_gap_in_frames_on_a_partial_turntable():
    """Every other pose of half a turn (frames 0, 2, ..., 34 of a 72-frame turn): the gap is
    counted in frames, and the arc's two ends are 38 frames apart, not neighbours."""
    data = _turntable(objects=1, poses=18)
    data.frame_index, data.period = data.frame_index * 2, 72
    train, test, _ = split(data, "pose_blocks", 0.25, seed=0, time_window=3, blocks=2)
    gap = (test.frame_index[:, None] - train.frame_index[None, :]).abs()
    assert int(torch.minimum(gap, 72 - gap).min()) > 3
    assert len(train) + len(test) == 18 - 2 * 2  # one frame (2 frames away) dropped on either side of each block


@BOTH_WORLDS
def test_time_pairs_stay_in_sequence_and_window(world):
    w = world.generate_world(objects=3, sessions=2, frames=30, seed=0)
    pairs = TimePairs(w, window=4)
    idx = torch.arange(len(w))
    partner = pairs.partners(idx, torch.Generator().manual_seed(0))
    assert torch.equal(w.sequences[partner], w.sequences[idx])
    gap = (w.frame_index[partner] - w.frame_index[idx]).abs()
    assert gap.max() <= 4 and gap.min() >= 1


def test_time_pairs_are_within_the_window_by_frame_index_and_wrap_around_a_turntable():
    """On held-out blocks a partner lies within the window in frames (circular), never across a
    dropped gap, and every frame that close is drawn, pose 71 pairing with pose 0."""
    train, _, _ = split(_turntable(), "pose_blocks", 0.2, seed=0, time_window=3, blocks=4)
    pairs = TimePairs(train, window=3)
    idx = torch.arange(len(train)).repeat(200)
    partner = pairs.partners(idx, torch.Generator().manual_seed(0))
    assert torch.equal(train.sequences[partner], train.sequences[idx])
    gap = (train.frame_index[partner] - train.frame_index[idx]).abs()
    gap = torch.minimum(gap, 72 - gap)
    assert int(gap.max()) <= 3 and int(gap.min()) >= 1
    present = set(train.frame_index[train.objects == 0].tolist())
    for f in present:
        own = (train.frame_index[idx] == f) & (train.objects[idx] == 0)
        drawn = set(train.frame_index[partner[own]].tolist())
        near = {(f + d) % 72 for d in (-3, -2, -1, 1, 2, 3)} & present
        assert drawn == near  # the candidates, all of them, and nothing else
    assert {0, 71} <= present
    first = (train.frame_index[idx] == 71) & (train.objects[idx] == 0)
    assert 0 in train.frame_index[partner[first]].tolist()


def test_time_pairs_with_a_window_over_half_a_turn_draw_each_frame_once():
    data = _turntable(objects=1, poses=8)
    pairs = TimePairs(data, window=50)
    idx = torch.zeros(8000, dtype=torch.long)
    counts = torch.bincount(pairs.partners(idx, torch.Generator().manual_seed(0)), minlength=8)
    assert counts[0] == 0 and counts[1:].min() > 1000 * 0.85  # uniform over the 7 others


def test_time_pairs_skip_missing_frames_by_index_and_a_lone_frame_pairs_with_itself():
    frames = torch.tensor([0, 1, 2, 10, 11, 30])
    data = ImageSet(
        images=torch.zeros(6, 3, 8, 8, dtype=torch.uint8),
        objects=torch.zeros(6, dtype=torch.long),
        sequences=torch.zeros(6, dtype=torch.long),
        frame_index=frames,
    )
    idx = torch.arange(6).repeat(100)
    partner = TimePairs(data, window=2).partners(idx, torch.Generator().manual_seed(0))
    gap = (frames[partner] - frames[idx]).abs()
    assert bool((gap[idx != 5] <= 2).all() and (gap[idx != 5] >= 1).all())
    assert bool((partner[idx == 5] == 5).all())


def test_load_dataset_uses_the_3d_world_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CIPER_CACHE_DIR", str(tmp_path))
    data = load_dataset(Config(world_objects=3, world_sessions=2, world_frames=5))
    assert len(data) == 30 and data.name == "world" and data.rotations is not None
    flat = load_dataset(Config(dataset="flatworld", world_objects=3, world_sessions=2, world_frames=5))
    assert len(flat) == 30 and flat.name == "flatworld" and flat.rotations is None


def test_to_device_moves_many_tensors_in_one_copy_exactly():
    tensors = [
        torch.tensor([0, 2**40 + 1, 49_999]),
        torch.rand(3, 4),
        torch.zeros(0, dtype=torch.long),
        torch.tensor([True, False]),
        torch.rand(2, 1, dtype=torch.float64),
    ]
    moved = to_device(tensors, "cpu")
    for a, b in zip(tensors, moved):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    assert to_device([], "cpu") == []


def test_grey_images_are_the_luminance_of_the_same_frames_and_nothing_else_changes():
    rgb = load_dataset(Config(world_frames=4, world_sessions=2, world_objects=3))
    grey = load_dataset(Config(world_frames=4, world_sessions=2, world_objects=3, image_colour="grey"))
    weights = torch.tensor([0.2989, 0.587, 0.114])[None, :, None, None]
    luminance = (rgb.images.float() * weights).sum(1)
    assert all(torch.equal(grey.images[:, c], grey.images[:, 0]) for c in (1, 2))
    assert (grey.images[:, 0].float() - luminance).abs().max() <= 1  # rounding
    assert torch.equal(grey.objects, rgb.objects) and torch.equal(grey.poses, rgb.poses)
    with pytest.raises(ConfigError, match="image_colour"):
        Config(image_colour="gray").validated()
