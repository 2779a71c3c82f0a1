"""What each head contributes: every variant against contrastive-only, paired by seed.

contrastive / diff and contrastive / concat train the same model (no prediction
head, so its input is unused); they differ only in the read-out of the pair
metrics (rot_r2, aug_r2), which uses h2 - h1 or [h1, h2] like the prediction head.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import METRICS, plot_conditions, present
from analysis.references import reference_lines
from analysis.stats import paired_difference, summarise

FIGURE = "heads.png"  # the key figure (FINDINGS.md shows it)


def _variants(trials: pd.DataFrame) -> pd.DataFrame:
    return trials.assign(variant=trials.head_mode + " / " + trials.head_input)


def table(trials: pd.DataFrame) -> pd.DataFrame:
    t = _variants(trials)
    rows = []
    for head_input in sorted(t.head_input.unique()):
        base = f"contrastive / {head_input}"
        for variant in sorted(t.variant.unique()):
            if variant == base or not variant.endswith(head_input):
                continue
            row = {"variant": variant, "baseline": base}
            for m in METRICS:
                if m in t and t[m].notna().any():
                    d, lo, hi, n = paired_difference(t, "variant", variant, base, m)
                    row[m] = f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                    row["seeds"] = n
            rows.append(row)
    return pd.DataFrame(rows)


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None) -> list[str]:
    tab = table(trials)
    summary = summarise(_variants(trials), "variant", METRICS)
    metrics = present(summary, METRICS)
    figure = plot_conditions(summary, "variant", metrics, out / FIGURE, refs)
    return [
        "## What does each head contribute?",
        "",
        f"![metrics per head variant]({figure.name})",
        "",
        "Mean difference to contrastive-only with the same read-out (h2 - h1 or [h1, h2]), paired by seed, "
        "with its 95 % CI. contrastive / diff and contrastive / concat are the same trained model: "
        "they differ only in the pair read-out of rot_r2 and aug_r2.",
        "",
        tab.to_markdown(index=False) if len(tab) else "(no pairs)",
        "",
        "Reference points (same probes):",
        "",
        *reference_lines(refs, metrics),
        "",
    ]


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None) -> list[str]:
    """Each head's contribution with the paper's read-out (h2 - h1)."""
    t = _variants(trials)
    out = []
    for variant, what in (("predictive / diff", "The prediction head alone"), ("both / diff", "Both heads (CIPER)")):
        if variant not in set(t.variant) or "contrastive / diff" not in set(t.variant):
            continue
        parts = []
        for m in ("object_acc", "knn_acc", "view_r2", "rot_r2"):
            if m in t and t[m].notna().any():
                d, lo, hi, n = paired_difference(t, "variant", variant, "contrastive / diff", m)
                parts.append(f"{m} {d:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        out.append(f"{what} against contrastive-only (paired, 95 % CI): " + "; ".join(parts) + ".")
    if {"both / diff", "both / concat"} <= set(t.variant):
        d, lo, hi, n = paired_difference(t, "variant", "both / concat", "both / diff", "view_r2")
        out.append(
            f"Feeding the prediction head [h1, h2] instead of h2 - h1 changes view_r2 by "
            f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]."
        )
    return out
