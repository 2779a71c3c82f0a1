"""Which settings are best for a chosen objective? An Optuna search with ASHA early stopping.

Searched: alpha (log, 0.01..10), temperature (0.05..1), lr (log, 1e-4..1e-2),
    latent_dim (16..256, powers of two).
Held fixed: the rest of the preset.
Objective (--objective): object_acc, pose_r2, or balanced = 0.5 object_acc + 0.5 pose_r2.
The Optuna study is stored next to the results (optuna.db), so Optuna's
importance and history plots read it; ASHA stops weak trials after an epoch.
"""

from ciper.study import Study
from studies import main


def space(preset):
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    return {
        "alpha": FloatDistribution(0.01, 10.0, log=True),
        "temperature": FloatDistribution(0.05, 1.0),
        "lr": FloatDistribution(1e-4, 1e-2, log=True),
        "latent_dim": CategoricalDistribution([16, 32, 64, 128, 256]),
    }


STUDY = Study(
    name="search",
    question=__doc__.splitlines()[0],
    space=space,
    objectives={
        "object_acc": {"object_acc": 1.0},
        "pose_r2": {"pose_r2": 1.0},
        "balanced": {"object_acc": 0.5, "pose_r2": 0.5},
    },
    seeds=1,
)

if __name__ == "__main__":
    main(STUDY)
