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
    against 0 on object_acc, pose_r2 and rot_r2, Holm within them, each tested with world a
    random factor: the t-test on the three world means of the paired differences (2 df), so
    that a gain one world alone carries does not pass as general. Beside it, not adjusted:
    the contrast world by world, and over these three worlds only (world a fixed block, 9 df).
Margins: ±0.02 accuracy, ±0.03 R², the alpha study's (its docstring says why).
Seeds: 4 per world, 12 blocks; three worlds are what one session's two cores allow (24
    trained trials, about an hour). The alpha study at 48x48 measured paired SDs (alpha 1 - 0,
    world 0, 3 seeds) of 0.020 (object_acc), 0.021 (pose_r2) and 0.026 (rot_r2): a paired t
    over blocks would need seeds_for_power(0.020, 0.02) = 10, seeds_for_power(0.021, 0.03) = 7
    and seeds_for_power(0.026, 0.03) = 9 blocks for 80 % power at 0.05 against effects the size
    of the margins. That is the power of the statement about these three worlds. The statement
    about worlds in general rests on 3 world means and 2 df: its power against effects that
    small is far lower, whatever the seeds, and it takes more worlds, not more seeds, to raise
    it; the seed SDs above come from one world and say nothing of the world-to-world spread,
    which this study measures.
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
