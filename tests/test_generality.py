"""Where each answer was tested (analysis/generality.py): the scope of each question's trials and the
alpha primaries across studies of other worlds and budgets. No Ray."""

import numpy as np
import pandas as pd

from analysis.generality import alpha_table, holds, scope_table


def _alpha_trials(gains: dict[str, float], worlds=(0,), seeds=4, epochs=12) -> pd.DataFrame:
    """alpha 0 and 1 per world and seed; alpha 1 adds gains[metric] (with seed noise) to each metric."""
    noise = np.random.default_rng(0)
    rows = []
    for w in worlds:
        for seed in range(seeds):
            for alpha in (0.0, 1.0):
                row = {"world_seed": w, "seed": seed, "alpha": alpha, "epochs": epochs, "dataset": "world"}
                for metric in ("object_acc", "pose_r2", "rot_r2"):
                    row[metric] = 0.5 + alpha * gains[metric] + noise.normal(0, 0.003)
                rows.append({**row, "trial_id": f"w{w}s{seed}a{alpha:g}e{epochs}"})
    return pd.DataFrame(rows)


def test_holds_reads_the_second_verdict_against_the_first():
    up, down = pd.Series({"diff": 0.1, "verdict": "differs"}), pd.Series({"diff": -0.1, "verdict": "differs"})
    unsure = pd.Series({"diff": 0.01, "verdict": "inconclusive"})
    assert holds(up, up) == "differs there too, same sign"
    assert holds(up, up, exploratory=True) == "differs there too, same sign (exploratory)"
    assert holds(up, down) == "the opposite differs there"
    assert holds(up, unsure) == "not shown there (inconclusive)"
    assert holds(unsure, unsure) == "inconclusive in both"
    assert holds(unsure, up) == "differs there, not in the first"
    assert holds(up, None) == "not tested"


def test_the_alpha_table_sets_each_studys_verdict_beside_the_first():
    first = _alpha_trials({"object_acc": 0.0, "pose_r2": 0.1, "rot_r2": -0.1}, seeds=10)
    worlds = _alpha_trials({"object_acc": 0.0, "pose_r2": 0.1, "rot_r2": 0.1}, worlds=(0, 1, 2))
    lines = alpha_table({"a": (first, None), "w": (worlds, None)})
    table = "\n".join(lines)
    assert "`a` (world 0, 12 epochs)" in table
    (pose,) = [line for line in lines if "| pose_r2" in line]
    (rot,) = [line for line in lines if "| rot_r2" in line]
    assert "n=10, differs" in pose and "w: differs there too, same sign" in pose
    assert "n=3 worlds (12 blocks), differs" in pose  # a world-random contrast counts its worlds, as its test does
    assert "w: the opposite differs there" in rot
    # world 0's seeds 0-3 of the second study are the first study's runs (same config and seed), and it says so
    assert "`w` (3 worlds, world random, 12 epochs; 8 of its 24 runs repeat a's config and seed)" in table
    assert alpha_table({"a": (first, None), "w": (pd.DataFrame(), None)})[0].startswith("Not enough")


def test_the_scope_table_names_what_ran_on_one_world_and_budget_and_what_did_not_run():
    studies = {
        "alpha_sweep": ("Alpha", _alpha_trials({"object_acc": 0, "pose_r2": 0, "rot_r2": 0}, seeds=10)),
        "alpha_worlds": ("Worlds", _alpha_trials({"object_acc": 0, "pose_r2": 0, "rot_r2": 0}, worlds=(0, 1, 2))),
        "latent_dim": ("Latent dimension", pd.DataFrame()),
    }
    text = "\n".join(scope_table(studies))
    (alpha,) = [line for line in text.splitlines() if line.startswith("| Alpha")]
    assert [c.strip() for c in alpha.strip("|").split("|")] == [
        "Alpha",
        "`alpha_sweep`",
        "built-in world",
        "0",
        "12",
        "10",
    ]
    assert "0, 1, 2" in text
    assert "Run on one world at one budget: Alpha." in text
    assert "Not run yet: Latent dimension (`latent_dim`)." in text
