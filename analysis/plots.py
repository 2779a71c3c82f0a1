"""Shared plotting: metric panels with 95 % CI error bars, saved as PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

import ciper.probes

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "object_acc": "object accuracy (linear probe)",
    "session_acc": "session accuracy (linear probe)",
    "view_r2": "view-parameter R² (linear read-out)",
    "rot_r2": "relative 3D rotation R² (pair features)",
    "aug_r2": "augmentation-parameter R² (linear)",
    "knn_acc": "object accuracy (kNN)",
}
METRICS = list(ciper.probes.METRICS)


def present(summary, metrics):
    return [m for m in metrics if m in summary and summary[m].notna().any()]


def panels(n: int, width: float = 3.7, height: float = 3.4):
    fig, axes = plt.subplots(1, n, figsize=(width * n, height), squeeze=False)
    return fig, list(axes[0])


def errorbar(ax, x, summary, metric, **kw):
    y = summary[metric]
    ax.errorbar(x, y, yerr=[y - summary[f"{metric}_lo"], summary[f"{metric}_hi"] - y], capsize=3, **kw)


def save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
