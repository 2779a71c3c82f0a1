"""What does each head contribute, and does the prediction head's input matter?

Varied (scientific): the variant -- contrastive only, predictive only, both --
    and, for the heads that predict, the prediction-head input (h2 - h1 as in
    the paper, or [h1, h2] as in AugSelf and the authors' later code).
Held fixed: alpha = 1 where the prediction head is used; the rest of the preset.
Measured: all metrics; the report pairs every variant with contrastive-only by seed.
    Primary contrasts (analysis/ablation.py, Holm within them): predictive-only and both
    heads against contrastive-only, input h2 - h1, on object_acc, pose_r2 and rot_r2;
    the [h1, h2] variants and the input itself are secondary (Benjamini-Hochberg).
Margins: ±0.02 accuracy, ±0.03 R² (as the alpha study, whose alpha = 0 and 1 trials
    are this study's contrastive / diff and both / diff).
Seeds: 10. SDs of the paired differences over 3 seeds (docs/findings at 0ff7bb8):
    object_acc 0.024, pose_r2 0.017. The predictive-only cost in object_acc (-0.10 there)
    needs seeds_for_power(0.024, 0.05) = 5 even at half its size, and the pose_r2 gain
    seeds_for_power(0.017, 0.03) = 5; an object_acc effect the size of the margin would
    need seeds_for_power(0.024, 0.02) = 14, so at 10 one that small can stay inconclusive.
    The head input ([h1, h2] against h2 - h1: pose_r2 -0.018, SD 0.010) needs
    seeds_for_power(0.010, 0.018) = 5 to be found if it is real, and
    seeds_for_equivalence(0.010, 0.03, true_diff=-0.018) = 6 to be called equivalent.
"""

from ciper.study import Study
from studies import main

VARIANTS = ["contrastive", "predictive", "both"]

STUDY = Study(
    name="head_ablation",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"head_mode": VARIANTS, "head_input": ["diff", "concat"]},
    fixed={"alpha": 1.0},
    seeds=10,
    margins={"acc": 0.02, "r2": 0.03},
)

if __name__ == "__main__":
    main(STUDY)
