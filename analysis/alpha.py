"""Open question 1: how alpha trades invariant against equivariant features."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.references import STYLE, draw_bands, with_reference_rows
from analysis.stats import paired_difference, pareto_front, summarise

FIGURE = "alpha_metrics.png"  # the key figure (FINDINGS.md shows it)


def plot_metrics(summary: pd.DataFrame, path: Path, refs: pd.DataFrame | None = None) -> Path:
    """Each metric against alpha on a log axis; alpha = 0 drawn apart, at the left, as a black square;
    the reference encoders as bands."""
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
        draw_bands(ax, refs, m)
        ax.set_xscale("log")
        ax.set_xlabel("alpha (weight of L_pred, log scale)")
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean over seeds ± 95 % CI")
    axes[0].legend(fontsize=7, loc="lower left")
    return save(fig, path)


def plot_tradeoff(
    summary: pd.DataFrame, path: Path, invariant="object_acc", equivariant="view_r2", refs: pd.DataFrame | None = None
) -> Path:
    """A point per alpha: invariant metric against equivariant metric, Pareto front drawn,
    the reference encoders as crosses."""
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
    if refs is not None and not refs.empty and {invariant, equivariant} <= set(refs):
        for _, r in refs.iterrows():
            ax.plot(r[equivariant], r[invariant], "x", ms=9, mew=2, color=STYLE[r["kind"]]["color"])
            ax.annotate(
                f"{r['kind']} encoder",
                (r[equivariant], r[invariant]),
                xytext=(5, -10),
                textcoords="offset points",
                fontsize=7,
            )
    ax.set_xlabel(f"{LABELS[equivariant]} (equivariant)")
    ax.set_ylabel(f"{LABELS[invariant]} (invariant)")
    ax.set_title("invariance against equivariance, a point per alpha (±95 % CI)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None) -> list[str]:
    summary = summarise(trials, "alpha", METRICS)
    lines = ["## How does alpha trade invariance against equivariance?", ""]
    lines.append(f"![metrics against alpha]({plot_metrics(summary, out / FIGURE, refs).name})")
    equi = "view_r2" if summary.get("view_r2", pd.Series(dtype=float)).notna().any() else "aug_r2"
    lines.append(
        f"![trade-off]({plot_tradeoff(summary, out / 'alpha_tradeoff.png', equivariant=equi, refs=refs).name})"
    )
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
    table = with_reference_rows(summary, refs, "alpha")
    lines += ["", table.round(3).to_markdown(index=False), ""]
    return lines


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None) -> list[str]:
    """The answer in a few sentences: alpha = 1 and the largest alpha against alpha = 0, paired by seed."""
    if not (trials.alpha == 0).any() or trials.alpha.nunique() < 2:
        return ["The study needs alpha = 0 and at least one alpha > 0 to answer the question."]
    high = float(trials.alpha.max())
    mid = 1.0 if (trials.alpha == 1.0).any() else float(sorted(trials.alpha.unique())[1])
    metrics = [
        m
        for m in ("object_acc", "knn_acc", "view_r2", "rot_r2", "aug_r2")
        if trials.get(m) is not None and trials[m].notna().any()
    ]

    def change(a, m):
        d, lo, hi, n = paired_difference(trials, "alpha", a, 0.0, m)
        return f"{m} {d:+.3f} [{lo:+.3f}, {hi:+.3f}]"

    out = [
        f"Against contrastive-only (alpha = 0), paired by seed with 95 % CIs, alpha = {mid:g} changes "
        + "; ".join(change(mid, m) for m in metrics)
        + ".",
        f"At alpha = {high:g}: " + "; ".join(change(high, m) for m in metrics) + ".",
    ]
    return out
