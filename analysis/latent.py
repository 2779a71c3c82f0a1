"""Open question 3: how the latent dimension matters, alpha = 0 against alpha > 0.

A linear probe on more features gains even when the features are random, so a slope
per doubling of the latent dimension says little by itself: the untrained encoder's
slope is the reference. Slopes are OLS fits on log2(latent_dim) with one intercept per
seed (analysis.linear), with 95 % CIs.

Primary contrasts (Holm within them): the slope per doubling of each trained model
(alpha = 0, alpha = 1) minus the untrained encoder's (the interaction, from the study's
untrained reference trials), on object_acc, pose_r2 and rot_r2. Secondary
(Benjamini-Hochberg): each slope on its own, alpha = 1's slope minus alpha = 0's,
the other metrics, and CIPER's gain over contrastive-only at the smallest and the
largest dimension."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.linear import slope, slope_interaction
from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.references import STYLE, with_reference_rows
from analysis.stats import summarise
from ciper.study.spec import DEFAULT_MARGINS, margin_of

FIGURE = "latent_dim.png"  # the key figure (FINDINGS.md shows it)
PRIMARY_METRICS = ("object_acc", "pose_r2", "rot_r2")


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


def untrained(ref_rows: pd.DataFrame | None) -> pd.DataFrame:
    """The untrained reference trials (one per seed and latent dimension), or an empty table."""
    if ref_rows is None or ref_rows.empty or "latent_dim" not in ref_rows:
        return pd.DataFrame()
    kind = ref_rows["kind"] if "kind" in ref_rows else ref_rows.get("method")
    return ref_rows[kind == "untrained"]


def _seeds(*tables) -> int:
    """n of a slope's verdict: the seeds it is fitted over (each seed gives a line over the dimensions)."""
    return min(int(t.seed.nunique()) for t in tables)


def _slope_row(label, metric, family, t, margins) -> dict:
    s = slope(t, "latent_dim", metric)
    return families.estimate_row(
        label, metric, family, s.slope, s.lo, s.hi, s.p, _seeds(t), s.df, margin_of(margins, metric)
    )


def _interaction_row(label, metric, family, a, b, names, margins) -> dict:
    """slope(a) - slope(b) per doubling: a and b are tables of trials, names their group labels."""
    both = pd.concat([a.assign(model=names[0]), b.assign(model=names[1])], ignore_index=True)
    r = slope_interaction(both, "latent_dim", metric, "model", reference=names[1])
    return families.estimate_row(
        label, metric, family, r.difference, r.lo, r.hi, r.p, _seeds(a, b), r.df, margin_of(margins, metric)
    )


def judged(trials: pd.DataFrame, ref_rows: pd.DataFrame | None = None, margins: dict | None = None) -> pd.DataFrame:
    """The declared contrasts (module docstring), adjusted, with a verdict each."""
    margins = DEFAULT_MARGINS if margins is None else margins
    base = untrained(ref_rows)
    alphas = sorted(float(a) for a in trials.alpha.unique())
    rows = []
    for m in families.present(trials):
        has_base = m in base and base[m].notna().any() and base.latent_dim.nunique() > 1
        for a in alphas:
            t = trials[trials.alpha == a]
            if has_base:
                family = PRIMARY if m in PRIMARY_METRICS else SECONDARY
                label = f"slope, alpha = {a:g} minus untrained encoder"
                rows.append(_interaction_row(label, m, family, t, base, ("trained", "untrained"), margins))
            rows.append(_slope_row(f"slope, alpha = {a:g}", m, SECONDARY, t, margins))
        if has_base:
            rows.append(_slope_row("slope, untrained encoder", m, SECONDARY, base, margins))
        if {0.0, 1.0} <= set(alphas):
            a1, a0 = trials[trials.alpha == 1.0], trials[trials.alpha == 0.0]
            rows.append(_interaction_row("slope, alpha = 1 minus alpha = 0", m, SECONDARY, a1, a0, (1.0, 0.0), margins))
    dims = sorted(trials.latent_dim.unique())
    if {0.0, 1.0} <= set(alphas) and len(dims) >= 2:
        for d in (dims[0], dims[-1]):
            for m in families.present(trials):
                c = Comparison(
                    f"alpha = 1 vs 0 at latent_dim {int(d)}", m, "alpha", 1.0, 0.0, SECONDARY, {"latent_dim": d}
                )
                rows.append(families.contrast_row(trials, c, margins))
    return families.judge(rows)


def analyse(
    trials: pd.DataFrame,
    epochs: pd.DataFrame,
    out: Path,
    refs: pd.DataFrame | None = None,
    margins=None,
    ref_rows: pd.DataFrame | None = None,
    **_,
) -> list[str]:
    summary = summarise(trials, ["alpha", "latent_dim"], METRICS)
    table = judged(trials, ref_rows, margins)
    lines = [
        "## How does the latent dimension matter?",
        "",
        f"![metrics against latent dimension]({plot(summary, out / FIGURE, refs).name})",
        "",
        "Slopes are changes per doubling of the latent dimension (OLS on log2 latent_dim, one intercept "
        "per seed, 95 % CI; n counts the seeds); the margins apply per doubling.",
        "",
        families.families_note(table, margins or DEFAULT_MARGINS),
        "",
        "Primary: the trained model's slope minus the untrained encoder's:",
        "",
        *(
            families.lines(table, PRIMARY)
            or ["- (no untrained reference trials: the primary contrasts cannot be computed)"]
        ),
        "",
        f"Secondary ({families.summary(table)}):",
        "",
        *families.lines(table, SECONDARY),
    ]
    for m in present(summary, METRICS):
        for alpha, s in summary.groupby("alpha"):
            best = s.loc[s[m].idxmax()]
            lines.append(
                f"- {m}, alpha = {alpha:g}: highest mean {best[m]:.3f} "
                f"(CI {best[f'{m}_lo']:.3f}..{best[f'{m}_hi']:.3f}) at {int(best.latent_dim)}."
            )
    table = with_reference_rows(summary, refs, "alpha")
    lines += ["", table.round(3).to_markdown(index=False), ""]
    return lines


def verdict(
    trials: pd.DataFrame, refs: pd.DataFrame | None = None, margins=None, ref_rows: pd.DataFrame | None = None, **_
) -> list[str]:
    """The slope differences against the untrained encoder (primary), the slopes themselves for scale."""
    table = judged(trials, ref_rows, margins)
    if table.empty:
        return ["The study needs two or more latent dimensions."]
    slopes = table[table.label.str.match(r"^slope, (alpha = [^ ]+|untrained encoder)$")]
    slopes = slopes[slopes.metric.isin(PRIMARY_METRICS)]
    out = [
        "Per doubling of the latent dimension, the trained model's slope minus the untrained encoder's "
        f"(primary, Holm across the {families.count(table, PRIMARY)}):",
        "",
        *(
            families.lines(table, PRIMARY)
            or ["- no untrained reference trials: the primary contrasts cannot be computed"]
        ),
        "",
        "The slopes themselves (secondary, BH): "
        + "; ".join(f"{r.label.removeprefix('slope, ')}, {r.metric} {r.sentence}" for r in slopes.itertuples())
        + ".",
    ]
    return out + ["", f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report."]
