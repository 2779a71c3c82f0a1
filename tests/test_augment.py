"""Each batched op against torchvision.transforms.v2.functional, image by image.

Tolerance 1e-5: both sides compute in float32 and differ only in the order of
floating-point operations (about 1e-7 per op here); one uint8 grey level is
1/255 = 3.9e-3, so 1e-5 is 400x finer than any stored image can resolve,
while a wrong parameter (a pixel off, a flipped sign) moves values by >1e-2.
Rotation is the exception that grows with the image: its sampling grid's float32
coordinates lose precision in proportion to the size (about 2e-5 at 96-128 px).
"""

import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from ciper.augment import ColorJitter, Crop, Flip, GaussianBlur, Grayscale, Pipeline, Rotation
from ciper.config import JITTER_OPS, Config
from ciper.flatworld import generate_world

TOL = 1e-5
ROTATION_TOL = 1e-5  # at 32 px; it scales with the image size (see the rotation test below)


@pytest.fixture(scope="module")
def batch():
    return generate_world(objects=3, sessions=2, frames=10, seed=1).images[:24].float() / 255


def _pick(p, i):
    return {k: (v[i] if torch.is_tensor(v) else v) for k, v in p.items() if k != "chosen"}


def _jitter(im, p):
    if not p["applied"]:
        return im
    im = TF.adjust_brightness(im, float(p["brightness"]))
    im = TF.adjust_contrast(im, float(p["contrast"]))
    im = TF.adjust_saturation(im, float(p["saturation"]))
    return TF.adjust_hue(im, float(p["hue"]))


