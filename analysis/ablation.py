"""What each head contributes: every variant against contrastive-only, paired by seed.

contrastive / diff and contrastive / concat train the same model (no prediction
head, so its input is unused); they differ only in the read-out of the pair
metrics (rot_r2, aug_r2), which uses h2 - h1 or [h1, h2] like the prediction head.

Primary contrasts (Holm within them): predictive-only and both heads against
contrastive-only, with the paper's input h2 - h1, on object_acc, pose_r2 and rot_r2.
Secondary (Benjamini-Hochberg): the same on every other metric, the [h1, h2] variants
against contrastive-only, each predicting head's [h1, h2] against its h2 - h1, and both heads
against the prediction head alone (what the contrastive head adds; added after the first
10-seed results, so exploratory).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.fmt import with_ci
from analysis.plots import METRICS, plot_conditions, present
from analysis.references import matched_everywhere, reference_lines
from analysis.stats import paired_difference, summarise

FIGURE = "heads.png"  # the key figure (FINDINGS.md shows it)
PRIMARY_METRICS = ("object_acc", "pose_r2", "rot_r2")
PAPER_INPUT = "diff"


def _variants(trials: pd.DataFrame) -> pd.DataFrame:
    return trials.assign(variant=trials.head_mode + " / " + trials.head_input)


def table(trials: pd.DataFrame) -> pd.DataFrame:
    t = _variants(trials)
    rows = []
    for head_input in sorted(t.head_input.unique()):
        base = f"contrastive / {head_input}"
        for variant in sorted(t[t.head_input == head_input].variant.unique()):
            if variant == base:
                continue
            row = {"variant": variant, "baseline": base}
            for m in METRICS:
                if m in t and t[m].notna().any():
                    d, lo, hi, n = paired_difference(t, "variant", variant, base, m)
                    row[m] = with_ci(d, lo, hi, signed=True)
                    row["seeds"] = n
            rows.append(row)
    return pd.DataFrame(rows)


def comparisons(trials: pd.DataFrame) -> list[Comparison]:
    """The declared contrasts (module docstring) among the variants the trials ran."""
    t = _variants(trials)
    variants, metrics = set(t.variant), families.present(t)
    inputs = sorted(t.head_input.unique(), key=lambda i: (i != PAPER_INPUT, i))
    out = []
    for head_input in inputs:
        base = f"contrastive / {head_input}"
        for mode in ("predictive", "both"):
            variant = f"{mode} / {head_input}"
            if {variant, base} <= variants:
                for m in metrics:
                    main = head_input == inputs[0] and m in PRIMARY_METRICS
                    out.append(
                        Comparison(f"{variant} vs {base}", m, "variant", variant, base, PRIMARY if main else SECONDARY)
                    )
    for head_input in inputs:  # what the contrastive head adds to the prediction head (both against predictive)
        a, b = f"both / {head_input}", f"predictive / {head_input}"
        if {a, b} <= variants:
            tags = {"compares": "contrastive head added", "head_mode": "both", "head_input": head_input}
            out += [Comparison(f"{a} vs {b}", m, "variant", a, b, SECONDARY, tags=tags) for m in metrics]
    for mode in ("predictive", "both"):
        for head_input in inputs[1:]:
            a, b = f"{mode} / {head_input}", f"{mode} / {inputs[0]}"
            if {a, b} <= variants:
                tags = {"compares": "head input", "head_mode": mode}
                out += [Comparison(f"{a} vs {b}", m, "variant", a, b, SECONDARY, tags=tags) for m in metrics]
    return out


def judged(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    return families.judge_comparisons(_variants(trials), comparisons(trials), margins)


def analyse(
    trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None, margins=None, **_
) -> list[str]:
    tab = table(trials)
    summary = summarise(_variants(trials), "variant", METRICS)
    metrics = present(summary, METRICS)
    figure = plot_conditions(summary, "variant", metrics, out / FIGURE, refs)
    judged_table = judged(trials, margins)
    return [
        "## What does each head contribute?",
        "",
        f"![metrics per head variant]({figure.name})",
        "",
        families.families_note(judged_table, margins or families.DEFAULT_MARGINS),
        "",
        "Primary:",
        "",
        *families.lines(judged_table, PRIMARY, matched=matched_everywhere(trials, refs)),
        "",
        f"Secondary ({families.summary(judged_table)}):",
        "",
        *families.lines(judged_table, SECONDARY),
        "",
        "Mean difference to contrastive-only with the same read-out (h2 - h1 or [h1, h2]), paired by seed, "
        "with its 95 % CI (unadjusted; the verdicts above carry the adjusted p). contrastive / diff and "
        "contrastive / concat are the same trained model: they differ only in the pair read-out of rot_r2 "
        "and aug_r2.",
        "",
        tab.to_markdown(index=False) if len(tab) else "(no pairs)",
        "",
        "Reference points (same probes):",
        "",
        *reference_lines(refs, metrics),
        "",
    ]


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None, margins=None, **_) -> list[str]:
    """Each head's contribution with the paper's read-out (h2 - h1), and the head input."""
    table = judged(trials, margins)
    if table.empty:
        return ["The study needs contrastive-only and at least one head that predicts."]
    out = [
        f"Primary contrasts, paired by seed, Holm across the {families.count(table, PRIMARY)}:",
        "",
        *families.lines(table, PRIMARY, matched=matched_everywhere(trials, refs)),
        "",
    ]
    if "compares" not in table:
        table = table.assign(compares=None, head_mode=None)
    inputs = table[(table.compares == "head input") & (table.head_mode == "both") & (table.metric == "pose_r2")]
    out += [
        f"The prediction head's input, [h1, h2] against h2 - h1 (secondary, BH): {r.metric} {r.sentence}."
        for r in inputs.itertuples()
    ]
    out += [""] if len(inputs) else []
    added = table[(table.compares == "contrastive head added") & table.metric.isin(PRIMARY_METRICS)]
    added = added[added.head_input == PAPER_INPUT] if "head_input" in added else added.iloc[0:0]
    if len(added):
        out += [
            "Both heads against the prediction head alone, what the contrastive head adds (secondary, BH; "
            "added after the first results, exploratory): "
            + "; ".join(f"{r.metric} {r.sentence}" for r in added.itertuples())
            + ".",
            "",
        ]
    return out + [f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report."]
