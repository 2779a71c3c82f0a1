import math

import torch

from ciper.losses import info_nce, prediction_loss, standardise


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
    wrong[:, 0] += 1.0  # a one-column group off by 1 costs 1, averaged over the two groups
    assert abs(prediction_loss(wrong, r, [1, 2]).item() - 0.5) < 1e-5
    wrong = perfect.clone()
    wrong[:, 1:] += 1.0  # a two-column group off by 1 costs the same
    assert abs(prediction_loss(wrong, r, [1, 2]).item() - 0.5) < 1e-5


def test_prediction_loss_at_initialisation_does_not_grow_with_the_number_of_ops():
    """alpha must mean the same for every op set: an untrained head's loss stays about 1
    whether it predicts two groups or seven (summing the groups made it 2 or 7)."""
    from ciper.config import Config
    from ciper.model import build_model
    from ciper.world import generate_world

    data = generate_world(objects=2, sessions=2, frames=8, seed=0)
    torch.manual_seed(0)
    losses = {}
    for ops in (["blur"], ["jitter", "grayscale", "blur"], ["crop", "flip", "jitter", "grayscale", "blur", "rotation"]):
        cfg = Config(aug_order=ops, pairs="synthetic", head_hidden=32, latent_dim=16, proj_dim=16)
        model = build_model(cfg, data)
        groups = len(model.group_sizes)
        r = torch.randn(64, sum(model.group_sizes))
        pred = model.predictor(torch.randn(64, 16), torch.randn(64, 16)).detach()
        losses[groups] = prediction_loss(pred, r, model.group_sizes).item()
    assert sorted(losses) == [1, 3, 6]
    assert max(losses.values()) < 1.6 * min(losses.values()), losses


def test_standardise_leaves_constant_columns_at_zero():
    r = torch.cat([torch.randn(32, 1), torch.ones(32, 1)], 1)
    s = standardise(r)
    assert abs(s[:, 0].std(unbiased=False).item() - 1) < 1e-4 and torch.all(s[:, 1] == 0)
