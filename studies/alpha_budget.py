"""Does CIPER's gain over contrastive-only hold at four times the training budget?

The alpha study's primary contrast (alpha = 1 against alpha = 0) trained for four times
the preset's epochs (48 on the cpu preset instead of 12), on world 0, beside the
no-learning controls; epochs.parquet holds the learning curves (loss per epoch).
Varied (scientific): alpha in {0, 1}; the budget is this study's own value of epochs.
Held fixed: the rest of the preset (48x48 frames, time + colour pairs, small CNN, latent 128).
Compared with: the alpha study's 12-epoch trials of the same seeds, for whether a finding
    holds at both budgets (the per-budget contrasts are each paired by seed).
Margins: ±0.02 accuracy, ±0.03 R², the alpha study's.
Seeds: 3, what one session's two cores allow (six trials of 6-18 min each, two at a time, on
    the 2-core CPUs this project has run on).
    With the paired SDs the alpha study measured (0.020 object_acc, 0.021 pose_r2),
    seeds_for_power(0.021, 0.07) = 3 seeds find a pose_r2 gain the size of the 12-epoch one
    (0.07) with 80 % power; an object_acc change of 0.02 (seeds_for_power(0.020, 0.02) = 10)
    and any equivalence verdict are out of this design's reach.
"""

from ciper.config import preset as preset_config
from ciper.study import Study
from studies import main

BUDGET = 4  # times the preset's epochs

STUDY = Study(
    name="alpha_budget",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [0.0, 1.0], "epochs": [BUDGET * preset_config(preset).epochs]},
    seeds=3,
    references=("untrained", "pixels", "colour"),
    margins={"acc": 0.02, "r2": 0.03},
)

if __name__ == "__main__":
    main(STUDY)
