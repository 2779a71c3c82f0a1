"""Training curves of the best trials."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import panels, save


def plot_best(
    trials: pd.DataFrame,
    epochs: pd.DataFrame,
    metric: str,
    path: Path,
    k: int = 3,
    label_cols: tuple = ("alpha", "latent_dim", "head_mode", "aug_order", "seed"),
) -> Path | None:
    if epochs.empty or metric not in trials or "loss" not in epochs:
        return None
    best = trials.dropna(subset=[metric]).nlargest(k, metric)
    cols = [c for c in ("loss", "loss_con", "loss_pred") if c in epochs and epochs[c].notna().any()]
    fig, axes = panels(len(cols), width=3.8, height=3.2)
    for _, t in best.iterrows():
        h = epochs[epochs.trial_id == t.trial_id].sort_values("epoch")
        varied = [c for c in label_cols if c in trials and trials[c].astype(str).nunique() > 1]
        label = ", ".join(f"{c}={t[c]}" for c in varied) or t.trial_id
        for ax, c in zip(axes, cols):
            ax.plot(h.epoch, h[c], marker=".", label=label)
    for ax, c in zip(axes, cols):
        ax.set_xlabel("epoch")
        ax.set_ylabel(c)
        ax.set_title(f"{c} of the {k} best trials by {metric}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    return save(fig, path)
