"""On real photographs: does the prediction head buy equivariance, at what cost in invariance?

Varied (scientific): alpha, 0 (contrastive only) against 1 (the paper's L_con + L_pred).
Held fixed: the coil preset (COIL-100's photographs at 32x32; time pairs of poses within
    15 degrees, circular, plus colour jitter, greyscale and blur; four held-out blocks of 4
    poses an object, each 20-25 degrees from the nearest training pose; small CNN, latent
    128, 25 epochs). Give the
    photographs with --set data_dir=<folder of obj<K>__<A>.png>.
Measured: object_acc and knn_acc (invariant), pose_r2 (azimuth), azimuth_change_r2 (the
    turn between two held-out poses) and aug_r2 (equivariant), per seed; the report pairs
    alpha 1 with alpha 0 seed by seed.
Margins: the defaults, ±0.02 accuracy and ±0.03 R² (DEFAULT_MARGINS, ciper/study/spec.py).
Seeds: 5. The paired object_acc difference alpha 1 - 0 had an SD of 0.017 over 5 seeds
    (docs/datasets.md, commit b0934ff): seeds_for_power(0.017, 0.05) = 4 seeds find a change
    of 0.05 with 80 % power, but seeds_for_power(0.017, 0.02) = 8 are needed for one the size
    of the margin; azimuth_change_r2 (SD 0.073) needs 7 for a change of 0.1. Five seeds are
    what two slots run in about 20 minutes; at 5, a difference below about 0.03 in
    object_acc stays inconclusive, and nothing is claimed equivalent.
"""

from ciper.study import Study
from studies import main

STUDY = Study(
    name="coil_alpha",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [0.0, 1.0]},
    fixed={"dataset": "coil100"},
    seeds=5,
)

if __name__ == "__main__":
    main(STUDY)
