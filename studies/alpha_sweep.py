"""Open question 1: how does alpha trade invariant against equivariant features?

Varied (scientific): alpha, from 0 (contrastive only) over three orders of magnitude.
Held fixed: everything else in the preset (built-in world, time + colour pairs,
    small CNN, latent 128 in the cpu preset, 6 epochs).
Measured: object_acc and knn_acc (invariant), session_acc, view_r2 and aug_r2
    (equivariant), per seed; the report shows mean and 95 % CI per alpha.
Seeds: 3. On the cpu preset they separate every alpha >= 0.1 from alpha = 0 in view_r2 and
    rot_r2 (paired CIs, docs/findings); object_acc moves by less than its CI except at
    alpha = 10. Neighbouring alphas are not separated: --seeds 5 tightens that.
"""

from ciper.study import Study
from studies import main

ALPHAS = [0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0]

STUDY = Study(
    name="alpha_sweep",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": ALPHAS},
    report="alpha",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
