"""Time pairs against synthetic pairs: CIPER's gain over contrastive-only for each source of pairs.

Primary contrasts (Holm within them): CIPER's gain (alpha = 1 minus alpha = 0, paired
by seed) for each source of pairs on the pose read-outs (rot_r2, pose_r2/rotation,
quat_r2_mlp). Secondary (Benjamini-Hochberg): the gains on the other metrics, and at
alpha = 1 each time-pair source against synthetic pairs with the same ops, on the
pose read-outs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.fmt import with_ci
from analysis.plots import LABELS, METRICS, panels, present, save
from analysis.references import draw_bands, matched_everywhere, with_reference_rows
from analysis.stats import paired_difference, summarise

FIGURE = "views.png"  # the key figure (FINDINGS.md shows it)
POSE = ("rot_r2", "pose_r2/rotation", "quat_r2_mlp")

# said where the data has no 3D rotations (a turntable): the primary read-outs are then NaN
NO_PRIMARY = f"- none: {', '.join(POSE)} need 3D rotations, which this data has none of; every contrast is secondary"
SOURCES = {"time+synthetic": "time pairs", "synthetic": "synthetic only"}
GEOMETRY = {"crop", "flip", "rotation"}  # the ops that move pixels; the others change colour only


def _sourced(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials with `source`, where its pairs come from (its condition's name, or its pairs setting)
    and which ops it adds, read from its config: `ops` (colour only, or 2D geometry + colour) and
    `synthetic_only` (pairs = synthetic)."""
    geometry = trials["aug_order"].astype(str).str.split(">").map(lambda ops: bool(GEOMETRY & set(ops)))
    ops = np.where(geometry, "2D geometry + colour", "colour ops only")
    if "condition" in trials and trials["condition"].notna().all():
        where = trials["condition"].astype(str)
    else:
        where = trials["pairs"].map(SOURCES).fillna(trials["pairs"])
    return trials.assign(source=where + ", " + ops, ops=ops, synthetic_only=trials["pairs"] == "synthetic")


def gains(trials: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Per source of pairs: alpha = 1 minus alpha = 0, paired by seed, with its 95 % CI."""
    t = _sourced(trials)
    rows = []
    for source, group in t.groupby("source", sort=True):
        row = {"source": source}
        for m in metrics:
            d, lo, hi, n = paired_difference(group, "alpha", 1.0, 0.0, m)
            row[m] = with_ci(d, lo, hi, signed=True)
            row["seeds"] = n
        rows.append(row)
    return pd.DataFrame(rows)


def plot(summary: pd.DataFrame, metrics: list[str], path: Path, refs: pd.DataFrame | None = None) -> Path:
    fig, axes = panels(len(metrics), width=5.0, height=3.8)
    sources = sorted(summary.source.unique())
    x = np.arange(len(sources))
    for ax, m in zip(axes, metrics):
        for shift, alpha in ((-0.18, 0.0), (0.18, 1.0)):
            s = summary[summary.alpha == alpha].set_index("source").reindex(sources)
            label = "contrastive only (alpha = 0)" if alpha == 0 else "CIPER (alpha = 1)"
            ax.bar(
                x + shift,
                s[m],
                width=0.36,
                label=label,
                color="0.6" if alpha == 0 else "tab:blue",
                yerr=[s[m] - s[f"{m}_lo"], s[f"{m}_hi"] - s[m]],
                capsize=3,
            )
        draw_bands(ax, refs, m)
        ax.set_xticks(x, [s.replace(", ", "\n").replace(" + ", "\n+ ") for s in sources], fontsize=6)
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("mean over seeds ± 95 % CI")
    axes[0].legend(fontsize=7)
    return save(fig, path)


def comparisons(t: pd.DataFrame) -> list[Comparison]:
    """The declared contrasts (module docstring); t from `_sourced`."""
    out = []
    sources = sorted(t.source.unique())
    for source in sources:
        for m in families.present(t[t.source == source]):
            family = PRIMARY if m in POSE else SECONDARY
            where, tags = {"source": source}, {"compares": "alpha"}
            out.append(Comparison(f"{source}: alpha = 1 vs 0", m, "alpha", 1.0, 0.0, family, where, tags=tags))
    kind = t.drop_duplicates("source").set_index("source")
    for source in sources:
        same_ops = kind.index[(kind.ops == kind.ops[source]) & kind.synthetic_only]
        synthetic = sorted(s for s in same_ops if s != source)
        if kind.synthetic_only[source] or not synthetic:
            continue
        for m in families.present(t, POSE):
            label = f"alpha = 1: {source} vs {synthetic[0]}"
            tags = {"compares": "source"}
            out.append(Comparison(label, m, "source", source, synthetic[0], SECONDARY, {"alpha": 1.0}, tags=tags))
    return out


def judged(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    t = _sourced(trials)
    return families.judge_comparisons(t, comparisons(t), margins)


def analyse(
    trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None, margins=None, **_
) -> list[str]:
    t = _sourced(trials)
    summary = summarise(t, ["source", "alpha"], METRICS)
    metrics = [m for m in ("rot_r2", "quat_r2_mlp", "pose_r2", "object_acc") if m in present(summary, METRICS)]
    table = gains(trials, present(summary, METRICS))
    figure = plot(summary, metrics, out / FIGURE, refs)
    verdicts = judged(trials, margins)
    lines = [
        "## Do natural view changes teach what 2D augmentations cannot?",
        "",
        f"![CIPER against contrastive-only per source of pairs]({figure.name})",
        "",
        families.families_note(verdicts, margins or families.DEFAULT_MARGINS),
        "",
        "Primary, CIPER's gain on the pose read-outs per source of pairs:",
        "",
        *(families.lines(verdicts, PRIMARY, matched=matched_everywhere(trials, refs)) or [NO_PRIMARY]),
        "",
        f"Secondary ({families.summary(verdicts)}):",
        "",
        *families.lines(verdicts, SECONDARY),
        "",
        "CIPER's gain over contrastive-only (alpha = 1 minus alpha = 0, paired by seed, 95 % CI, unadjusted):",
        "",
        table.to_markdown(index=False),
        "",
        with_reference_rows(summary, refs, "source").round(3).to_markdown(index=False),
        "",
    ]
    return lines


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None, margins=None, **_) -> list[str]:
    """CIPER's gain on the pose read-outs for each source of pairs (primary), and time against synthetic pairs."""
    table = judged(trials, margins)
    if table.empty:
        return ["The study needs alpha = 0 and alpha = 1 for at least one source of pairs."]
    between = table[(table.compares == "source") & (table.metric == "rot_r2")]
    return [
        "CIPER's gain over contrastive-only on the pose read-outs, per source of pairs, paired by seed, "
        + (f"Holm across the {n}:" if (n := families.count(table, PRIMARY)) else "no primary contrasts:"),
        "",
        *(families.lines(table, PRIMARY, matched=matched_everywhere(trials, refs)) or [NO_PRIMARY]),
        "",
        *families.lines(between),
        "",
        f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report.",
    ]
