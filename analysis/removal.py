"""Open question 5: what each augmentation contributes, from removing one op at a time.

Each "without <op>" condition is paired by seed (and alpha) with "all ops"; a
negative change means the op helps that metric. "no synthetic ops" trains on
time pairs alone. aug_r2 is left out of the comparison: each condition's
aug_r2 is measured over the ops it trains with, so the values are not comparable.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import METRICS, plot_conditions, present
from analysis.references import reference_lines
from analysis.stats import paired_difference, summarise

FIGURE = "removal.png"  # the key figure (FINDINGS.md shows it)
BASELINE = "all ops"
COMPARED = [m for m in METRICS if m != "aug_r2"]


def changes(trials: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """One row per (alpha, condition, metric): the paired change against all ops, with its CI."""
    rows = []
    for alpha, t in trials.groupby("alpha", sort=True):
        for condition in t.condition.unique():
            if condition == BASELINE:
                continue
            for m in metrics:
                d, lo, hi, n = paired_difference(t, "condition", condition, BASELINE, m)
                rows.append(dict(alpha=alpha, condition=condition, metric=m, change=d, lo=lo, hi=hi, seeds=n))
    return pd.DataFrame(rows)


def extremes(ch: pd.DataFrame) -> pd.DataFrame:
    """Per (alpha, metric), over the 'without <op>' rows: the op whose removal lowers the metric
    most (`helps`, with its change) and the one whose removal raises it most (`hurts`)."""
    single = ch[ch.condition.str.startswith("without ")].assign(op=lambda d: d.condition.str.removeprefix("without "))
    rows = []
    for (alpha, metric), g in single.groupby(["alpha", "metric"], sort=True):
        low, high = g.loc[g.change.idxmin()], g.loc[g.change.idxmax()]
        rows.append(dict(alpha=alpha, metric=metric, helps=low, hurts=high))
    return pd.DataFrame(rows)


def sentence(r) -> str:
    """What removing single ops does to one metric, in words, with the CIs: the removal that
    costs most and the one that raises the metric most, each said to be within seed noise
    when its CI includes no change."""
    low, high = r.helps, r.hurts
    parts = []
    if low.change < 0:
        parts.append(f"removing {low.op} costs most ({_fmt(low)}{'' if low.hi < 0 else ', within seed noise'})")
    if high.change > 0:
        parts.append(f"removing {high.op} raises it most ({_fmt(high)}{'' if high.lo > 0 else ', within seed noise'})")
    if low.change >= 0:
        return "no single op helps: " + parts[0] if parts else "no removal changes it"
    return ", and ".join(parts)


def _fmt(r) -> str:
    return f"{r.change:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]"


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None) -> list[str]:
    summary = summarise(trials, ["condition", "alpha"], METRICS)
    metrics = [m for m in present(summary, METRICS) if m in COMPARED]
    figure = plot_conditions(summary, "condition", metrics, out / FIGURE, refs, hue="alpha")
    ch = changes(trials, metrics)
    lines = [
        "## What does each augmentation contribute?",
        "",
        f"![metrics per condition]({figure.name})",
        "",
        f"Change against '{BASELINE}', paired by seed, with its 95 % CI (negative: the op helps). "
        "aug_r2 is not compared: it is measured over the ops each condition trains with.",
        "",
    ]
    if len(ch):
        wide = ch.assign(value=ch.apply(_fmt, axis=1)).pivot_table(
            index=["alpha", "condition"], columns="metric", values="value", aggfunc="first"
        )
        lines += [wide.reset_index().to_markdown(index=False), ""]
        for _, r in extremes(ch).iterrows():
            lines.append(f"- alpha = {r.alpha:g}, {r.metric}: {sentence(r)}.")
    lines += ["", "Reference points (same probes):", "", *reference_lines(refs, metrics), ""]
    lines += [summary.round(3).to_markdown(index=False), ""]
    return lines


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None) -> list[str]:
    """What single ops do to objects and views for CIPER; what time pairs alone give."""
    metrics = [m for m in COMPARED if m in trials and trials[m].notna().any()]
    ch = changes(trials, metrics)
    if ch.empty:
        return ["The study needs 'all ops' and at least one other condition."]
    alpha = 1.0 if (ch.alpha == 1.0).any() else ch.alpha.max()
    ext = extremes(ch[ch.alpha == alpha])
    parts = [f"{r.metric}: {sentence(r)}" for _, r in ext.iterrows() if r.metric in ("object_acc", "view_r2", "rot_r2")]
    out = [f"For CIPER (alpha = {alpha:g}), against all ops, paired by seed (95 % CI): " + "; ".join(parts) + "."]
    none = ch[(ch.alpha == alpha) & (ch.condition == "no synthetic ops")]
    if len(none):
        parts = [f"{r.metric} {_fmt(r)}" for _, r in none.iterrows() if r.metric in ("object_acc", "view_r2", "rot_r2")]
        out.append("Time pairs alone, without any synthetic op: " + "; ".join(parts) + ".")
    return out
