"""Open question 5: what each augmentation contributes, from removing one op at a time.

Each condition says what it removes in its `removal` column (studies/aug_ablation.py):
nothing (the baseline, all ops), one op (named in `removed_op`), or the synthetic ops
(time pairs alone). Each is paired by seed (and alpha) with the baseline; a negative
change means what was removed helps that metric. aug_r2 is left out of the comparison: each condition's
aug_r2 is measured over the ops it trains with, so the values are not comparable.

Primary contrasts (Holm within them): each op removed against all ops for CIPER
(alpha = 1, else the largest alpha) on object_acc, pose_r2 and rot_r2. Secondary
(Benjamini-Hochberg): the other metrics, time pairs alone, and alpha = 0.

loss_pred is the mean over its target groups (ciper.model), so at alpha > 0 removing an op also
weights the remaining groups, the time pairs' pose targets included, more (`reweighting` says by
how much); alpha = 0 has no such confound.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.fmt import with_ci
from analysis.plots import METRICS, plot_conditions, present
from analysis.references import SHORTCUT_MARGIN, config_of, matched_everywhere, near_controls, reference_lines
from analysis.stats import summarise
from ciper.choices import AUGMENTATIONS

FIGURE = "removal.png"  # the key figure (FINDINGS.md shows it)
NOTHING, ONE_OP, SYNTHETIC = "none", "one op", "synthetic ops"  # a condition's `removal`
REMOVALS = (NOTHING, ONE_OP, SYNTHETIC)
COMPARED = [m for m in families.READOUTS if m != "aug_r2"]
PRIMARY_METRICS = ("object_acc", "pose_r2", "rot_r2")


def main_alpha(trials: pd.DataFrame) -> float:
    return 1.0 if (trials.alpha == 1.0).any() else float(trials.alpha.max())


def checked(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials, each with its condition's `removal` (one of REMOVALS) and `removed_op`."""
    missing = [c for c in ("condition", "removal", "removed_op") if c not in trials]
    unknown = sorted(set(trials.removal.dropna()) - set(REMOVALS)) if "removal" in trials else []
    if missing or unknown or trials.removal.isna().any():
        raise ValueError(
            f"the removal report needs each condition's removal (one of {', '.join(REMOVALS)}) and removed_op "
            f"columns ({', '.join(missing or unknown) or 'removal missing in some trials'}); "
            "studies/aug_ablation.py sets them"
        )
    return trials


def baseline(trials: pd.DataFrame) -> str | None:
    """The name of the condition that removes nothing (None if the study ran none)."""
    names = trials[trials.removal == NOTHING].condition.unique()
    return str(names[0]) if len(names) else None


def comparisons(trials: pd.DataFrame) -> list[Comparison]:
    """Every condition against the baseline, per alpha, on every compared metric (module docstring)."""
    base = baseline(checked(trials))
    if base is None:
        return []
    main = main_alpha(trials)
    metrics = families.present(trials, COMPARED)
    removes = trials.drop_duplicates("condition").set_index("condition")
    out = []
    for alpha in sorted(trials.alpha.unique()):
        for condition in trials.condition.unique():
            if condition == base:
                continue
            removal, op = removes.removal[condition], removes.removed_op[condition]
            for m in metrics:
                first = alpha == main and removal == ONE_OP and m in PRIMARY_METRICS
                out.append(
                    Comparison(
                        f"{condition} vs {base}, alpha = {alpha:g}",
                        m,
                        "condition",
                        condition,
                        base,
                        PRIMARY if first else SECONDARY,
                        where={"alpha": alpha},
                        tags={"alpha": float(alpha), "condition": condition, "removal": removal, "removed_op": op},
                    )
                )
    return out


