"""Open question 1: how alpha trades invariant against equivariant features."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.stats import paired_difference, pareto_front, summarise


def plot_metrics(summary: pd.DataFrame, path: Path) -> Path:
    """Each metric against alpha on a log axis; alpha = 0 drawn apart, at the left, as a black square."""
    metrics = present(summary, METRICS)
    fig, axes = panels(len(metrics))
    pos, zero = summary[summary.alpha > 0], summary[summary.alpha == 0]
    x0 = pos.alpha.min() / 10 if len(pos) else 1e-3
    for ax, m in zip(axes, metrics):
        errorbar(ax, pos.alpha, pos, m, marker="o", label="CIPER (alpha > 0)")
        if len(zero):
            errorbar(
                ax,
                [x0],
                zero,
                m,
                marker="s",
                color="black",
                linestyle="none",
                label="contrastive only (alpha = 0, drawn at left)",
            )
            ax.axhline(float(zero[m].iloc[0]), color="black", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("alpha (weight of L_pred, log scale)")
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean over seeds ± 95 % CI")
    axes[0].legend(fontsize=7, loc="lower left")
    return save(fig, path)


def plot_tradeoff(summary: pd.DataFrame, path: Path, invariant="object_acc", equivariant="view_r2") -> Path:
    """A point per alpha: invariant metric against equivariant metric, Pareto front drawn."""
    fig, (ax,) = panels(1, width=5.2, height=4.4)

    def half_widths(m):
        return [summary[m] - summary[f"{m}_lo"], summary[f"{m}_hi"] - summary[m]]

    ax.errorbar(
        summary[equivariant],
        summary[invariant],
        xerr=half_widths(equivariant),
        yerr=half_widths(invariant),
        fmt="o",
        capsize=3,
        color="tab:blue",
    )
    for _, r in summary.iterrows():
        ax.annotate(
            f"α={r.alpha:g}", (r[equivariant], r[invariant]), textcoords="offset points", xytext=(5, 4), fontsize=8
        )
    front = pareto_front(summary[equivariant], summary[invariant])
    ax.plot(
        summary[equivariant].to_numpy()[front],
        summary[invariant].to_numpy()[front],
        "--",
        color="tab:red",
        label="Pareto front",
    )
    ax.set_xlabel(f"{LABELS[equivariant]} (equivariant)")
    ax.set_ylabel(f"{LABELS[invariant]} (invariant)")
    ax.set_title("invariance against equivariance, a point per alpha (±95 % CI)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path) -> list[str]:
    summary = summarise(trials, "alpha", METRICS)
    lines = ["## How does alpha trade invariance against equivariance?", ""]
    lines.append(f"![metrics against alpha]({plot_metrics(summary, out / 'alpha_metrics.png').name})")
    equi = "view_r2" if summary.get("view_r2", pd.Series(dtype=float)).notna().any() else "aug_r2"
    lines.append(f"![trade-off]({plot_tradeoff(summary, out / 'alpha_tradeoff.png', equivariant=equi).name})")
    lines.append("")
    if (trials.alpha == 0).any():
        for m in present(summary, METRICS):
            best = summary.loc[summary[m].idxmax()]
            d, lo, hi, n = paired_difference(trials, "alpha", best.alpha, 0.0, m)
            z = summary[summary.alpha == 0].iloc[0]
            lines.append(
                f"- {m}: {z[m]:.3f} at alpha = 0 (95 % CI {z[f'{m}_lo']:.3f}..{z[f'{m}_hi']:.3f}); "
                f"best {best[m]:.3f} at alpha = {best.alpha:g}, a paired change of {d:+.3f} "
                f"(CI {lo:+.3f}..{hi:+.3f}, {n} seeds)."
            )
    lines += ["", summary.round(3).to_markdown(index=False), ""]
    return lines
