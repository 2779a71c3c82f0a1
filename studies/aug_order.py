"""Open question 2: does the order in which augmentations are applied matter?

Varied (scientific), as conditions:
  - the order of the ops crop, jitter, grayscale and blur: every permutation in
    the `paper` preset, a seeded sample of 6 (the canonical order first) in
    `cpu` and 3 in `smoke`;
  - the order of colour jitter's four sub-ops (brightness, contrast, saturation,
    hue), ops in canonical order: a seeded sample of 3 orders besides the
    default (2 in `smoke`);
  - a new jitter order per sample (as torchvision's ColorJitter draws it): the
    order is recorded and becomes part of the target the prediction head
    regresses (as EquiMod does).
  Parameters are drawn in a fixed canonical order, so one seed gives every
  order the same parameters: only the order differs.
Held fixed: alpha = 1, synthetic pairs, the rest of the preset.
Measured: all metrics; the report tests across op orders and across jitter
    orders (Kruskal-Wallis) whether order matters beyond seed noise, and prints
    how far each pair of ops fails to commute on this data (a null result is
    expected where ops nearly commute).
Seeds: 3. The measured non-commutativity (report) predicts effects far below seed
    noise for most pairs; more seeds would not change that verdict, only tighten it.
"""

from ciper.config import JITTER_OPS
from ciper.study import Study, permutations_sample
from studies import main

OPS = ["crop", "jitter", "grayscale", "blur"]
OP_ORDERS = {"smoke": 3, "cpu": 6, "paper": None}  # None: all 24 permutations
JITTER_ORDERS = {"smoke": 3, "cpu": 4, "paper": 6}  # including the default order


def conditions(preset: str) -> dict[str, dict]:
    out = {}
    for order in permutations_sample(OPS, OP_ORDERS.get(preset, 6), seed=0):
        out[f"ops {'>'.join(order)}"] = {"aug_order": order}
    for order in permutations_sample(list(JITTER_OPS), JITTER_ORDERS.get(preset, 4), seed=0)[1:]:
        out[f"jitter {'>'.join(order)}"] = {"aug_order": OPS, "jitter_order": order}
    out["jitter order per sample"] = {"aug_order": OPS, "jitter_random_order": True}
    return out


STUDY = Study(
    name="aug_order",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [1.0]},
    conditions=conditions,
    fixed={"pairs": "synthetic"},
    report="order",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
