"""Open question 5: what each augmentation contributes, from removing one op at a time.

Each "without <op>" condition is paired by seed (and alpha) with "all ops"; a
negative change means the op helps that metric. "no synthetic ops" trains on
time pairs alone. aug_r2 is left out of the comparison: each condition's
aug_r2 is measured over the ops it trains with, so the values are not comparable.

Primary contrasts (Holm within them): each op removed against all ops for CIPER
(alpha = 1, else the largest alpha) on object_acc, view_r2 and rot_r2. Secondary
(Benjamini-Hochberg): the other metrics, time pairs alone, and alpha = 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.plots import METRICS, plot_conditions, present
from analysis.references import reference_lines
from analysis.stats import summarise

FIGURE = "removal.png"  # the key figure (FINDINGS.md shows it)
BASELINE = "all ops"
COMPARED = [m for m in families.READOUTS if m != "aug_r2"]
PRIMARY_METRICS = ("object_acc", "view_r2", "rot_r2")


def main_alpha(trials: pd.DataFrame) -> float:
    return 1.0 if (trials.alpha == 1.0).any() else float(trials.alpha.max())


def comparisons(trials: pd.DataFrame) -> list[Comparison]:
    """Every condition against all ops, per alpha, on every compared metric (module docstring)."""
    main = main_alpha(trials)
    metrics = families.present(trials, COMPARED)
    out = []
    for alpha in sorted(trials.alpha.unique()):
        for condition in trials.condition.unique():
            if condition == BASELINE:
                continue
            for m in metrics:
                first = alpha == main and condition.startswith("without ") and m in PRIMARY_METRICS
                out.append(
                    Comparison(
                        f"{condition} vs {BASELINE}, alpha = {alpha:g}",
                        m,
                        "condition",
                        condition,
                        BASELINE,
                        PRIMARY if first else SECONDARY,
                        where={"alpha": alpha},
                        tags={"alpha": float(alpha), "condition": condition},
                    )
                )
    return out


def judged(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    table = families.judge_comparisons(trials, comparisons(trials), margins)
    return table.assign(alpha=[], condition=[]) if table.empty else table


def extremes(table: pd.DataFrame) -> pd.DataFrame:
    """Per (alpha, metric), over the 'without <op>' rows: the op whose removal lowers the metric
    most (`helps`) and the one whose removal raises it most (`hurts`), each with its verdict."""
    single = table[table.condition.str.startswith("without ")]
    single = single.assign(op=single.condition.str.removeprefix("without "))
    rows = []
    for (alpha, metric), g in single.groupby(["alpha", "metric"], sort=True):
        rows.append(dict(alpha=alpha, metric=metric, helps=g.loc[g["diff"].idxmin()], hurts=g.loc[g["diff"].idxmax()]))
    return pd.DataFrame(rows)


def sentence(r) -> str:
    """What removing single ops does to one metric: the removal that lowers its mean most and the one
    that raises it most, each with its verdict (effect, CI, n, adjusted p)."""
    low, high = r.helps, r.hurts
    parts = []
    if low["diff"] < 0:
        parts.append(f"removing {low.op} lowers it most ({low.sentence})")
    if high["diff"] > 0:
        parts.append(f"removing {high.op} raises it most ({high.sentence})")
    if not parts:
        return f"every removal leaves its mean where it was ({low.sentence})"
    if low["diff"] >= 0:
        return "every removal raises its mean; " + parts[0]
    return ", and ".join(parts)


def _fmt(r) -> str:
    return f"{r['diff']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}] {r.verdict}"


def analyse(
    trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None, margins=None, **_
) -> list[str]:
    summary = summarise(trials, ["condition", "alpha"], METRICS)
    metrics = [m for m in present(summary, METRICS) if m in COMPARED]
    figure = plot_conditions(summary, "condition", metrics, out / FIGURE, refs, hue="alpha")
    table = judged(trials, margins)
    lines = [
        "## What does each augmentation contribute?",
        "",
        f"![metrics per condition]({figure.name})",
        "",
        f"Change against '{BASELINE}', paired by seed, with its 95 % CI and verdict (negative: the op helps). "
        "aug_r2 is not compared: it is measured over the ops each condition trains with.",
        "",
    ]
    if len(table):
        lines += [families.families_note(table, margins or families.DEFAULT_MARGINS), "", "Primary:", ""]
        lines += families.lines(table, PRIMARY)
        lines += ["", f"Secondary ({families.summary(table)}):", ""]
        lines += families.lines(table, SECONDARY)
        wide = table.assign(value=table.apply(_fmt, axis=1)).pivot_table(
            index=["alpha", "condition"], columns="metric", values="value", aggfunc="first"
        )
        lines += ["", wide.reset_index().to_markdown(index=False), ""]
        for _, r in extremes(table).iterrows():
            lines.append(f"- alpha = {r.alpha:g}, {r.metric}: {sentence(r)}.")
    lines += ["", "Reference points (same probes):", "", *reference_lines(refs, metrics), ""]
    lines += [summary.round(3).to_markdown(index=False), ""]
    return lines


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None, margins=None, **_) -> list[str]:
    """The primary verdicts (each op removed, for CIPER) and what time pairs alone give."""
    table = judged(trials, margins)
    if table.empty:
        return ["The study needs 'all ops' and at least one other condition."]
    alpha = main_alpha(trials)
    out = [
        f"For CIPER (alpha = {alpha:g}), each op removed against all ops, paired by seed, Holm across the "
        f"{families.count(table, PRIMARY)}:",
        "",
        *families.lines(table, PRIMARY),
        "",
    ]
    none = table[(table.alpha == alpha) & (table.condition == "no synthetic ops")]
    none = none[none.metric.isin(PRIMARY_METRICS)]
    if len(none):
        out.append(
            "Time pairs alone, without any synthetic op (secondary, BH): "
            + "; ".join(f"{r.metric} {r.sentence}" for r in none.itertuples())
            + "."
        )
        out.append("")
    return out + [f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report."]
