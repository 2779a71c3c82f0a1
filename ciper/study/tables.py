"""A study's results as two tidy tables, written atomically and read back for notebooks.

<storage>/<study>/trials.parquet   one row per trial: its condition and the condition's labels,
                                   config, seed, final metrics, status, error, wall time,
                                   code version
<storage>/<study>/epochs.parquet   one row per trial epoch
"""

from __future__ import annotations

import io
from pathlib import Path

from ciper.config import RENAMED, Config
from ciper.metrics import METRICS
from ciper.records import atomic_write_bytes
from ciper.study.spec import condition_labels, with_condition

EPOCH_COLUMNS = ["epoch", "loss", "loss_con", "loss_pred", "lr", "epoch_time", "objective", *METRICS]
TABLES = ("trials", "epochs")


def plain(value):
    """A config value as a table cell: lists (an augmentation order) become 'a>b>c'."""
    return ">".join(value) if isinstance(value, (list, tuple)) else value


def tables(grid):
    """Ray Tune's ResultGrid -> (trials, epochs) DataFrames with plain column names."""
    import pandas as pd

    rows, epochs = [], []
    for i, result in enumerate(grid):
        config = {k: plain(v) for k, v in with_condition(result.config or {}).items()}
        metrics = dict(result.metrics or {})
        trial_id = metrics.get("trial_id") or (result.path and Path(result.path).name) or str(i)
        finished = bool(metrics.get("finished")) and result.error is None
        failure = (
            str(result.error).strip().splitlines()[-1][:500] if result.error is not None else metrics.get("failure")
        )
        row = {
            "trial_id": trial_id,
            **config,
            # a trial that neither finished nor failed was stopped by the scheduler (ASHA)
            "status": "finished" if finished else ("error" if failure else "stopped early"),
            "error": failure,
            "wall_time": metrics.get("time_total_s"),
            "code_version": metrics.get("code_version"),
            "epochs_done": metrics.get("epoch"),
            "node_id": metrics.get("node_id"),
            # the study/trial that trained it, where this trial read a finished run back (ciper/study/runs.py)
            "reused_from": metrics.get("reused_from"),
        }
        for k, v in metrics.items():
            if (
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and k not in row
                and k != "seed"
                and not k.startswith(("time_", "timestamp", "training_iteration", "pid"))
            ):
                row[k] = v
        # `precision` is what the config asked for (auto, say), which a row must keep to rebuild
        # the trial's config; `precision_ran` is what the trial computed in (bf16 or fp32)
        ran = metrics.get("precision")
        row["precision_ran"] = ran if isinstance(ran, str) else row.get("precision")
        rows.append(row)
        history = result.metrics_dataframe
        if history is not None and len(history):
            keep = [c for c in history.columns if c in EPOCH_COLUMNS]
            h = _fill_gaps(history[keep].copy(), result)
            h.insert(0, "trial_id", trial_id)
            epochs.append(h)
    trials = pd.DataFrame(rows)
    labels = list(dict.fromkeys(k for r in grid for k in condition_labels(r.config or {})))
    front = [
        "trial_id",
        "condition",
        *labels,
        *[k for k in Config.__dataclass_fields__ if k in trials],
        "precision_ran",
        "status",
        "error",
        "wall_time",
        "code_version",
        "epochs_done",
        "node_id",
        "reused_from",
    ]
    trials = trials[[c for c in front if c in trials] + sorted(c for c in trials if c not in front)]
    epochs = pd.concat(epochs, ignore_index=True) if epochs else pd.DataFrame(columns=["trial_id", "epoch"])
    # a trial resumed at its final checkpoint is evaluated again, not trained: keep its last report
    epochs = epochs.drop_duplicates(["trial_id", "epoch"], keep="last", ignore_index=True)
    if len(trials):  # the config columns that vary across trials travel with every epoch row
        config_keys = {k for r in grid for k in (r.config or {})} | set(labels)
        varying = [c for c in trials.columns if c in config_keys and trials[c].astype(str).nunique(dropna=False) > 1]
        epochs = epochs.merge(trials[["trial_id", *varying]], on="trial_id", how="left")
    return trials, epochs


def _fill_gaps(h, result):
    """Epoch rows Ray's records lack, taken from the training history in the trial's checkpoint.

    Ray writes results and its experiment snapshot separately; after a killed driver a
    trial can go on from a checkpoint newer than the records Ray kept. Its checkpoint
    holds every epoch's training metrics, so the table stays complete (evaluation
    metrics of those epochs, if any, are not recoverable and stay empty).
    """
    import pandas as pd

    from ciper.study.recovery import history_from_checkpoint

    done = set(h["epoch"].dropna().astype(int)) if "epoch" in h else set()
    if not done or done >= set(range(1, max(done) + 1)):
        return h
    missing = [
        {k: v for k, v in m.items() if k in h.columns}
        for m in history_from_checkpoint(result)
        if m.get("epoch") not in done
    ]
    if not missing:
        return h
    return pd.concat([h, pd.DataFrame(missing)], ignore_index=True).sort_values(
        "epoch", kind="stable", ignore_index=True
    )


def write_tables(study_dir: Path, trials, epochs) -> None:
    """Parquet written atomically (temporary file + rename)."""
    for name, df in zip(TABLES, (trials, epochs)):
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        atomic_write_bytes(study_dir / f"{name}.parquet", buf.getvalue())


def load_results(study_dir: str | Path):
    """(trials, epochs) DataFrames of a finished study, for notebooks."""
    import pandas as pd

    study_dir = Path(study_dir)
    missing = [f"{n}.parquet" for n in TABLES if not (study_dir / f"{n}.parquet").exists()]
    if missing:
        raise FileNotFoundError(
            f"{study_dir} has no {', '.join(missing)}; run the study first (rerunning its command resumes it)"
        )
    return tuple(_renamed_columns(pd.read_parquet(study_dir / f"{n}.parquet")) for n in TABLES)


# a column name's old prefix -> its new one (tables written before a rename read the same)
RENAMED_COLUMNS = {"view_r2": "pose_r2", **RENAMED}


def _renamed_columns(table):
    def new(column: str) -> str:
        for old, to in RENAMED_COLUMNS.items():
            if column == old or column.startswith(old + "/") or column.startswith(old + "["):
                return to + column[len(old) :]
        return column

    return table.rename(columns=new)
