"""What each head contributes: every variant against contrastive-only, paired by seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import METRICS
from analysis.stats import paired_difference


def table(trials: pd.DataFrame) -> pd.DataFrame:
    t = trials.copy()
    t["variant"] = t.head_mode + " / " + t.head_input
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


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path) -> list[str]:
    tab = table(trials)
    return [
        "## What does each head contribute?",
        "",
        "Mean difference to contrastive-only with the same read-out (h2 - h1 or [h1, h2]), paired by seed, "
        "with its 95 % CI:",
        "",
        tab.to_markdown(index=False) if len(tab) else "(no pairs)",
        "",
    ]
