"""Backbones: image -> representation h (the features downstream tasks read).

The small CNN keeps its last 4x4 feature map and flattens it into h instead of
average-pooling it away: a pooled encoder cannot linearly expose where things
are or how they are turned, which is exactly the equivariant information CIPER
is meant to keep.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ciper.choices import ENCODERS


def _conv(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallCNN(nn.Module):
    """Four 3x3 conv blocks down to a 4x4 map, flattened, then linear to latent_dim.

    Images of 32x32 (and 25-32) reach 4x4 after the three stride-2 blocks, so the pool
    would average one-pixel windows (the identity, at a forward and a backward pass's
    cost); it pools only the larger maps of larger images."""

    def __init__(self, latent_dim: int = 128, width: float = 1.0, image_size: int = 32):
        super().__init__()
        c = [max(4, round(k * width)) for k in (16, 32, 64, 64)]
        side = image_size
        for _ in range(3):  # 3x3, stride 2, padding 1
            side = (side + 1) // 2
        self.features = nn.Sequential(
            _conv(3, c[0], 1),
            _conv(c[0], c[1], 2),
            _conv(c[1], c[2], 2),
            _conv(c[2], c[3], 2),
            nn.Identity() if side == 4 else nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
        )
        self.fc = nn.Linear(c[3] * 16, latent_dim)
        self.latent_dim = latent_dim

    def forward(self, x):
        return self.fc(self.features(x))


class CifarResNet18(nn.Module):
    """torchvision's resnet18 with a 3x3 stride-1 stem and no max-pool (32x32 inputs),
    channel widths scaled by `width`, and a linear map to latent_dim (identity at 512)."""

    def __init__(self, latent_dim: int = 512, width: float = 1.0):
        from torchvision.models import resnet18  # here, not at the top: importing torchvision costs every process ~2 s

        super().__init__()
        net = resnet18(num_classes=1)
        if width != 1.0:
            net = _widen(width)
        stem = net.conv1.out_channels
        net.conv1 = nn.Conv2d(3, stem, 3, 1, 1, bias=False)
        net.maxpool = nn.Identity()
        out = net.fc.in_features
        net.fc = nn.Identity()
        self.net = net
        self.proj = nn.Identity() if latent_dim == out else nn.Linear(out, latent_dim)
        self.latent_dim = latent_dim

    def forward(self, x):
        return self.proj(self.net(x))


def _widen(width: float):
    """A resnet18 whose every stage has round(width * channels) channels."""
    from torchvision.models.resnet import BasicBlock, ResNet

    class WideResNet(ResNet):
        def __init__(self):
            self.inplanes = round(64 * width)
            nn.Module.__init__(self)
            self._norm_layer = nn.BatchNorm2d
            self.dilation, self.groups, self.base_width = 1, 1, 64
            planes = [round(k * width) for k in (64, 128, 256, 512)]
            self.conv1 = nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(self.inplanes)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.layer1 = self._make_layer(BasicBlock, planes[0], 2)
            self.layer2 = self._make_layer(BasicBlock, planes[1], 2, stride=2)
            self.layer3 = self._make_layer(BasicBlock, planes[2], 2, stride=2)
            self.layer4 = self._make_layer(BasicBlock, planes[3], 2, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(planes[3], 1)

    return WideResNet()


# config name -> builder(latent_dim, width, image_size), for every name in choices.ENCODERS
BUILDERS: dict[str, Callable[[int, float, int], nn.Module]] = {
    "small_cnn": lambda latent_dim, width, image_size: SmallCNN(latent_dim, width, image_size),
    "resnet18": lambda latent_dim, width, image_size: CifarResNet18(latent_dim, width),
}
if set(BUILDERS) != set(ENCODERS):
    raise ImportError(
        f"encoders {', '.join(sorted(set(BUILDERS) ^ set(ENCODERS)))} are in one of choices.ENCODERS and "
        f"encoders.BUILDERS only; name each in both"
    )


def build_encoder(name: str, latent_dim: int, width: float = 1.0, image_size: int = 32) -> nn.Module:
    if name not in BUILDERS:
        raise ValueError(f"unknown encoder '{name}'; choose one of {', '.join(ENCODERS)}")
    return BUILDERS[name](latent_dim, width, image_size)
