"""The built-in 3D world: geometry, pose encoding, relative rotations, determinism, the cache."""

import math
from pathlib import Path

import pytest
import torch
from helpers import refused

from ciper import raycast, rotations, world, worldcache
from ciper.config import Config
from ciper.data import TimePairs
from ciper.datasets import load_dataset
from ciper.run import main as run_main

ROOT = Path(__file__).resolve().parent.parent


def one_part_object(slot: int, size: tuple, turn=(1.0, 0.0, 0.0, 0.0)) -> dict:
    """An object whose only part is `slot` (an ellipsoid or box slot), centred at the origin."""
    slots = len(raycast.ELLIPSOIDS) + len(raycast.BOXES) + len(raycast.MARKERS)
    present = torch.zeros(1, slots, dtype=torch.bool)
    present[0, slot] = True
    sizes = torch.full((1, slots, 3), 0.1)
    sizes[0, slot] = torch.tensor(size)
    turns = torch.tensor([1.0, 0, 0, 0]).repeat(1, slots, 1)
    turns[0, slot] = torch.tensor(turn)
    no_bands = dict(  # a period far beyond the part, at a phase whose band is light
        stripe_axis=torch.tensor([1.0, 0, 0]).repeat(1, slots, 1),
        stripe_period=torch.full((1, slots), 1e9),
        stripe_phase=torch.full((1, slots), -math.pi / 2),
    )
    return dict(centre=torch.zeros(1, slots, 3), turn=turns, size=sizes, present=present, **no_bands)


def draw(objects, quat=(1.0, 0, 0, 0), radius=0.5, shift=(0.0, 0.0), size=64, light=(0.0, 0.0, -1.0)):
    """One image of object 0 on a black backdrop, white albedo, light along the view."""
    sessions = dict(colour=torch.ones(1, 3), intensity=torch.ones(1), ambient=torch.zeros(1))
    per_image = dict(
        object=torch.tensor([0]),
        session=torch.tensor([0]),
        quat=torch.tensor([quat]),
        scale=torch.tensor([radius]),
        shift=torch.tensor([shift]),
        body=torch.ones(1, 3),
        backdrop=torch.zeros(1, 3),
        light_dir=torch.tensor([light]),
    )
    return raycast.render(objects, sessions, per_image, size)[0]


def test_a_sphere_lands_where_its_pose_puts_it():
    sphere = one_part_object(raycast.ELLIPSOIDS[0], (1.0, 1.0, 1.0))
    img = draw(sphere, radius=0.4, shift=(0.3, -0.2))[0]  # [H, W]
    size = img.shape[-1]
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    mass = img.sum()
    centre = ((xs * img).sum() / mass / size * 2 - 1, (ys * img).sum() / mass / size * 2 - 1)
    # brightest (most lit: facing the light) at the centre, so the centroid sits on it
    assert abs(centre[0] - 0.3) < 0.02 and abs(centre[1] + 0.2) < 0.02
    covered = (img > 0).float().sum() / size**2  # disc of radius 0.4 of the half image
    assert abs(covered - math.pi * 0.2**2) < 0.01
    assert img.max() > 0.98 and img[0, 0] == 0  # lit face-on; backdrop black


def test_a_box_turned_a_quarter_about_the_view_axis_swaps_width_and_height():
    box = one_part_object(raycast.BOXES[0], (0.8, 0.3, 0.3))
    flat = draw(box)[0] > 0
    quarter = rotations.from_axis_angle(torch.tensor([0.0, 0.0, math.pi / 2])).tolist()
    turned = draw(box, quat=quarter)[0] > 0
    width = lambda m: m.any(0).sum().item()
    height = lambda m: m.any(1).sum().item()
    assert width(flat) > 2 * height(flat)
    assert abs(width(turned) - height(flat)) <= 1 and abs(height(turned) - width(flat)) <= 1


