"""Runs that several studies share, so that the findings count each once.

Studies share their baselines: the alpha study's alpha = 0 and alpha = 1 trials are,
config for config and seed for seed, the head study's contrastive / diff and
both / diff, the latent study's trials at the preset's latent dimension, and so on;
every study also runs the same reference encoders. A study reads a finished run of
exactly its config and code version back from its storage instead of training it again
(ciper/study/runs.py; its trials table says so in `reused_from`); a run of other code
is trained again (on one machine the copies agree bit for bit). Either way a contrast
between shared runs in a second study repeats the first study's contrast: it is no
second confirmation.
Two trials are the same run when every Config field but those of execution
(analysis.compare.EXECUTION) is equal, seed included, after two identities the
library guarantees: a model without a prediction head to train (head_mode =
contrastive, or alpha = 0) is the same whichever of the two says so, and a
reference ignores the fields of the self-supervised objective
(ciper.reference.NOT_MEASURED).
"""

from __future__ import annotations

import pandas as pd

from analysis.compare import EXECUTION, config_text
from ciper.config import Config
from ciper.reference import NOT_MEASURED

KEY_FIELDS = [f for f in Config.__dataclass_fields__ if f not in EXECUTION]
NOT_A_CONDITION = {"seed", "trial_id", "data_dir"}


