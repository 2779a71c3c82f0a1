"""analysis.compare against hand-computed cases, through its command line too."""

import math

import pandas as pd

from analysis.compare import compare, main, match


def _trials(shift=0.0, precision="fp32"):
    rows = []
    for alpha in (0.0, 1.0):
        for seed, noise in zip((0, 1, 2), (-0.02, 0.0, 0.02)):  # SD 0.02 within each alpha
            rows.append(
                {
                    "trial_id": f"{alpha}_{seed}",
                    "alpha": alpha,
                    "seed": seed,
                    "precision": precision,
                    "data_dir": None if precision == "fp32" else float("nan"),  # missing, as parquet gives it back
                    "status": "finished",
                    "object_acc": 0.5 + alpha * 0.1 + noise + (shift if alpha == 1.0 else 0.0),
                    "pose_r2": 0.3 + noise,
                }
            )
    return pd.DataFrame(rows)


def test_trials_match_on_their_config_but_not_on_how_they_ran():
    joined, keys = match(_trials(), _trials(precision="bf16"))
    assert len(joined) == 6 and "precision" not in keys and {"alpha", "seed"} <= set(keys)


def test_differences_and_seed_noise_are_measured():
    table = compare(_trials(), _trials(shift=0.03, precision="bf16"), metrics=["object_acc", "pose_r2"])
    acc, r2 = table.set_index("metric").loc["object_acc"], table.set_index("metric").loc["pose_r2"]
    assert acc.trials == 6 and math.isclose(acc.difference, 0.015) and math.isclose(acc.largest_condition_shift, 0.03)
    assert math.isclose(acc.seed_sd, 0.02) and r2.difference == 0 and r2.largest_condition_shift == 0


def test_the_command_writes_a_table_per_study_and_rejects_a_missing_root(tmp_path, capsys):
    for root, shift in (("a", 0.0), ("b", 0.001)):
        study = tmp_path / root / "alpha_sweep"
        study.mkdir(parents=True)
        _trials(shift).to_parquet(study / "trials.parquet")
        pd.DataFrame({"trial_id": ["x"], "epoch": [1]}).to_parquet(study / "epochs.parquet")
    assert main([str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c.md")]) == 0
    text = (tmp_path / "c.md").read_text()
    assert "## alpha_sweep" in text and "smaller than the seed-to-seed SD" in text
    assert main([str(tmp_path / "a"), str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
