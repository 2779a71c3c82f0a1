"""Open question 3: how the latent dimension matters, alpha = 0 against alpha > 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.stats import summarise


def plot(summary: pd.DataFrame, path: Path) -> Path:
    metrics = present(summary, METRICS)
    fig, axes = panels(len(metrics))
    for ax, m in zip(axes, metrics):
        for alpha, s in summary.groupby("alpha"):
            label = "contrastive only (alpha = 0)" if alpha == 0 else f"CIPER (alpha = {alpha:g})"
            errorbar(ax, s.latent_dim, s, m, marker="o", label=label, color="black" if alpha == 0 else None)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("latent dimension (log2 axis)")
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean over seeds ± 95 % CI")
    axes[0].legend(fontsize=7)
    return save(fig, path)


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path) -> list[str]:
    summary = summarise(trials, ["alpha", "latent_dim"], METRICS)
    lines = [
        "## How does the latent dimension matter?",
        "",
        f"![metrics against latent dimension]({plot(summary, out / 'latent_dim.png').name})",
        "",
    ]
    for m in present(summary, METRICS):
        for alpha, s in summary.groupby("alpha"):
            if len(s) >= 2:
                slope = np.polyfit(np.log2(s.latent_dim), s[m], 1)[0]
                best = s.loc[s[m].idxmax()]
                lines.append(
                    f"- {m}, alpha = {alpha:g}: {slope:+.3f} per doubling; best {best[m]:.3f} "
                    f"(CI {best[f'{m}_lo']:.3f}..{best[f'{m}_hi']:.3f}) at {int(best.latent_dim)}."
                )
    lines += ["", summary.round(3).to_markdown(index=False), ""]
    return lines
