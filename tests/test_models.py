import pytest
import torch

from ciper.config import Config, ConfigError
from ciper.encoders import CifarResNet18, SmallCNN
from ciper.heads import PredictionHead
from ciper.model import CIPER


def test_cifar_resnet18_stem_and_latent():
    net = CifarResNet18(latent_dim=128)
    assert net.net.conv1.kernel_size == (3, 3) and net.net.conv1.stride == (1, 1)
    assert isinstance(net.net.maxpool, torch.nn.Identity)
    assert net(torch.rand(2, 3, 32, 32)).shape == (2, 128)
    assert isinstance(CifarResNet18(latent_dim=512).proj, torch.nn.Identity)


def test_width_multiplier_scales_channels():
    half = CifarResNet18(latent_dim=64, width=0.5)
    assert half.net.layer4[-1].conv2.out_channels == 256
    assert half(torch.rand(2, 3, 32, 32)).shape == (2, 64)
    assert SmallCNN(16, width=2.0).fc.in_features == 2 * SmallCNN(16).fc.in_features


def test_prediction_head_inputs():
    h1, h2 = torch.rand(4, 8), torch.rand(4, 8)
    diff, concat = PredictionHead(8, 16, 3, "diff"), PredictionHead(8, 16, 3, "concat")
    assert diff.mlp[0].in_features == 8 and concat.mlp[0].in_features == 16
    assert diff(h1, h2).shape == concat(h1, h2).shape == (4, 3)


def test_head_modes_build_only_the_heads_they_train():
    groups = {"view": ["a", "b"], "blur": ["c"]}
    assert CIPER(Config(head_mode="contrastive"), groups).predictor is None
    assert CIPER(Config(alpha=0.0), groups).predictor is None
    m = CIPER(Config(head_mode="predictive"), groups)
    assert m.projector is None and m.predictor is not None
    losses = m.losses(torch.rand(8, 3, 32, 32), torch.rand(4, 3))
    assert set(losses) == {"loss", "loss_pred"}
    both = CIPER(Config(), groups).losses(torch.rand(8, 3, 32, 32), torch.rand(4, 3))
    assert set(both) == {"loss", "loss_con", "loss_pred"}
    # the objective as written in model.py: loss = loss_con + alpha * loss_pred
    torch.manual_seed(0)
    m = CIPER(Config(alpha=0.25), groups)
    out = m.losses(torch.rand(8, 3, 32, 32), torch.rand(4, 3))
    assert torch.allclose(out["loss"], out["loss_con"] + 0.25 * out["loss_pred"])
    assert set(CIPER(Config(alpha=0.0), groups).losses(torch.rand(8, 3, 32, 32), torch.rand(4, 3))) == {
        "loss",
        "loss_con",
    }


def test_a_prediction_head_with_nothing_to_predict_is_refused():
    from ciper.imageset import ImageSet
    from ciper.model import build_model

    frames = ImageSet(
        images=torch.zeros(4, 3, 32, 32, dtype=torch.uint8),
        objects=torch.tensor([0, 0, 1, 1]),
        sequences=torch.tensor([0, 0, 1, 1]),
        frame_index=torch.tensor([0, 1, 0, 1]),
    )
    with pytest.raises(ConfigError, match="needs pose labels"):
        build_model(Config(pairs="time"), frames)  # no pose columns to predict
    with pytest.raises(ConfigError, match="has nothing to predict"):
        build_model(Config(pairs="time", time_pair_target="none"), frames)
    gap = build_model(Config(pairs="time", time_pair_target="frame_gap"), frames)
    assert gap.group_sizes == [1] and gap.predictor is not None
    assert build_model(Config(pairs="time", time_pair_target="none", head_mode="contrastive"), frames).predictor is None


def test_small_cnn_pools_only_maps_larger_than_4x4_and_the_skip_is_exact():
    import torch
    from torch import nn

    for size in (20, 28, 32, 64):
        net = SmallCNN(8, image_size=size)
        assert isinstance(net.features[4], nn.Identity) == (size in (28, 32))
        assert net(torch.rand(2, 3, size, size)).shape == (2, 8)
    torch.manual_seed(0)
    net = SmallCNN(8)
    pooled = nn.Sequential(*net.features[:4], nn.AdaptiveAvgPool2d(4), nn.Flatten())
    x = torch.rand(4, 3, 32, 32)
    a, b = net.features(x), pooled(x)
    assert torch.equal(a, b)  # averaging one-pixel windows is the identity, bit for bit
    (ga,) = torch.autograd.grad(a.square().sum(), net.features[0][0].weight)
    (gb,) = torch.autograd.grad(b.square().sum(), net.features[0][0].weight)
    assert torch.equal(ga, gb)
