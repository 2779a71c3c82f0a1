"""The trial table: a row per trial, as the trial ran."""

import pytest
from ray.tune import Result

from ciper.config import Config
from ciper.study.tables import TABLES, load_results, tables


def test_the_trial_table_records_the_precision_a_trial_ran_in_beside_the_one_asked_for():
    config = {"alpha": 0.0, "precision": "auto", "seed": 0}
    ran = {"config": config, "trial_id": "t1", "epoch": 1, "finished": True, "precision": "bf16", "train_time": 2.0}
    asked = {"config": {**config, "precision": "fp32"}, "trial_id": "t2", "epoch": 1, "finished": True}
    trials, _ = tables([Result(metrics=m, checkpoint=None, error=None, path="") for m in (ran, asked)])
    rows = trials.set_index("trial_id")
    assert rows.precision_ran.to_dict() == {"t1": "bf16", "t2": "fp32"}
    assert rows.precision.to_dict() == {"t1": "auto", "t2": "fp32"}  # the config, as asked
    assert trials.train_time.iloc[0] == 2.0 and set(trials.status) == {"finished"}


def test_tables_written_before_the_pose_rename_read_under_the_new_names(tmp_path):
    import pandas as pd

    old = pd.DataFrame({"view_r2": [0.5], "view_r2/rot_x": [0.4], "view_r2[E]": [0.3], "view_columns": [["yaw"]]})
    for name in TABLES:
        old.to_parquet(tmp_path / f"{name}.parquet")
    trials, epochs = load_results(tmp_path)
    assert list(trials.columns) == ["pose_r2", "pose_r2/rot_x", "pose_r2[E]", "pose_columns"]
    assert trials.pose_r2.iloc[0] == 0.5 and list(epochs.columns) == list(trials.columns)


def test_a_config_with_an_old_key_warns_and_reads_it_under_the_new_one():
    with pytest.warns(FutureWarning, match="view_columns is now pose_columns"):
        cfg = Config.from_dict({"dataset": "folder", "data_dir": "/data", "view_columns": ["yaw:deg"]})
    assert cfg.pose_columns == ["yaw:deg"]
