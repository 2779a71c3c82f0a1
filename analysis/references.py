"""Reference points and controls in a study's report, read from the study's own trials.

Every grid study runs, per seed, an untrained encoder, an object-supervised and a
pose-supervised encoder, and two no-learning controls (pooled pixels, colour
statistics) as trials with `method` set (ciper/study/spec.py, ciper/reference.py).
Here their rows are split from the trained ones and summarised per kind (and per
value of a reference axis the study varies, e.g. latent_dim). They show as bands
(mean, 95 % CI over seeds) on metric plots and as rows in tables, and a report flags
every metric on which a no-learning reference comes within SHORTCUT_MARGIN of a trained condition.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from analysis.fmt import with_ci
from analysis.stats import summarise
from ciper.config import Config
from ciper.metrics import METRICS as ALL_METRICS
from ciper.reference import KINDS
from ciper.study.spec import REFERENCE_AXES

CONTROLS = ("pixels", "colour")
NO_LEARNING = ("untrained", *CONTROLS)  # what a trained number must beat to show learning
SHORTCUT_MARGIN = 0.05
LABEL = {
    "untrained": "untrained encoder",
    "object_supervised": "object-supervised encoder",
    "pose_supervised": "pose-supervised encoder",
    "pixels": "pixel control (no learning)",
    "colour": "colour control (no learning)",
}
STYLE = {
    "untrained": dict(color="0.45"),
    "object_supervised": dict(color="tab:green"),
    "pose_supervised": dict(color="tab:purple"),
    "pixels": dict(color="tab:brown"),
    "colour": dict(color="tab:olive"),
}
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


def split_references(trials: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trained trials, reference and control rows with a `kind` column)."""
    if "method" not in trials:
        return trials, trials.iloc[0:0].assign(kind=pd.Series(dtype=str))
    is_ref = trials["method"].isin(KINDS)
    trained = trials[~is_ref]
    if "condition" in trained and trained["condition"].isna().all():
        trained = trained.drop(columns="condition")
    return trained, trials[is_ref].assign(kind=trials.loc[is_ref, "method"])


def group_keys(rows: pd.DataFrame) -> list[str]:
    """The reference axes that vary across the rows (e.g. latent_dim in the latent study)."""
    return [k for k in REFERENCE_AXES if k in rows and rows[k].astype(str).nunique() > 1]


def reference_summary(rows: pd.DataFrame, metrics: list[str]) -> pd.DataFrame | None:
    """Mean, 95 % CI (`<metric>_lo`, `_hi`) and n over seeds, per kind (and group); None if no rows."""
    if rows is None or rows.empty:
        return None
    order = {k: i for i, k in enumerate(KINDS)}
    rows = rows.sort_values("kind", key=lambda k: k.map(order), kind="stable")
    return summarise(rows, [*group_keys(rows), "kind"], [m for m in metrics if m in rows], sort=False)


def nearest_control(summary: pd.DataFrame, metric: str, where: dict | None = None) -> pd.Series | None:
    """The no-learning reference (NO_LEARNING) that scores highest on `metric`, one row of a
    reference summary, among the rows with the values of `where` (a condition's world_seed or
    latent_dim): a trained number is judged against the controls of its own world or width,
    never another's. None where no control has the metric."""
    if summary is None or metric not in summary:
        return None
    rows = summary[summary["kind"].isin(NO_LEARNING)].dropna(subset=[metric])
    for key, value in (where or {}).items():
        rows = rows[rows[key] == value]
    return rows.loc[rows[metric].idxmax()] if len(rows) else None


def condition_keys(done: pd.DataFrame) -> list[str]:
    """The columns that tell a study's trained conditions apart (a shortcut flag compares each)."""
    columns = ("world_seed", "condition", "aug_order", "alpha", "head_mode", "latent_dim")  # aug_order: a string
    keys = [c for c in columns if c in done and done[c].map(str).nunique() > 1]
    return keys or ["method"]


def _reached(
    summary: pd.DataFrame, refs: pd.DataFrame, metric: str, axes: list[str], within: float = SHORTCUT_MARGIN
) -> list[tuple]:
    """(trained row, its nearest no-learning control) for every trained condition of the summary that
    the control comes within `within` of, or beats, on `metric`."""
    reached = []
    for _, r in summary.dropna(subset=[metric]).iterrows():
        control = nearest_control(refs, metric, {k: r[k] for k in axes})
        if control is not None and r[metric] <= control[metric] + within:
            reached.append((r, control))
    return reached


def _control_axes(summary: pd.DataFrame, refs: pd.DataFrame) -> list[str]:
    return [k for k in group_keys(refs[refs["kind"].isin(NO_LEARNING)]) if k in summary]


