"""The read-outs against known answers: the 3DIEBench quaternion read-out and the no-learning controls."""

import math

import torch

from ciper import rotations
from ciper.config import Config
from ciper.controls import ColourStatistics, PooledPixels
from ciper.imageset import ImageSet
from ciper.quaternion_probe import any_pair_partners, pooled_r2, quaternion_r2, relative_quaternions

STEPS = Config().probe_steps  # the probes' steps outside the smoke preset


def _sequences(n_seq: int, frames: int, seed: int) -> ImageSet:
    g = torch.Generator().manual_seed(seed)
    n = n_seq * frames
    axis = rotations.random_unit(n, g)
    quat = rotations.from_axis_angle(axis * (math.pi / 3) * torch.rand(n, 1, generator=g))
    return ImageSet(
        images=torch.zeros(n, 3, 4, 4, dtype=torch.uint8),
        objects=torch.zeros(n, dtype=torch.long),
        sequences=torch.arange(n_seq).repeat_interleave(frames),
        frame_index=torch.arange(frames).repeat(n_seq),
        rotations=rotations.canonical(quat),
    )


def test_any_pair_partners_stay_in_their_sequence():
    seq = torch.tensor([2, 0, 2, 1, 0, 2, 3])
    partner = any_pair_partners(seq, torch.Generator().manual_seed(0))
    assert torch.equal(seq[partner], seq)
    alone = {3, 6}  # sequences 1 and 3 have one frame each
    assert all((partner[i] == i) == (i in alone) for i in range(len(seq)))


def test_relative_quaternion_is_the_rotation_between_the_frames():
    data = _sequences(1, 10, seed=0)
    first, second = torch.arange(9), torch.arange(1, 10)
    q = relative_quaternions(data.rotations, first, second)
    assert (q[:, 0] >= 0).all()
    moved = rotations.multiply(q, data.rotations[first])
    assert torch.allclose(rotations.canonical(moved), data.rotations[second], atol=1e-5)


def test_quaternion_read_out_finds_the_pose_and_not_noise():
    tr, te = _sequences(40, 25, seed=1), _sequences(10, 25, seed=2)
    exact = quaternion_r2(tr.rotations, tr, te.rotations, te, STEPS)  # features that are the pose itself
    assert exact["quat_r2_mlp"] > 0.8, exact
    g = torch.Generator().manual_seed(3)
    noise = quaternion_r2(torch.randn(len(tr), 16, generator=g), tr, torch.randn(len(te), 16, generator=g), te, STEPS)
    assert abs(noise["quat_r2_linear"]) < 0.1 and abs(noise["quat_r2_mlp"]) < 0.15, noise
    assert exact["quat_r2_mlp"] > noise["quat_r2_mlp"] + 0.7


def test_pooled_r2_is_variance_weighted():
    y = torch.tensor([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    assert pooled_r2(y, y) == 1.0
    means = y.mean(0).expand_as(y)
    assert abs(pooled_r2(means, y)) < 1e-12  # knowing each column's mean earns nothing


def test_controls_are_fixed_functions_of_the_pixels():
    x = torch.rand(5, 3, 32, 32)
    pooled = PooledPixels()(x)
    assert pooled.shape == (5, 3 * 8 * 8) and torch.allclose(pooled[:, 0], x[:, 0, :4, :4].mean((1, 2)))
    stats = ColourStatistics()(x)
    assert stats.shape == (5, 6 + 64)
    assert torch.allclose(stats[:, 6:].sum(1), torch.ones(5))  # a histogram
    red = torch.zeros(1, 3, 8, 8)
    red[:, 0] = 1.0
    assert ColourStatistics()(red)[0, 6 + 3 * 16] == 1.0  # every pixel in the (red=3, g=0, b=0) bin
