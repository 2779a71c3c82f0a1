"""The budget comparison (analysis/budget.py) and the findings' handling of a study's own keys: no Ray."""

import pandas as pd
import pytest
from scipy import stats

from analysis.budget import budget_lines, plot_curves, same_but_epochs
from analysis.findings import without_sets


def _trials(epochs: int, gains: list[float], world_seed: int = 0, lr: float = 1e-3) -> pd.DataFrame:
    rows = []
    for seed, gain in enumerate(gains):
        for alpha in (0.0, 1.0):
            rows.append(
                {
                    "trial_id": f"e{epochs}w{world_seed}s{seed}a{alpha:g}",
                    "epochs": epochs,
                    "world_seed": world_seed,
                    "lr": lr,
                    "seed": seed,
                    "alpha": alpha,
                    "object_acc": 0.6 + 0.01 * seed + gain * alpha,
                    "pose_r2": 0.3 + 0.05 * alpha,
                    "rot_r2": 0.1,
                }
            )
    return pd.DataFrame(rows)


def test_the_short_budget_trials_are_those_that_differ_in_epochs_only():
    long = _trials(48, [0.04, 0.05, 0.06])
    short = pd.concat(
        [_trials(12, [0.01, 0.02, 0.03, 0.0]), _trials(12, [0.5] * 3, world_seed=1), _trials(12, [0.5] * 3, lr=0.1)]
    )
    matched = same_but_epochs(long, short)
    assert len(matched) == 6 and set(matched.seed) == {0, 1, 2} and set(matched.world_seed) == {0}
    assert set(matched.lr) == {1e-3}


def test_each_contrast_is_paired_within_its_study_and_the_change_is_welchs():
    long, short = _trials(48, [0.04, 0.05, 0.06]), _trials(12, [0.03, 0.01, 0.02])
    lines = budget_lines(long, short)
    (acc,) = [line for line in lines if line.startswith("- object_acc")]
    assert "at 4x the budget" in lines[0] and "the change unpaired" in lines[0]
    assert "contrast at 12 epochs +0.020 [-0.005, +0.045] (n=3)" in acc and "at 48 +0.050 [+0.025, +0.075] (n=3)" in acc
    # unpaired: the seeds' order across the two studies does not matter (paired by seed it would)
    welch = stats.ttest_ind([0.04, 0.05, 0.06], [0.03, 0.01, 0.02], equal_var=False)
    low, high = welch.confidence_interval()
    assert f"change with the budget +0.030 [{low:+.3f}, {high:+.3f}] (Welch, {welch.df:.1f} df" in acc
    assert "alpha = 0 0.610 at 12 epochs, 0.610 at 48" in acc
    assert budget_lines(long, _trials(12, [0.0] * 3, world_seed=5))[0].startswith("No trials of the alpha study")


def test_the_learning_curves_are_drawn_from_both_budgets(tmp_path):
    epochs = lambda n: pd.DataFrame(
        [{"epoch": e, "alpha": a, "loss_con": 4 / e, "loss_pred": a / e} for e in range(1, n + 1) for a in (0.0, 1.0)]
    )
    path = plot_curves(epochs(8), epochs(2), tmp_path / "curves.png")
    assert path.stat().st_size > 1000
    assert plot_curves(pd.DataFrame(), pd.DataFrame(), tmp_path / "none.png") is None


@pytest.mark.parametrize(
    "passed, kept",
    [
        (["--seeds", "2", "--set", "epochs=1", "world_frames=20"], ["--seeds", "2", "--set", "world_frames=20"]),
        (["--set", "epochs=1", "--seeds", "2"], ["--seeds", "2"]),
        (["--set", "epochs=1"], []),
        (["--seeds", "2"], ["--seeds", "2"]),
    ],
)
def test_the_findings_leave_a_key_the_study_sets_itself_out_of_set(passed, kept):
    assert without_sets(passed, ("epochs",)) == kept
