"""Shared plotting: metric panels with 95 % CI error bars, saved as PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

import ciper.metrics

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METRICS = list(ciper.metrics.METRICS)
LABELS = ciper.metrics.LABELS


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


def plot_conditions(summary, label: str, metrics: list[str], path: Path, refs=None, hue: str | None = None) -> Path:
    """One panel per metric: a row per condition (mean ± 95 % CI), a colour per `hue` value,
    the reference encoders as vertical bands."""
    from analysis.references import draw_bands  # plots are shared; references use them

    labels = list(dict.fromkeys(summary[label].astype(str)))
    hues = list(dict.fromkeys(summary[hue])) if hue else [None]
    fig, axes = panels(len(metrics), width=3.6, height=0.42 * len(labels) + 1.6)
    for ax, m in zip(axes, metrics):
        for i, h in enumerate(hues):
            s = summary if h is None else summary[summary[hue] == h]
            y = [labels.index(v) + 0.18 * (i - (len(hues) - 1) / 2) for v in s[label].astype(str)]
            ax.errorbar(
                s[m],
                y,
                xerr=[s[m] - s[f"{m}_lo"], s[f"{m}_hi"] - s[m]],
                fmt="o",
                capsize=3,
                label=None if h is None else f"{hue} = {h}",
            )
        draw_bands(ax, refs, m, vertical=True)
        ax.set_yticks(range(len(labels)), labels if ax is axes[0] else [""] * len(labels), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(fontsize=7, loc="best")
    return save(fig, path)
