"""Open question 3: how does the latent dimension matter, with and without the prediction head?

Varied (scientific): latent_dim over powers of two (16, 64 and 256 in cpu; 16..1024 in
    paper; 16..64 in smoke), crossed with alpha in {0, 1} so the interaction shows.
Held fixed: the rest of the preset.
Measured: all metrics against log2(latent_dim), one line per alpha, and the untrained
    encoder's line from the study's reference trials (one per seed and dimension): a
    linear probe gains from more random features too. Primary contrasts
    (analysis/latent.py, Holm within them): each trained model's slope per doubling
    minus the untrained encoder's, on object_acc, pose_r2 and rot_r2; the slopes
    themselves, alpha 1 against alpha 0 and the gains at the smallest and the largest
    dimension are secondary. Each seed gives its own slope and slopes compare paired by seed
    (n = seeds, df = seeds - 1). Disclosed: the declared analysis was one OLS fit with an
    intercept per seed (residuals pooled over trials, 26 df at 7 seeds); after the first
    results a review found that it treats trials, not seeds, as the replicates, and the
    analysis became per-seed slopes (stricter for the primaries). The curvature at the middle
    width, an exploratory family, was added then too: several metrics bend.
Margins: ±0.02 accuracy, ±0.03 R², per doubling for the slopes (over the cpu grid's four
    doublings a slope difference within them moves a metric by at most 0.08 or 0.12).
Widths: a slope's precision comes from the spread of log2 dimension, so the cpu grid takes
    every second doubling over the same range: 16, 64, 256 (log2 4, 6, 8; sum of squares 8)
    give the slope an SD sqrt(10 / 8) = 1.12 times that of all five widths, at 3 / 5 of the
    trials; curvature still shows at 64.
Seeds: 7, from an assumption (docs/findings reports no slope CIs): a residual SD of 0.03
    per trial around a seed's line (about the seed SD of object_acc in one condition)
    gives each seed's slope difference over log2 dimensions 4, 6, 8 an SD of
    0.03 * sqrt(2 / 8) = 0.015, and seeds_for_power(0.015, 0.02) = 7 finds a slope
    difference of 0.02 per doubling with 80 % power (seeds_for_equivalence(0.015, 0.02) = 7
    shows one within it). Each seed runs 6 trials and 9 references and controls.
References: the untrained encoder and the no-learning controls, at every dimension. The
    supervised encoders are left out: trained at every width they would double the study's
    cost, and no contrast reads them (the alpha study gives them at the preset's width).
"""

from ciper.study import Study
from studies import main

DIMS = {"smoke": [16, 32, 64], "cpu": [16, 64, 256], "paper": [16, 32, 64, 128, 256, 512, 1024]}

STUDY = Study(
    name="latent_dim",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"latent_dim": DIMS.get(preset, DIMS["cpu"]), "alpha": [0.0, 1.0]},
    seeds=7,
    references=("untrained", "pixels", "colour"),
    margins={"acc": 0.02, "r2": 0.03},
)

if __name__ == "__main__":
    main(STUDY)
