"""Open question 1: how alpha trades invariant against equivariant features.

Primary contrasts (Holm within them): alpha = 1 and alpha = 10 against alpha = 0 on
object_acc, pose_r2 and rot_r2 (the largest alpha stands in where 1 or 10 was not
run). Secondary (Benjamini-Hochberg): every other alpha against 0, and every other
metric. All paired by seed; where the trials span several worlds (alpha_worlds), paired
by (world, seed) with world a random factor (analysis.stats.world_contrast), each
primary contrast is also given world by world, and whether it differs between worlds
(the world x alpha interaction, a secondary family of its own with Benjamini-Hochberg)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from statsmodels.stats.multitest import multipletests

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.fmt import with_ci
from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.references import STYLE, draw_bands, matched_everywhere, with_reference_rows
from analysis.stats import pareto_front, per_world, summarise, these_worlds_contrast, world_interaction

FIGURE = "alpha_metrics.png"  # the key figure (FINDINGS.md shows it)
PRIMARY_ALPHAS = (1.0, 10.0)
PRIMARY_METRICS = ("object_acc", "pose_r2", "rot_r2")


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
    summary: pd.DataFrame, path: Path, invariant="object_acc", equivariant="pose_r2", refs: pd.DataFrame | None = None
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


def primary_alphas(trials: pd.DataFrame) -> list[float]:
    """The alphas of the primary contrasts: 1 and 10 where run, else the largest alpha."""
    run = sorted(float(a) for a in trials.alpha.unique() if a > 0)
    return [a for a in PRIMARY_ALPHAS if a in run] or run[-1:]


def worlds(trials: pd.DataFrame) -> list[int]:
    """The worlds the trials span (one for every study but alpha_worlds)."""
    return sorted(trials.world_seed.dropna().unique().tolist()) if "world_seed" in trials else []


def comparisons(trials: pd.DataFrame) -> list[Comparison]:
    """Every alpha > 0 against alpha = 0 on every metric measured, primary or secondary (module docstring)."""
    main = primary_alphas(trials)
    several = len(worlds(trials)) > 1
    pairing = dict(pair_on=["world_seed", "seed"], random="world_seed") if several else {}
    out = []
    for a in sorted(float(a) for a in trials.alpha.unique() if a > 0):
        for m in families.present(trials):
            family = PRIMARY if a in main and m in PRIMARY_METRICS else SECONDARY
            out.append(Comparison(f"alpha = {a:g} vs 0", m, "alpha", a, 0.0, family, **pairing))
    return out


def paired_how(trials: pd.DataFrame) -> str:
    return families.PAIRED_BY_WORLD if len(worlds(trials)) > 1 else "paired by seed"


def world_lines(trials: pd.DataFrame) -> list[str]:
    """Each primary contrast world by world (paired by seed within a world, unadjusted: where the
    pooled verdict holds, not a test of its own), and whether its sign holds in every world."""
    if len(worlds(trials)) < 2:
        return []
    out = ["World by world (paired by seed within each world), and over these worlds only (world a fixed "
           "block): plain 95 % CIs, not adjusted, read beside the verdict for worlds in general:", ""]  # fmt: skip
    for a in primary_alphas(trials):
        for m in [m for m in PRIMARY_METRICS if m in families.present(trials)]:
            by_world = per_world(trials, "alpha", a, 0.0, m)
            cells = [f"world {w:g} {with_ci(c.diff, c.lo, c.hi, signed=True)} (n={c.n})" for w, c in by_world.items()]
            signs = {(c.diff > 0) - (c.diff < 0) for c in by_world.values()}
            same = "same sign in every world" if len(signs) == 1 else "the sign changes between worlds"
            mu, lo, hi, n, df = these_worlds_contrast(trials, "alpha", a, 0.0, m)
            these = f"these {len(by_world)} worlds together (world fixed, {df} df) {with_ci(mu, lo, hi, signed=True)}"
            out.append(f"- alpha = {a:g} vs 0, {m}: {'; '.join(cells)}; {these}: {same}")
    return out + ["", *interaction_lines(trials)]


def interaction_lines(trials: pd.DataFrame) -> list[str]:
    """Does each primary contrast differ between worlds? The world x alpha interaction (one-way ANOVA
    of the paired differences on world), a declared secondary family, Benjamini-Hochberg across it."""
    tests = [
        (a, m, *world_interaction(trials, "alpha", a, 0.0, m))
        for a in primary_alphas(trials)
        for m in PRIMARY_METRICS
        if m in families.present(trials)
    ]
    tests = [t for t in tests if math.isfinite(t[-1])]
    if not tests:
        return []
    adjusted = multipletests([t[-1] for t in tests], method="fdr_bh")[1]
    cells = [
        f"alpha = {a:g}, {m}: F({df1}, {df2}) = {f:.2f}, p_bh {p_bh:.3f}"
        + (" (the gain differs between worlds)" if p_bh < 0.05 else "")
        for (a, m, f, df1, df2, _), p_bh in zip(tests, adjusted)
    ]
    return [
        f"Does the gain differ between worlds (world x alpha interaction, secondary, Benjamini-Hochberg over "
        f"{len(tests)}): {'; '.join(cells)}.",
        "",
    ]


def judged(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    return families.judge_comparisons(trials, comparisons(trials), margins)


def analyse(
    trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None, margins=None, **_
) -> list[str]:
    summary = summarise(trials, "alpha", METRICS)
    lines = ["## How does alpha trade invariance against equivariance?", ""]
    lines.append(f"![metrics against alpha]({plot_metrics(summary, out / FIGURE, refs).name})")
    equi = "pose_r2" if summary.get("pose_r2", pd.Series(dtype=float)).notna().any() else "aug_r2"
    lines.append(
        f"![trade-off]({plot_tradeoff(summary, out / 'alpha_tradeoff.png', equivariant=equi, refs=refs).name})"
    )
    lines.append("")
    if (trials.alpha == 0).any() and trials.alpha.nunique() > 1:
        table = judged(trials, margins)
        margins = margins or families.DEFAULT_MARGINS
        zero = summary[summary.alpha == 0].iloc[0]
        levels = [f"{m} {with_ci(zero[m], zero[f'{m}_lo'], zero[f'{m}_hi'])}" for m in present(summary, METRICS)]
        lines += [f"Means at alpha = 0 (contrastive only) over seeds, 95 % CI: {'; '.join(levels)}.", ""]
        lines += [families.families_note(table, margins, paired_how(trials)), ""]
        lines += ["Primary, each alpha against alpha = 0:", ""]
        lines += families.lines(table, PRIMARY, matched=matched_everywhere(trials, refs))
        lines += ["", *world_lines(trials)]
        lines += ["", f"Secondary ({families.summary(table)}):", ""]
        lines += families.lines(table, SECONDARY)
    table = with_reference_rows(summary, refs, "alpha")
    lines += ["", table.round(3).to_markdown(index=False), ""]
    return lines


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None, margins=None, **_) -> list[str]:
    """The primary verdicts (alpha = 1 and 10 against 0, paired by seed, Holm), and a count of the secondary ones."""
    if not (trials.alpha == 0).any() or trials.alpha.nunique() < 2:
        return ["The study needs alpha = 0 and at least one alpha > 0 to answer the question."]
    table = judged(trials, margins)
    return [
        f"Primary contrasts against contrastive-only (alpha = 0), {paired_how(trials)}, Holm across the "
        f"{families.count(table, PRIMARY)}:",
        "",
        *families.lines(table, PRIMARY, matched=matched_everywhere(trials, refs)),
        "",
        *world_lines(trials),
        f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report.",
    ]
