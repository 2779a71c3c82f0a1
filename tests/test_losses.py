import math

import torch

from ciper.losses import ciper_loss, info_nce, prediction_loss, standardise


def brute_force_nt_xent(z1, z2, t):
    """SimCLR's loss written out pair by pair, in float64."""
    z = torch.cat([z1, z2]).double()
    z = z / z.norm(dim=1, keepdim=True)
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        num = math.exp(float(z[i] @ z[j]) / t)
        den = sum(math.exp(float(z[i] @ z[k]) / t) for k in range(2 * n) if k != i)
        total += -math.log(num / den)
    return total / (2 * n)


def test_info_nce_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    for t in (0.1, 0.5):
        z1, z2 = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
        assert abs(info_nce(z1, z2, t).item() - brute_force_nt_xent(z1, z2, t)) < 1e-4


def test_info_nce_rewards_matching_pairs():
    z = torch.randn(16, 8)
    assert info_nce(z, z + 0.01 * torch.randn(16, 8), 0.2) < info_nce(z, torch.randn(16, 8), 0.2)


def test_prediction_loss_weighs_groups_equally():
    r = torch.randn(64, 3)
    perfect = standardise(r)
    assert prediction_loss(perfect, r, [1, 2]).item() < 1e-10
    wrong = perfect.clone()
    wrong[:, 0] += 1.0  # a one-column group off by 1 costs 1
    assert abs(prediction_loss(wrong, r, [1, 2]).item() - 1.0) < 1e-5
    wrong = perfect.clone()
    wrong[:, 1:] += 1.0  # a two-column group off by 1 costs 1 as well
    assert abs(prediction_loss(wrong, r, [1, 2]).item() - 1.0) < 1e-5


def test_standardise_leaves_constant_columns_at_zero():
    r = torch.cat([torch.randn(32, 1), torch.ones(32, 1)], 1)
    s = standardise(r)
    assert abs(s[:, 0].std(unbiased=False).item() - 1) < 1e-4 and torch.all(s[:, 1] == 0)


def test_ciper_loss_modes():
    a, b = torch.tensor(2.0), torch.tensor(3.0)
    assert ciper_loss(a, b, 0.5).item() == 3.5
    assert ciper_loss(a, None, 0.5).item() == 2.0
    assert ciper_loss(None, b, 0.5).item() == 1.5
