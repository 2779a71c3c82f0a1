"""What does each head contribute, and does the prediction head's input matter?

Varied (scientific): the variant -- contrastive only, predictive only, both --
    and, for the heads that predict, the prediction-head input (h2 - h1 as in
    the paper, or [h1, h2] as in AugSelf and the authors' later code).
Held fixed: alpha = 1 where the prediction head is used; the rest of the preset.
Measured: all metrics; the report pairs every variant with contrastive-only by seed.
Seeds: 3: the head variants differ by several points, well outside 3-seed CIs.
"""

from ciper.study import Study
from studies import main

VARIANTS = ["contrastive", "predictive", "both"]

STUDY = Study(
    name="head_ablation",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"head_mode": VARIANTS, "head_input": ["diff", "concat"]},
    fixed={"alpha": 1.0},
    report="ablation",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
