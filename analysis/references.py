"""Reference points in a study's report: an untrained and a supervised encoder on the same probes.

For each group of a study's trials that would train a different supervised
encoder (e.g. each latent dimension of the latent study), the references are
evaluated at the config of that group's first condition, for up to MAX_SEEDS
seeds, and cached in the storage's `references/` folder (`ciper.reference`), so
a second study of the same storage reads them instead of computing them. They
show as bands (mean, 95 % CI over seeds) on metric plots and as rows in tables.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd

from analysis.stats import summarise
from ciper.config import Config
from ciper.probes import METRICS as ALL_METRICS
from ciper.reference import KINDS, TRAINING, reference_metrics

MAX_SEEDS = 3
STYLE = {"untrained": dict(color="0.45", hatch=None), "supervised": dict(color="tab:green", hatch=None)}
LIST_FIELDS = {f.name for f in dataclasses.fields(Config) if "list[" in str(f.type)}


def config_of(row: pd.Series) -> Config:
    """A trial's Config from its table row (lists are stored as 'a>b>c')."""
    values = {}
    for name in Config.__dataclass_fields__:
        if name not in row:
            continue
        v = row[name]
        if name in LIST_FIELDS:
            v = [p for p in str(v).split(">") if p] if isinstance(v, str) else []
        elif isinstance(v, float) and math.isnan(v):
            v = None
        values[name] = v
    return Config.from_dict(values)


def group_keys(trials: pd.DataFrame) -> list[str]:
    """The training fields that vary across the study's trials (seed aside)."""
    return [k for k in TRAINING if k != "seed" and k in trials and trials[k].astype(str).nunique() > 1]


def reference_points(study_dir: Path, trials: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, kind, seed) with the reference metrics; computed once, then cached."""
    cache = Path(study_dir).parent / "references"
    keys = group_keys(trials)
    order = [c for c in ("condition", "alpha", "head_mode", "head_input") if c in trials]
    rows = []
    groups = trials.groupby(keys, sort=True) if keys else [((), trials)]
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        for seed in sorted(group.seed.unique())[:MAX_SEEDS]:
            first = group[group.seed == seed].sort_values(order).iloc[0]
            cfg = config_of(first).replace(device="cpu")
            for kind in KINDS:
                got = reference_metrics(cfg, kind, cache)
                rows.append({**dict(zip(keys, values)), "kind": kind, "seed": seed, **got["metrics"]})
    return pd.DataFrame(rows)


def reference_summary(study_dir: Path, trials: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean, 95 % CI (`<metric>_lo`, `_hi`) and n over seeds, per reference kind (and group)."""
    return summarise(reference_points(study_dir, trials), [*group_keys(trials), "kind"], metrics, sort=False)


def draw_bands(ax, refs: pd.DataFrame | None, metric: str, vertical: bool = False) -> None:
    """A band (95 % CI) and a dashed line (mean) per reference kind, across the whole axis."""
    if refs is None or refs.empty or metric not in refs:
        return
    for kind, r in refs.groupby("kind", sort=False):
        if len(r) != 1 or not math.isfinite(r[metric].iloc[0]):
            continue  # one value per kind; a study whose references vary (latent) draws them itself
        mean, lo, hi = (float(r[c].iloc[0]) for c in (metric, f"{metric}_lo", f"{metric}_hi"))
        span, line = (ax.axvspan, ax.axvline) if vertical else (ax.axhspan, ax.axhline)
        span(lo, hi, color=STYLE[kind]["color"], alpha=0.15, lw=0)
        line(mean, color=STYLE[kind]["color"], ls="--", lw=1, label=f"{kind} encoder")


def with_reference_rows(summary: pd.DataFrame, refs: pd.DataFrame | None, label: str) -> pd.DataFrame:
    """The summary table with a row per reference kind (label column: 'untrained encoder', ...)."""
    if refs is None or refs.empty:
        return summary
    extra = refs.copy()
    extra[label] = extra.pop("kind") + " encoder"
    cols = [c for c in summary.columns if c in extra]
    table = pd.concat([summary, extra[cols]], ignore_index=True)
    text = [c for c in table if not pd.api.types.is_numeric_dtype(table[c])]
    table[text] = table[text].fillna("")
    return table


def reference_lines(refs: pd.DataFrame | None, metrics: list[str]) -> list[str]:
    """A markdown table of the reference points: mean [95 % CI] per metric."""
    if refs is None or refs.empty:
        return ["(no reference points)"]
    keys = [c for c in refs if c not in ("kind", "n") and not any(c.startswith(m) for m in ALL_METRICS)]
    rows = []
    for _, r in refs.iterrows():
        row = {"encoder": r["kind"], **{k: r[k] for k in keys}, "seeds": int(r["n"])}
        for m in metrics:
            if m in r and math.isfinite(r[m]):
                row[m] = f"{r[m]:.3f} [{r[f'{m}_lo']:.3f}, {r[f'{m}_hi']:.3f}]"
        rows.append(row)
    return [pd.DataFrame(rows).to_markdown(index=False)]