REFERENCES = {
    "crop": (
        Crop(min_scale=0.08),
        lambda im, p: TF.resized_crop(
            im, int(p["top"]), int(p["left"]), int(p["height"]), int(p["width"]), list(im.shape[-2:])
        ),
    ),
    "flip": (Flip(p=0.5), lambda im, p: TF.horizontal_flip(im) if p["applied"] else im),
    "jitter": (ColorJitter(p=0.8, brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2), _jitter),
    "grayscale": (Grayscale(p=0.5), lambda im, p: TF.rgb_to_grayscale(im, 3) if p["applied"] else im),
    "blur": (
        GaussianBlur(p=0.7, sigma_max=2.0, kernel_size=5),
        lambda im, p: TF.gaussian_blur(im, [5, 5], [float(p["sigma"])] * 2) if p["applied"] else im,
    ),
    "rotation": (
        Rotation(p=0.7, degrees=170),
        lambda im, p: (
            TF.rotate(im, float(p["angle"]), interpolation=TF.InterpolationMode.BILINEAR) if p["applied"] else im
        ),
    ),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_batched_op_matches_torchvision_per_sample(batch, name):
    op, reference = REFERENCES[name]
    g = torch.Generator().manual_seed(7)
    p = op.sample(len(batch), g, *batch.shape[-2:])
    out = op.apply(batch.clone(), p)
    for i in range(len(batch)):
        expected = reference(batch[i], _pick(p, i))
        assert torch.allclose(out[i], expected, atol=TOL), f"{name} sample {i}"
    # the op did something to some sample, so the comparison was not trivially identical
    assert (out - batch).abs().amax() > 1e-2
    # samples the op was not applied to come back bit for bit
    if "applied" in p:
        skipped = p["applied"] == 0
        assert skipped.any() and torch.equal(out[skipped], batch[skipped])


def test_parameters_are_independent_per_sample_and_reproducible(batch):
    pipe = Pipeline.from_config(Config(aug_order=["crop", "flip", "jitter", "grayscale", "blur", "rotation"]))
    v1, p1 = pipe(batch, torch.Generator().manual_seed(3))
    v2, p2 = pipe(batch, torch.Generator().manual_seed(3))
    v3, p3 = pipe(batch, torch.Generator().manual_seed(4))
    assert torch.equal(v1, v2) and torch.equal(p1, p2)
    assert not torch.equal(p1, p3)
    assert torch.equal(batch, generate_world(objects=3, sessions=2, frames=10, seed=1).images[:24].float() / 255)
    assert p1.shape == (len(batch), len(pipe.schema))
    assert len(torch.unique(p1[:, pipe.schema.index("crop_x")])) > len(batch) // 2


def test_schema_depends_on_the_set_of_ops_not_their_order(batch):
    a = Pipeline.from_config(Config(aug_order=["blur", "jitter", "crop"]))
    b = Pipeline.from_config(Config(aug_order=["crop", "blur", "jitter"]))
    assert a.schema == b.schema
    # same seed: the same parameters, whatever the order; the images differ
    va, pa = a(batch, torch.Generator().manual_seed(0))
    vb, pb = b(batch, torch.Generator().manual_seed(0))
    assert torch.equal(pa, pb)
    assert not torch.allclose(va, vb)


def test_identity_parameters_encode_to_zero():
    cfg = Config(
        aug_order=["flip", "jitter", "grayscale", "blur", "rotation"],
        flip_p=0,
        jitter_p=0,
        grayscale_p=0,
        blur_p=0,
        rotation_p=0,
    )
    pipe = Pipeline.from_config(cfg)
    x = torch.rand(8, 3, 16, 16)
    out, params = pipe(x, torch.Generator().manual_seed(0))
    assert torch.equal(out, x)
    assert torch.count_nonzero(params) == 0


def test_applied_bits_follow_probabilities():
    pipe = Pipeline.from_config(Config(aug_order=["grayscale"], grayscale_p=0.3))
    _, params = pipe(torch.rand(4000, 3, 8, 8), torch.Generator().manual_seed(0))
    assert abs(params[:, 0].mean().item() - 0.3) < 0.03


@pytest.mark.parametrize("size", [32, 96, 128])
def test_rotation_matches_torchvision_at_larger_sizes(batch, size):
    """Rotation samples a grid whose float32 coordinates grow with the image: its difference
    from torchvision grows with the size too (2e-5 at 96-128 px, 0.005 of a grey level)."""
    x = torch.nn.functional.interpolate(batch[:8], size=(size, size), mode="bilinear", align_corners=False)
    op, reference = REFERENCES["rotation"]
    p = op.sample(len(x), torch.Generator().manual_seed(3), size, size)
    out = op.apply(x.clone(), p)
    worst = max((out[i] - reference(x[i], _pick(p, i))).abs().max().item() for i in range(len(x)))
    assert worst < ROTATION_TOL * size / 32


_JITTER_FNS = {
    "brightness": TF.adjust_brightness,
    "contrast": TF.adjust_contrast,
    "saturation": TF.adjust_saturation,
    "hue": TF.adjust_hue,
}


@pytest.mark.parametrize(
    "order, random_order", [(("hue", "saturation", "contrast", "brightness"), False), (JITTER_OPS, True)]
)
def test_jitter_sub_op_orders_match_torchvision(batch, order, random_order):
    """A fixed order of jitter's sub-ops, and a new order per sample, against torchvision
    applying the sub-ops one by one in that sample's order."""
    op = ColorJitter(
        p=0.8, brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2, order=order, random_order=random_order
    )
    p = op.sample(len(batch), torch.Generator().manual_seed(5), *batch.shape[-2:])
    out = op.apply(batch.clone(), p)
    for i in range(len(batch)):
        q = _pick(p, i)
        expected = batch[i]
        if q["applied"]:
            sequence = [JITTER_OPS[int(k)] for k in q["permutation"]] if random_order else order
            for name in sequence:
                expected = _JITTER_FNS[name](expected, float(q[name]))
        assert torch.allclose(out[i], expected, atol=TOL), f"sample {i}"
    if random_order:  # orders differ between samples
        assert len({tuple(s.tolist()) for s in p["permutation"]}) > 3


def test_random_jitter_order_is_recorded_and_in_the_prediction_target():
    from ciper.config import preset
    from ciper.data import split_of
    from ciper.datasets import load_dataset
    from ciper.model import CIPER, target_groups
    from ciper.train import make_pair_batch, time_pair_change

    cfg = preset("smoke", aug_order=["jitter", "grayscale"], jitter_random_order=True, jitter_p=1.0)
    pipe = Pipeline.from_config(cfg)
    positions = [f"jitter_position_{op}" for op in JITTER_OPS]
    assert positions == [c for c in pipe.schema if c.startswith("jitter_position_")]
    raw = pipe.sample(64, torch.Generator().manual_seed(0), 32, 32)
    sequence = raw["jitter"]["permutation"]
    assert torch.equal(sequence.sort(1).values, torch.arange(4).expand(64, 4))  # each row a permutation
    encoded = pipe.encode(raw)[:, [pipe.schema.index(c) for c in positions]]
    assert torch.equal(encoded.argsort(1), sequence)  # the positions give the order back
    # the prediction head regresses the change of order between the two views
    train_set, _, _ = split_of(load_dataset(cfg), cfg)
    groups = target_groups(cfg, train_set)
    assert set(positions) <= set(groups["jitter"])
    idx = torch.arange(32)
    x, r = make_pair_batch(
        train_set.images, time_pair_change(cfg, train_set), idx, idx.flip(0), pipe, torch.Generator().manual_seed(1)
    )
    columns = [c for cols in groups.values() for c in cols]
    assert r.shape == (32, len(columns))
    assert r[:, [columns.index(c) for c in positions]].abs().sum() > 0
    model = CIPER(cfg, groups)
    assert model.predictor(torch.randn(2, cfg.latent_dim), torch.randn(2, cfg.latent_dim)).shape == (2, len(columns))
    # the default (no random order) has no position columns and draws the same parameters as before
    fixed = Pipeline.from_config(cfg.replace(jitter_random_order=False))
    assert not any(c.startswith("jitter_position_") for c in fixed.schema)


def test_commutativity_measure(batch):
    from ciper.commutativity import noncommutativity

    cfg = Config(aug_order=["crop", "flip", "grayscale"], flip_p=0.5, grayscale_p=0.5, jitter_strength=1.0)
    rows = {r["pair"]: r for r in noncommutativity(cfg, (batch * 255).round().to(torch.uint8))}
    assert rows["flip / grayscale"]["as_configured"] == 0 and rows["flip / grayscale"]["both_applied"] == 0
    assert rows["jitter.brightness / jitter.contrast"]["both_applied"] > 1e-4  # clamping breaks commutation
    assert rows["crop / flip"]["both_applied"] > 1e-3  # an off-centre crop, mirrored or not
    # with probabilities, fewer samples get both ops: less difference than with both always applied
    assert rows["crop / flip"]["as_configured"] < rows["crop / flip"]["both_applied"]
