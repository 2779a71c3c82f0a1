"""The trial table: a row per trial, as the trial ran."""

from ray.tune import Result

from ciper.study.tables import tables


def test_the_trial_table_records_the_precision_a_trial_ran_in_beside_the_one_asked_for():
    config = {"alpha": 0.0, "precision": "auto", "seed": 0}
    ran = {"config": config, "trial_id": "t1", "epoch": 1, "finished": True, "precision": "bf16", "train_time": 2.0}
    asked = {"config": {**config, "precision": "fp32"}, "trial_id": "t2", "epoch": 1, "finished": True}
    trials, _ = tables([Result(metrics=m, checkpoint=None, error=None, path="") for m in (ran, asked)])
    rows = trials.set_index("trial_id")
    assert rows.precision_ran.to_dict() == {"t1": "bf16", "t2": "fp32"}
    assert rows.precision.to_dict() == {"t1": "auto", "t2": "fp32"}  # the config, as asked
    assert trials.train_time.iloc[0] == 2.0 and set(trials.status) == {"finished"}
