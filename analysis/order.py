"""Open question 2: does the order of augmentations matter beyond seed noise?"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plots import LABELS, METRICS, panels, present, save
from analysis.stats import across_conditions, position_effects, summarise


def plot_ranked(summary: pd.DataFrame, metric: str, path: Path) -> Path:
    s = summary.sort_values(metric, ascending=True)
    fig, (ax,) = panels(1, width=6.5, height=0.45 * len(s) + 1.4)
    y = np.arange(len(s))
    ax.errorbar(s[metric], y, xerr=[s[metric] - s[f"{metric}_lo"], s[f"{metric}_hi"] - s[metric]], fmt="o", capsize=3)
    ax.set_yticks(y, s["aug_order"].str.replace(">", " → "), fontsize=8)
    ax.set_xlabel(f"{LABELS[metric]} (mean over seeds ± 95 % CI)")
    ax.set_title(f"augmentation orders ranked by {metric}", fontsize=9)
    ax.grid(alpha=0.3, axis="x")
    return save(fig, path)


def plot_positions(effects: dict[str, pd.DataFrame], path: Path) -> Path:
    metrics = list(effects)
    fig, axes = panels(len(metrics), width=3.4)
    for ax, m in zip(axes, metrics):
        e = effects[m]
        y = np.arange(len(e))
        ax.errorbar(e.per_step, y, xerr=[e.per_step - e.lo, e.hi - e.per_step], fmt="o", capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, e.op)
        ax.set_xlabel(f"change in {m} per position later")
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    return save(fig, path)


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path) -> list[str]:
    summary = summarise(trials, "aug_order", METRICS)
    metrics = present(summary, METRICS)
    lines = ["## Does the order of augmentations matter?", ""]
    main = "aug_r2" if "aug_r2" in metrics else metrics[0]
    lines.append(f"![orders ranked]({plot_ranked(summary, main, out / 'order_ranked.png').name})")
    effects = {m: position_effects(trials, "aug_order", m) for m in metrics}
    if all(e.per_step.notna().any() for e in effects.values()):
        lines.append(f"![position effects]({plot_positions(effects, out / 'order_positions.png').name})")
    else:
        lines.append(
            f"Position effects need more distinct orders than ops ({summary['aug_order'].nunique()} "
            f"orders here); run the cpu or paper preset."
        )
    lines.append("")
    for m in metrics:
        test, stat, p = across_conditions(trials, "aug_order", m)
        if np.isnan(p):
            verdict = "cannot be tested (needs two or more seeds per order)"
        else:
            verdict = (
                "differs across orders beyond seed noise"
                if p < 0.05
                else "does not differ across orders beyond seed noise"
            )
        lines.append(f"- {m} {verdict} ({test} H = {stat:.2f}, p = {p:.3g}, {summary['aug_order'].nunique()} orders).")
    lines += [
        "",
        f"Position effects on {main} (per position later; the last op is the reference):",
        "",
        effects[main].round(4).to_markdown(index=False),
        "",
        summary.round(3).to_markdown(index=False),
        "",
    ]
    return lines
