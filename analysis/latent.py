"""Open question 3: how the latent dimension matters, alpha = 0 against alpha > 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.references import STYLE, with_reference_rows
from analysis.stats import paired_difference, summarise

FIGURE = "latent_dim.png"  # the key figure (FINDINGS.md shows it)


def plot(summary: pd.DataFrame, path: Path, refs: pd.DataFrame | None = None) -> Path:
    """Each metric against the latent dimension, a line per alpha; the reference encoders
    (one per latent dimension) as dashed lines."""
    metrics = present(summary, METRICS)
    fig, axes = panels(len(metrics))
    for ax, m in zip(axes, metrics):
        for alpha, s in summary.groupby("alpha"):
            label = "contrastive only (alpha = 0)" if alpha == 0 else f"CIPER (alpha = {alpha:g})"
            errorbar(ax, s.latent_dim, s, m, marker="o", label=label, color="black" if alpha == 0 else None)
        if refs is not None and not refs.empty and "latent_dim" in refs and m in refs:
            for kind, r in refs.sort_values("latent_dim").groupby("kind", sort=False):
                ax.plot(r.latent_dim, r[m], "--", marker="x", color=STYLE[kind]["color"], label=f"{kind} encoder")
                ax.fill_between(r.latent_dim, r[f"{m}_lo"], r[f"{m}_hi"], color=STYLE[kind]["color"], alpha=0.12)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("latent dimension (log2 axis)")
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean over seeds ± 95 % CI")
    axes[0].legend(fontsize=7)
    return save(fig, path)


def slopes(summary: pd.DataFrame, metric: str) -> dict[float, float]:
    """Change in the metric per doubling of the latent dimension, per alpha (a line fit)."""
    return {
        alpha: float(np.polyfit(np.log2(s.latent_dim), s[metric], 1)[0])
        for alpha, s in summary.groupby("alpha")
        if len(s) >= 2 and s[metric].notna().all()
    }


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None) -> list[str]:
    summary = summarise(trials, ["alpha", "latent_dim"], METRICS)
    lines = [
        "## How does the latent dimension matter?",
        "",
        f"![metrics against latent dimension]({plot(summary, out / FIGURE, refs).name})",
        "",
    ]
    for m in present(summary, METRICS):
        for alpha, slope in slopes(summary, m).items():
            s = summary[summary.alpha == alpha]
            best = s.loc[s[m].idxmax()]
            lines.append(
                f"- {m}, alpha = {alpha:g}: {slope:+.3f} per doubling; best {best[m]:.3f} "
                f"(CI {best[f'{m}_lo']:.3f}..{best[f'{m}_hi']:.3f}) at {int(best.latent_dim)}."
            )
    table = with_reference_rows(summary, refs, "alpha")
    lines += ["", table.round(3).to_markdown(index=False), ""]
    return lines


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None) -> list[str]:
    """Slopes per doubling, and CIPER's gain at the smallest and largest dimension."""
    summary = summarise(trials, ["alpha", "latent_dim"], METRICS)
    dims = sorted(trials.latent_dim.unique())
    out = []
    for m in ("object_acc", "view_r2", "rot_r2"):
        if m not in summary or summary[m].isna().all():
            continue
        per = slopes(summary, m)
        if per:
            out.append(
                f"{m} changes by " + ", ".join(f"{v:+.3f} per doubling at alpha = {a:g}" for a, v in per.items()) + "."
            )
    if {0.0, 1.0} <= set(trials.alpha) and len(dims) >= 2:
        for m in ("view_r2", "object_acc"):
            gains = []
            for d in (dims[0], dims[-1]):
                t = trials[trials.latent_dim == d]
                g, lo, hi, n = paired_difference(t, "alpha", 1.0, 0.0, m)
                gains.append(f"{g:+.3f} [{lo:+.3f}, {hi:+.3f}] at {int(d)}")
            out.append(f"CIPER's {m} change against contrastive-only (paired, 95 % CI): " + ", ".join(gains) + ".")
    return out