def judged(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    table = families.judge_comparisons(trials, comparisons(trials), margins)
    return table.assign(alpha=[], condition=[], removal=[], removed_op=[]) if table.empty else table


def extremes(table: pd.DataFrame) -> pd.DataFrame:
    """Per (alpha, metric), over the rows that remove one op: the op whose removal lowers the metric
    most (`helps`) and the one whose removal raises it most (`hurts`), each with its verdict."""
    single = table[table.removal == ONE_OP]
    single = single.assign(op=single.removed_op)
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
    return f"{with_ci(r['diff'], r.lo, r.hi, signed=True)} {r.verdict}"


def analyse(
    trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None, margins=None, **_
) -> list[str]:
    summary = summarise(checked(trials), ["condition", "alpha"], METRICS)
    metrics = [m for m in present(summary, METRICS) if m in COMPARED]
    figure = plot_conditions(summary, "condition", metrics, out / FIGURE, refs, hue="alpha")
    table = judged(trials, margins)
    base = baseline(trials) or "the condition that removes nothing"
    lines = [
        "## What does each augmentation contribute?",
        "",
        f"![metrics per condition]({figure.name})",
        "",
        f"Change against '{base}', paired by seed, with its 95 % CI and verdict (negative: the op helps). "
        "aug_r2 is not compared: it is measured over the ops each condition trains with.",
        "",
    ]
    if len(table):
        lines += [families.families_note(table, margins or families.DEFAULT_MARGINS), "", "Primary:", ""]
        lines += families.lines(table, PRIMARY, matched=matched_everywhere(trials, refs))
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
        return ["The study needs a condition that removes nothing (all ops) and at least one other."]
    alpha = main_alpha(trials)
    out = [
        f"For CIPER (alpha = {alpha:g}), each op removed against all ops, paired by seed, Holm across the "
        f"{families.count(table, PRIMARY)}:",
        "",
        *families.lines(table, PRIMARY, matched=matched_everywhere(trials, refs)),
        "",
    ]
    none = table[(table.alpha == alpha) & (table.removal == SYNTHETIC)]
    none = none[none.metric.isin(PRIMARY_METRICS)]
    if len(none):
        out.append(
            "Time pairs alone, without any synthetic op (secondary, BH): "
            + "; ".join(f"{r.metric} {r.sentence}" for r in none.itertuples())
            + "."
        )
        out.append("")
    near = near_controls(trials[trials.alpha == alpha], refs, PRIMARY_METRICS)
    if near:
        out += [
            f"Within twice the {SHORTCUT_MARGIN} shortcut margin of a no-learning control at alpha = {alpha:g} "
            f"(level, and its lead over the control): {'; '.join(near)}. There the contrasts compare models that "
            "barely show learning, whatever their verdict.",
            "",
        ]
    out += [f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report.", ""]
    for text in (untested(trials), reweighting(trials)):
        if text:
            out += [text, ""]
    return out[:-1]


def pose_shares(trials: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """{condition: (target groups of the time pairs' pose change, all target groups)} at the main
    alpha: loss_pred is the mean over the groups (ciper.model), so removing an op re-weights the rest."""
    from ciper.datasets import load_dataset
    from ciper.model import target_groups

    rows = trials[trials.alpha == main_alpha(trials)].drop_duplicates("condition")
    if rows.empty or "dataset" not in rows:
        return {}
    data = load_dataset(config_of(rows.iloc[0]))  # every condition reads the same data; only its ops differ
    out = {}
    for _, r in rows.iterrows():
        groups = target_groups(config_of(r), data)
        out[r.condition] = (sum(g.startswith("pose") for g in groups), len(groups))
    return out


def reweighting(trials: pd.DataFrame) -> str:
    """What removing an op does to the prediction loss's weights at the main alpha (pose_shares)."""
    shares = pose_shares(trials)
    if not shares or not any(pose for pose, _ in shares.values()):
        return ""
    cells = ", ".join(f"{cond} {pose} of {n}" for cond, (pose, n) in shares.items())
    return (
        f"At alpha = {main_alpha(trials):g}, loss_pred is the mean over its target groups, so removing an op "
        f"weights the others more: the time pairs' pose change (from pose labels) is {cells} groups. A change at "
        "this alpha, on pose_r2 and rot_r2 above all, mixes removing the op with weighting the supervised pose "
        "targets more; at alpha = 0 (secondary) there is no prediction loss and no such confound."
    )


def untested(trials: pd.DataFrame) -> str:
    """The ops the study trained with (the baseline's aug_order, which the preset decides) and the
    platform's others, which it never trained with: it says nothing about those."""
    base = trials[trials.removal == NOTHING]
    if base.empty or "aug_order" not in base:
        return ""
    used = [op for op in str(base.aug_order.iloc[0]).split(">") if op]
    never = [op for op in AUGMENTATIONS if op not in used]
    line = f"The preset's synthetic ops: {', '.join(used) or 'none'}."
    if never:
        line += f" Not in it, so untested here: {', '.join(never)}."
    return line