def test_markings_band_a_part_and_belong_to_the_object():
    """Every object is grey; its parts carry dark bands fixed per object, in every session."""
    sphere = one_part_object(raycast.ELLIPSOIDS[0], (1.0, 1.0, 1.0))
    sphere.update(stripe_period=torch.full_like(sphere["stripe_period"], 0.5), stripe_phase=torch.zeros(1, 6))
    img = draw(sphere)[0]
    row = img[32, 16:48]  # across the sphere, along the band axis
    assert (row < 0.5 * row.max()).any() and (row > 0.9 * row.max()).any()
    w = world.generate_world(objects=3, sessions=2, frames=2, seed=0)
    colourful = (w.images.float().amax(1) - w.images.float().amin(1)).mean()
    assert colourful < 12  # grey bodies: colour tells no object apart (sessions tint a little)


def test_lambert_shading_follows_the_light():
    sphere = one_part_object(raycast.ELLIPSOIDS[0], (1.0, 1.0, 1.0))
    from_left = draw(sphere, light=(-0.8, 0.0, -0.6))[0]
    left, right = from_left[:, :28].sum(), from_left[:, 36:].sum()
    assert left > 2 * right


def test_pose_encoding_round_trips():
    w = world.generate_world(objects=3, sessions=2, frames=30, seed=1)
    vector = w.poses[:, :3] * math.sin(world.MAX_ANGLE / 2)  # rot_x, rot_y, rot_z -> quaternion
    rebuilt = torch.cat([(1 - vector.pow(2).sum(1, keepdim=True)).sqrt(), vector], 1)
    assert torch.allclose(rebuilt, w.rotations, atol=1e-5)
    assert (w.rotations[:, 0] >= 0).all() and w.poses.abs().max() <= 1 + 1e-5
    assert (rotations.angle(w.rotations) <= world.MAX_ANGLE + 1e-5).all()
    v = torch.randn(100, 3)
    v = v / v.norm(dim=1, keepdim=True) * torch.rand(100, 1) * 3.0  # angles below pi
    assert torch.allclose(rotations.to_axis_angle(rotations.from_axis_angle(v)), v, atol=1e-5)


def test_a_pairs_relative_rotation_recomposes_its_two_poses():
    w = world.generate_world(objects=3, sessions=2, frames=40, seed=2)
    idx = torch.arange(len(w))
    partner = TimePairs(w, window=20).partners(idx, torch.Generator().manual_seed(0))
    change = w.pose_change(idx, partner)
    assert w.pose_change_names == ["drot_x", "drot_y", "drot_z", "scale", "pos_x", "pos_y"]
    recomposed = rotations.multiply(rotations.from_axis_angle(change[:, :3]), w.rotations[idx])
    assert torch.allclose(rotations.canonical(recomposed), w.rotations[partner], atol=1e-5)
    assert torch.allclose(change[:, 3:], w.poses[partner, 3:] - w.poses[idx, 3:])


def test_poses_drift_smoothly():
    w = world.generate_world(objects=2, sessions=2, frames=60, seed=3)
    step = rotations.angle(rotations.multiply(w.rotations[1:], rotations.inverse(w.rotations[:-1])))
    same = w.sequences[1:] == w.sequences[:-1]
    assert step[same].max() < 0.5 and step[same].mean() > 0.02  # moving, never jumping


def test_an_image_does_not_depend_on_what_else_is_rendered_with_it():
    """render works chunk by chunk, each over windows sized to its objects: an image must come
    out the same whatever chunk size, batch order or neighbours it is rendered with."""
    g = torch.Generator().manual_seed(0)
    n = 12
    tilt, azimuth = torch.rand(n, generator=g), 6 * torch.rand(n, generator=g)
    per_image = dict(
        object=torch.arange(n) % 3,
        session=torch.arange(n) % 2,
        quat=rotations.from_axis_angle(rotations.random_unit(n, g) * 0.8),
        scale=0.4 + 0.4 * torch.rand(n, generator=g),
        shift=0.2 * torch.rand(n, 2, generator=g) - 0.1,
        body=torch.full((n, 3), 0.7),
        backdrop=0.3 * torch.rand(n, 3, generator=g),
        light_dir=torch.stack([tilt.sin() * azimuth.cos(), tilt.sin() * azimuth.sin(), -tilt.cos()], 1),
    )
    shapes, looks = world.make_objects(3, g), world.make_sessions(2, g)

    def rendered(idx, chunk):
        return raycast.render(shapes, looks, {k: v[idx] for k, v in per_image.items()}, 16, chunk=chunk)

    whole = rendered(torch.arange(n), 256)
    assert whole.std() > 0.05  # objects, not an empty backdrop
    order = torch.randperm(n, generator=g)
    assert torch.equal(rendered(order, 5), whole[order])
    assert torch.equal(rendered(torch.tensor([7]), 1), whole[7:8])


