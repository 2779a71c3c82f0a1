"""Open question 2: does the order in which augmentations are applied matter?

Varied (scientific): the order of the augmentation ops -- every permutation in
    the `paper` preset, a seeded sample of 6 (the canonical order first) in
    `cpu` and 3 in `smoke`. Parameters are drawn in a fixed canonical order, so
    one seed gives every permutation the same parameters: only the order differs.
Held fixed: alpha = 1 and the rest of the preset; the ops are crop, jitter,
    grayscale and blur with synthetic pairs, so geometric and photometric ops interleave.
Measured: all metrics; the report ranks permutations and tests across them
    (Kruskal-Wallis) whether order matters beyond seed noise.
Seeds: 3.
"""

from ciper.study import Study, permutations_sample
from studies import main

OPS = ["crop", "jitter", "grayscale", "blur"]
SAMPLE = {"smoke": 3, "cpu": 6, "paper": None}  # None: all 24 permutations

STUDY = Study(
    name="aug_order",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"aug_order": permutations_sample(OPS, SAMPLE.get(preset, 6), seed=0)},
    fixed={"alpha": 1.0, "pairs": "synthetic"},
    report="order",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