def shortcut_flags(summary: pd.DataFrame, refs: pd.DataFrame | None, metrics: list[str]) -> list[str]:
    """One line per metric on which a no-learning reference comes within SHORTCUT_MARGIN of (or
    beats) a trained condition's mean, naming every such condition: there the metric does not show
    what training added. `refs` is a reference summary; where it varies along an axis the summary
    has too (world_seed, latent_dim), each condition meets the controls of its own (nearest_control)."""
    if refs is None or refs.empty:
        return []
    metric_of = lambda c: c.split("/")[0].split("[")[0].removesuffix("_lo").removesuffix("_hi")
    keys = [c for c in summary.columns if c != "n" and metric_of(c) not in ALL_METRICS]
    axes = _control_axes(summary, refs)
    count = lambda k, v: int(v) if k in ("world_seed", "latent_dim") and float(v).is_integer() else v
    name = lambda r: " ".join(f"{k} {count(k, r[k])}" for k in keys)
    out = []
    for m in metrics:
        if m not in summary or not summary[m].notna().any():
            continue
        reached = _reached(summary, refs, m, axes)
        if not reached:
            continue
        warn = f"- **shortcut warning, {m}**: "
        if not axes:
            control = reached[0][1]
            if summary[m].max() in [r[m] for r, _ in reached]:
                what = f"the best trained model ({summary[m].max():.3f})"
            else:
                what = ", ".join(f"{name(r)} ({r[m]:.3f})".strip() for r, _ in reached)
            warn += f"the {LABEL[control['kind']]} scores {control[m]:.3f}, within {SHORTCUT_MARGIN} of or above {what}"
        else:
            cells = "; ".join(f"{name(r)} ({r[m]:.3f}; the {LABEL[c['kind']]} {c[m]:.3f})" for r, c in reached)
            same = ", ".join(axes)
            warn += f"a no-learning reference of the same {same} comes within {SHORTCUT_MARGIN} of or above {cells}"
        out.append(warn + ": there this metric does not show learning.")
    return out


def _against_controls(trained: pd.DataFrame, refs: pd.DataFrame, metrics) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(the trained conditions' summary, the axes their controls vary along, the metrics both have)."""
    metrics = [m for m in metrics if m in trained and trained[m].notna().any() and m in refs]
    summary = summarise(trained, condition_keys(trained), metrics)
    return summary, _control_axes(summary, refs), metrics


def matched_everywhere(trained: pd.DataFrame, refs: pd.DataFrame | None) -> dict[str, str]:
    """{metric: which control}: the metrics on which a no-learning reference comes within
    SHORTCUT_MARGIN of, or beats, every trained condition (each against the controls of its own
    world or width). A contrast between two trained conditions on such a metric ranks models that
    do not show learning there, so more seeds would not make it say what training adds."""
    if refs is None or refs.empty or trained.empty:
        return {}
    summary, axes, metrics = _against_controls(trained, refs, ALL_METRICS)
    out = {}
    for m in metrics:
        reached = _reached(summary, refs, m, axes)
        if reached and len(reached) == summary[m].notna().sum():
            kinds = sorted({LABEL[c["kind"]] for _, c in reached})
            out[m] = " or ".join(f"the {k}" for k in kinds)
    return out


def near_controls(trained: pd.DataFrame, refs: pd.DataFrame | None, metrics) -> list[str]:
    """One clause per metric on which a no-learning control comes within twice SHORTCUT_MARGIN of a
    trained condition's mean, naming each such condition, its level and its lead over the control:
    a contrast there compares models that barely show learning, whatever its verdict."""
    if refs is None or refs.empty or trained.empty:
        return []
    summary, axes, metrics = _against_controls(trained, refs, metrics)
    keys = condition_keys(trained)
    name = (lambda r: str(r["condition"])) if "condition" in keys else (lambda r: " ".join(f"{k} {r[k]}" for k in keys))
    out = []
    for m in metrics:
        reached = _reached(summary, refs, m, axes, within=2 * SHORTCUT_MARGIN)
        if reached:
            cells = ", ".join(f"{name(r)} {r[m]:.3f} ({r[m] - c[m]:+.3f})" for r, c in reached)
            kinds = " or ".join(sorted({f"the {LABEL[c['kind']]}" for _, c in reached}))
            out.append(f"{m}: {cells} over {kinds}")
    return out


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
        line(mean, color=STYLE[kind]["color"], ls="--", lw=1, label=LABEL[kind])


def with_reference_rows(summary: pd.DataFrame, refs: pd.DataFrame | None, label: str) -> pd.DataFrame:
    """The summary table with a row per reference kind (label column: 'untrained encoder', ...)."""
    if refs is None or refs.empty:
        return summary
    extra = refs.copy()
    extra[label] = extra.pop("kind").map(LABEL)
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
        row = {"reference": LABEL[r["kind"]], **{k: r[k] for k in keys}, "seeds": int(r["n"])}
        for m in metrics:
            if m in r and math.isfinite(r[m]):
                row[m] = with_ci(r[m], r[f"{m}_lo"], r[f"{m}_hi"])
        rows.append(row)
    return [pd.DataFrame(rows).to_markdown(index=False)]
