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
Seeds: 5.
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
