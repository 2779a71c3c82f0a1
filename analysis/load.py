"""Any study folder -> tidy (trials, epochs) DataFrames, finished or not.

A finished study has trials.parquet and epochs.parquet. A study that is still
running, or was interrupted, has only Ray's trial folders: those are read
directly (each trial's params.json and result.json), and trials that have not
reported yet are listed with status "pending" rather than failing the load.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ciper.study.spec import with_condition
from ciper.study.tables import EPOCH_COLUMNS, load_results, plain


def load_study(study_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    study_dir = Path(study_dir)
    if (study_dir / "trials.parquet").exists() and (study_dir / "epochs.parquet").exists():
        return load_results(study_dir)
    if (study_dir / "ray").is_dir():
        return _from_ray_folders(study_dir / "ray")
    raise FileNotFoundError(
        f"{study_dir} holds no study results (no trials.parquet, no ray/ folder); run the study first"
    )


def _from_ray_folders(ray_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, epochs = [], []
    for trial_dir in sorted(p for p in ray_dir.iterdir() if p.is_dir() and (p / "params.json").exists()):
        params = with_condition(json.loads((trial_dir / "params.json").read_text()))
        config = {k: plain(v) for k, v in params.items()}
        history = []
        if (trial_dir / "result.json").exists():
            for line in (trial_dir / "result.json").read_text().splitlines():
                try:
                    history.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut off by a crash
                    break
        last = history[-1] if history else {}
        trial_id = last.get("trial_id") or trial_dir.name.split("_")[1] + "_" + trial_dir.name.split("_")[2]
        status = "finished" if last.get("finished") else ("running or interrupted" if history else "pending")
        rows.append(
            {
                "trial_id": trial_id,
                **config,
                "status": status,
                "error": None,
                "epochs_done": last.get("epoch"),
                "code_version": last.get("code_version"),
                **{
                    k: v
                    for k, v in last.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in config
                },
            }
        )
        for h in history:
            epochs.append({"trial_id": trial_id, **{k: h.get(k) for k in EPOCH_COLUMNS if k in h}})
    return pd.DataFrame(rows), pd.DataFrame(epochs)


def missing_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials that did not finish, with why (status and error)."""
    if trials.empty:
        return trials
    return trials[trials["status"] != "finished"]
