"""Each list of names is defined once (ciper/choices.py), and every registry that builds what
a name names agrees with it: an op, encoder or dataset named in one place and missing in
another fails here."""

import dataclasses

import pytest
import torch

from ciper import augment, choices, datasets, encoders
from ciper.config import Config, ConfigError, choices_help


@pytest.mark.parametrize(
    "names, registry",
    [
        (choices.AUGMENTATIONS, augment.OPS),
        (choices.ENCODERS, encoders.BUILDERS),
        (choices.DATASETS, datasets.REGISTRY),
    ],
    ids=["augmentations", "encoders", "datasets"],
)
def test_every_name_has_a_builder_and_every_builder_a_name(names, registry):
    assert set(registry) == set(names)
    assert len(set(names)) == len(names)


def test_config_validates_against_the_lists():
    allowed = {f.name: f.metadata.get("choices") for f in dataclasses.fields(Config)}
    assert allowed["dataset"] is choices.DATASETS and allowed["encoder"] is choices.ENCODERS
    for name in choices.ENCODERS:
        assert Config(encoder=name).problems() == []
    for name in choices.AUGMENTATIONS:
        assert Config(aug_order=[name]).problems() == []
    with pytest.raises(ConfigError, match="unknown augmentation 'solarize' in aug_order; allowed: crop, flip"):
        Config(aug_order=["solarize"]).validated()


def test_dataset_kinds_name_datasets():
    for kind in (choices.BUILT_IN, choices.TURNTABLES, choices.NO_SEQUENCES):
        assert set(kind) <= set(choices.DATASETS)


def test_the_command_line_help_lists_every_name():
    text = choices_help()
    for name in (*choices.AUGMENTATIONS, *choices.ENCODERS, *choices.DATASETS, *choices.JITTER_OPS):
        assert name in text


def test_every_op_builds_from_a_config_and_fills_its_columns():
    cfg = Config(image_size=16, aug_order=list(choices.AUGMENTATIONS))
    ops = augment.make_ops(cfg)
    assert list(ops) == list(choices.AUGMENTATIONS)
    x = torch.rand(4, 3, 16, 16)
    for name, op in ops.items():
        y, params = augment.Pipeline([name], ops)(x, torch.Generator().manual_seed(0))
        assert y.shape == x.shape and params.shape == (4, len(op.columns)), name
        assert isinstance(op.photometric, bool)


def test_every_encoder_builds_and_maps_images_to_latent_dim():
    for name in choices.ENCODERS:
        net = encoders.build_encoder(name, latent_dim=8, width=0.25, image_size=16).eval()
        assert net(torch.rand(2, 3, 16, 16)).shape == (2, 8), name
    with pytest.raises(ValueError, match="unknown encoder 'vit'; choose one of small_cnn, resnet18"):
        encoders.build_encoder("vit", 8)