def _config(**changes):
    return Config(world_objects=2, world_sessions=2, world_frames=10, **changes)


def test_the_cache_hits_misses_and_rebuilds_a_corrupt_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CIPER_CACHE_DIR", str(tmp_path))
    built = []
    real = world.generate_world
    monkeypatch.setattr(world, "generate_world", lambda **kw: built.append(kw) or real(**kw))
    first = load_dataset(_config())
    assert len(built) == 1
    files = list((tmp_path / "worlds").glob("world-*.pt"))
    assert len(files) == 1
    again = load_dataset(_config())  # a hit: nothing drawn
    assert len(built) == 1 and torch.equal(again.images, first.images)
    load_dataset(_config(world_seed=1))  # a changed parameter: a miss
    assert len(built) == 2 and len(list((tmp_path / "worlds").glob("world-*.pt"))) == 2
    files[0].write_bytes(files[0].read_bytes()[:1000])  # truncated
    rebuilt = load_dataset(_config())
    assert len(built) == 3 and torch.equal(rebuilt.images, first.images)
    assert "unusable" in capsys.readouterr().err
    state = torch.load(files[0], weights_only=True)  # altered but loadable
    state["fields"]["objects"][0] += 1
    torch.save(state, files[0])
    load_dataset(_config())
    assert len(built) == 4 and "do not match" in capsys.readouterr().err


def test_the_cache_key_follows_the_code(tmp_path, monkeypatch):
    monkeypatch.setenv("CIPER_CACHE_DIR", str(tmp_path))
    params = dict(objects=2, sessions=1, frames=2, size=32, seed=0)
    here = worldcache.cache_path("world", params, [world])
    fake = tmp_path / "fake_world.py"
    fake.write_text("# another drawing\n")
    other = type(world)("fake_world")
    other.__file__ = str(fake)
    assert worldcache.cache_path("world", params, [other]) != here
    assert worldcache.cache_path("world", {**params, "size": 64}, [world]) != here


def test_each_worlds_cache_key_reads_its_own_code_not_the_others(tmp_path, monkeypatch):
    monkeypatch.setenv("CIPER_CACHE_DIR", str(tmp_path))
    read = {}
    real = worldcache.cache_path
    monkeypatch.setattr(
        worldcache,
        "cache_path",
        lambda kind, params, code, **kw: (
            read.setdefault(kind, {m.__name__ for m in code}) and real(kind, params, code, **kw)
        ),
    )
    load_dataset(_config())
    load_dataset(_config(dataset="flatworld"))
    assert {"ciper.world", "ciper.raycast", "ciper.drawing"} <= read["world"] and "ciper.flatworld" not in read["world"]
    assert {"ciper.flatworld", "ciper.drawing"} <= read["flatworld"] and "ciper.world" not in read["flatworld"]


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["world_objects=1"], "world_objects=1 must be >= 2"),
        (["world_frames=1"], "world_frames=1 must be >= 2"),
        (["image_size=4"], "image_size=4 must be >= 8"),
        (["world_objects=1000", "world_frames=100000"], "GiB"),
        (["world_sessions=500"], "world_sessions=500 must be <= 100"),
    ],
)
def test_bad_world_parameters_are_one_line_and_exit_2(tmp_path, capsys, sets, needle):
    argv = ["--preset", "smoke", "--set", *sets, "--out", str(tmp_path / "run")]
    assert needle in refused(run_main, argv, capsys)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_gallery_writes_a_picture(tmp_path):
    out = tmp_path / "gallery.png"
    assert world.main(["--gallery", str(out), "--objects", "2", "--sessions", "2", "--poses", "2", "--size", "16"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert world.main(["--gallery", str(out), "--objects", "0"]) == 2