def effective(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials' configs as trained: no prediction head -> head_mode contrastive, alpha 0; a
    reference's objective fields blank."""
    t = trials.copy()
    method = t["method"].fillna("ciper") if "method" in t else pd.Series("ciper", t.index)
    if {"alpha", "head_mode"} <= set(t):
        plain = (method == "ciper") & ((t.head_mode == "contrastive") | (t.alpha == 0))
        t.loc[plain, "head_mode"], t.loc[plain, "alpha"] = "contrastive", 0.0
    ignored = [f for f in NOT_MEASURED if f in t and f != "method"]
    t[ignored] = t[ignored].astype(object)
    t.loc[method != "ciper", ignored] = None
    return t


def common_fields(tables) -> list[str]:
    """The key fields every table records: a field a study's code did not have yet (a table without
    its column) cannot tell that study's runs apart from another's, so no table is keyed on it."""
    tables = [t for t in tables if not t.empty]
    return [f for f in KEY_FIELDS if all(f in t for t in tables)]


def run_keys(trials: pd.DataFrame, fields: list[str] | None = None) -> pd.Series:
    """One text key per trial: its effective Config fields (execution fields left out; `fields`
    where given, else every key field the table has), seed included."""
    cols = [f for f in (KEY_FIELDS if fields is None else fields) if f in trials]
    text = effective(trials)[cols].apply(config_text)
    return text.agg("|".join, axis=1) if len(trials) else pd.Series(dtype=str)


def _varied(trials: pd.DataFrame) -> list[str]:
    """The config fields that tell a study's trials apart (seed aside): with conditions, the fields
    that vary within a condition (a condition's own settings are said by its name)."""
    fields = [f for f in KEY_FIELDS if f in trials and f not in NOT_A_CONDITION and f != "method"]
    fields = [f for f in fields if config_text(trials[f]).nunique() > 1]
    if "condition" in trials and trials.condition.notna().any():
        by = trials.groupby(config_text(trials.condition))
        fields = ["condition", *[f for f in fields if (by[f].nunique(dropna=False) > 1).any()]]
    return fields


def labels(trials: pd.DataFrame) -> pd.Series:
    """What each trial is within its study: '<kind> reference', or the condition name and the varied
    config values (e.g. 'alpha = 1', 'without blur, alpha = 0')."""
    is_ref = trials.method.fillna("ciper") != "ciper" if "method" in trials else pd.Series(False, trials.index)
    varied, ref_varied = _varied(trials[~is_ref]), _varied(trials[is_ref].drop(columns="condition", errors="ignore"))

    def value(f, v) -> str:
        return str(v) if f == "condition" else f"{f} = {v:g}" if isinstance(v, float) else f"{f} = {v}"

    def one(row) -> str:
        if "method" in row and isinstance(row["method"], str) and row["method"] != "ciper":
            return ", ".join([f"{row['method']} reference", *(value(f, row[f]) for f in ref_varied)])
        return ", ".join(value(f, row[f]) for f in varied) or "the base config"

    return trials.apply(one, axis=1) if len(trials) else pd.Series(dtype=str)


SHARED_COLUMNS = "study trial_id label seed first_study first_label precision first_precision gap".split()
GAP_METRIC = "object_acc"  # how far a run trained again lands from the first: its gap on this metric


def _column(trials: pd.DataFrame, name: str, missing) -> pd.Series:
    return trials[name] if name in trials else pd.Series(missing, trials.index)


def shared_runs(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per trial whose run already appeared in an earlier study (in the order of `tables`):
    study, label, seed, first_study, first_label, the precision each computed in, and the gap between
    the two on GAP_METRIC (0 where the run was read back; a run trained again on another CPU or by
    other code has the same data, augmentations and initial weights, but not the same numbers)."""
    seen: dict[str, tuple] = {}
    rows = []
    fields = common_fields(tables.values())
    for study, trials in tables.items():
        if trials.empty:
            continue
        precisions = _column(trials, "precision_ran", "").fillna("").astype(str)
        values = _column(trials, GAP_METRIC, float("nan")).astype(float)
        keys = run_keys(trials, fields)
        ids = _column(trials, "trial_id", None)
        for key, trial_id, name, seed, precision, value in zip(
            keys, ids, labels(trials), trials.seed, precisions, values
        ):
            if key in seen and seen[key][0] != study:
                first, first_name, first_precision, first_value = seen[key]
                gap = abs(value - first_value)
                rows.append(
                    dict(
                        zip(
                            SHARED_COLUMNS,
                            (study, trial_id, name, seed, first, first_name, precision, first_precision, gap),
                        )
                    )
                )
            seen.setdefault(key, (study, name, precision, value))
    return pd.DataFrame(rows, columns=SHARED_COLUMNS)


def reused(trials: pd.DataFrame) -> pd.Series:
    """Per trial: True where it read a finished run back instead of training (ciper/study/runs.py)."""
    return trials["reused_from"].notna() if "reused_from" in trials else pd.Series(False, trials.index)


def reused_from_elsewhere(trials: pd.DataFrame, study: str) -> pd.Series:
    """Per trial: True where it read back another study's run. A run the same study trained before
    (a stopped run, rerun with more seeds) is that study's own training."""
    source = trials["reused_from"].astype(str) if "reused_from" in trials else pd.Series("", trials.index)
    return reused(trials) & ~source.str.startswith(f"{study}/")


def run_of(trials: pd.DataFrame, study: str, shared: pd.DataFrame | None = None, folder: str = "") -> pd.Series:
    """Per trial: the earlier study whose run it is, "" where it is this study's own. A run read back
    from another study (reused_from, a study of the same storage `folder`) is that study's; given the
    findings' `shared` rows of this study (shared_runs), so is a run with the config and seed of an
    earlier section's study. Studies are named as in `shared`: "<folder>/<study>" within a folder."""
    source = _column(trials, "reused_from", None).fillna("").astype(str).str.split("/").str[0]
    out = source.where((source != study) & (source != ""), "")
    out = out.where(out == "", f"{folder}/" + out) if folder else out
    if shared is not None and len(shared) and "trial_id" in trials:
        known = shared.dropna(subset=["trial_id"]).drop_duplicates("trial_id").set_index("trial_id").first_study
        out = trials.trial_id.map(known).fillna(out)  # a trial without an id maps to nothing
    return out


def distinct_runs(tables: dict[str, pd.DataFrame]) -> int:
    fields = common_fields(tables.values())
    keys = [run_keys(t, fields) for t in tables.values() if not t.empty]
    return int(pd.concat(keys).nunique()) if keys else 0


def shared_lines(shared: pd.DataFrame, study: str | None = None) -> list[str]:
    """'- <study>: <label> = <first study>'s <label> (seeds 0-2)' per group of shared trials; where the
    two were trained apart (another CPU, precision or code), the line says how far apart they landed."""
    rows = shared if study is None else shared[shared.study == study]
    out = []
    groups = ["study", "label", "first_study", "first_label", "precision", "first_precision"]
    for (s, name, first, first_name, precision, first_precision), g in rows.groupby(groups, sort=False):
        seeds = sorted(int(x) for x in g.seed)
        which = f"seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else f"seeds {seeds}"
        here = f"{s}: " if study is None else ""
        apart = _apart(g, precision, first_precision)
        out.append(f"- {here}{name} is {first}'s {first_name} ({len(seeds)} trials, {which}{apart})")
    return out


def _apart(group: pd.DataFrame, precision: str, first_precision: str) -> str:
    """'; computed again in fp32, there in bf16: ..., object_acc up to 0.012 from it' where the copies differ."""
    gap = group.gap.max()
    if not gap > 0:  # read back, bit-identical, or no metric to compare
        return ""
    how = f" in {precision}, there in {first_precision}" if precision and first_precision != precision else ""
    return f"; computed again{how}: same data, augmentations and initial weights, {GAP_METRIC} up to {gap:.3f} from it"


def counted_once(tables: dict[str, pd.DataFrame], shared: pd.DataFrame) -> list[str]:
    """The findings' count of trials and of distinct runs, and what counting once means."""
    total = sum(len(t) for t in tables.values())
    read_back = sum(int(reused(t).sum()) for t in tables.values())
    how = (
        f" {read_back} trials were read back from a finished run of the same code (column reused_from), "
        "not trained again."
        if read_back
        else ""
    )
    return [
        "### Trials counted once",
        "",
        f"The studies below hold {total} finished trials (references and controls included) but "
        f"{distinct_runs(tables)} distinct runs: {len(shared)} trials repeat a run (same config and seed) of an "
        "earlier section's study. Each is counted where it first appears; its section says where it "
        "appears again, and a contrast between such runs is the first study's contrast, not a new one." + how,
        "",
    ]
