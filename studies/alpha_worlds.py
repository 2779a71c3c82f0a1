"""Does CIPER's gain over contrastive-only hold across worlds? alpha 0 against 1 on three worlds.

The alpha study's primary contrast (alpha = 1 against alpha = 0) with world as a factor:
three draws of the built-in world's shapes and colours (world_seed 0, 1, 2), four
training seeds on each, so twelve (world, seed) blocks, each training both models.
Varied (scientific): alpha in {0, 1}; world_seed in {0, 1, 2} (the nuisance factor the
    finding must survive).
Held fixed: the cpu preset (48x48 frames, time + colour pairs, small CNN, latent 128,
    12 epochs).
Measured: every metric; the no-learning controls (pixels, colour, untrained) run per
    world and seed beside the trained models (the supervised references are in the alpha
    study; their cost here would be a third of the run).
Analysis (analysis/alpha.py): paired by (world, seed); the primary contrasts are alpha 1
    against 0 on object_acc, pose_r2 and rot_r2, Holm within them, each tested with a
    mixed model of the paired differences with a random intercept per world (so a gain
    that one world alone carries does not pass as general), beside the per-world means.
Margins: ±0.02 accuracy, ±0.03 R², the alpha study's (its docstring says why).
Seeds: 4 per world, 12 blocks. The alpha study at 48x48 measured paired SDs (alpha 1 - 0,
    world 0, 3 seeds) of 0.020 (object_acc), 0.021 (pose_r2) and 0.026 (rot_r2):
    seeds_for_power(0.020, 0.02) = 10 blocks find an effect the size of the accuracy margin
    with 80 % power at 0.05 (14 at Holm's first step, 0.05 / 3), seeds_for_power(0.021, 0.03)
    = 7 and seeds_for_power(0.026, 0.03) = 9 for the R² margins (9 and 11 at 0.05 / 3). Twelve
    blocks cover the R² contrasts at Holm's level and object_acc at 0.05; 24 trained trials
    are about an hour on 2 cores.
"""

from ciper.study import Study
from studies import main

STUDY = Study(
    name="alpha_worlds",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [0.0, 1.0], "world_seed": [0, 1, 2]},
    seeds=4,
    references=("untrained", "pixels", "colour"),
    margins={"acc": 0.02, "r2": 0.03},
)

if __name__ == "__main__":
    main(STUDY)
