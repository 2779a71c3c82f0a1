"""Open question 3: how the latent dimension matters, alpha = 0 against alpha > 0.

A linear probe on more features gains even when the features are random, so a slope
per doubling of the latent dimension says little by itself: the untrained encoder's
slope is the reference. Each seed gives its own slope (OLS on log2(latent_dim),
analysis.linear.seed_slopes); a slope's verdict is the t over the seeds' slopes, and
two slopes are compared paired by seed, so n is the number of seeds and df = n - 1.

Primary contrasts (Holm within them): the slope per doubling of each trained model
(alpha = 0, alpha = 1) minus the untrained encoder's (the interaction, from the study's
untrained reference trials), on object_acc, pose_r2 and rot_r2. Secondary
(Benjamini-Hochberg): each slope on its own, alpha = 1's slope minus alpha = 0's,
the other metrics, and CIPER's gain over contrastive-only at the smallest and the
largest dimension. Exploratory (added after the first results; BH within them): the
curvature of each primary metric, the middle width's value minus the straight line
through the smallest and largest widths, where a slope summarises a bent curve."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.linear import seed_slopes
from analysis.plots import LABELS, METRICS, errorbar, panels, present, save
from analysis.references import STYLE, with_reference_rows
from analysis.stats import paired_contrast, summarise
from ciper.study.spec import DEFAULT_MARGINS, margin_of

FIGURE = "latent_dim.png"  # the key figure (FINDINGS.md shows it)
PRIMARY_METRICS = ("object_acc", "pose_r2", "rot_r2")
EXPLORATORY = "exploratory"  # curvature: a family of its own, added after the first results


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


def _row(label: str, metric: str, family: str, treated: pd.Series, baseline: pd.Series, margins) -> dict:
    """treated - baseline, each a value per seed, paired by seed (a baseline of zeros: a one-sample t)."""
    sides = pd.concat([treated.rename("treated"), baseline.rename("baseline")], axis=1).dropna()
    long = sides.rename_axis("seed").reset_index().melt("seed", var_name="side", value_name=metric)
    r = paired_contrast(long, "side", "treated", "baseline", metric, "seed", margin_of(margins, metric))
    return {"label": label, "metric": metric, "family": family, **r._asdict()}


def _slopes(t: pd.DataFrame, metric: str) -> pd.Series:
    return seed_slopes(t, "latent_dim", metric)


def _curvature(t: pd.DataFrame, metric: str) -> pd.Series:
    """Per seed, the metric at the middle width minus the straight line (on log2 width) through the
    smallest and the largest width, read at the middle width: 0 where the curve is straight."""
    dims = sorted(t.latent_dim.unique())
    lo, mid, hi = dims[0], dims[len(dims) // 2], dims[-1]
    by_seed = t.pivot_table(index="seed", columns="latent_dim", values=metric)
    w = (math.log2(mid) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))
    return by_seed[mid] - ((1 - w) * by_seed[lo] + w * by_seed[hi])


SLOPES = (
    "Slopes are changes per doubling of the latent dimension: each seed's own OLS slope on log2 latent_dim, "
    "the t over the seeds' slopes (95 % CI; n counts the seeds), two slopes paired by seed; the margins "
    "apply per doubling. (Declared as one OLS fit over all trials with an intercept per seed; changed to "
    "per-seed slopes after the first results, since the seeds, not the trials, are the replicates: see "
    "studies/latent_dim.py.)"
)
AXES = ("rot_r2/drot_x", "rot_r2/drot_y", "rot_r2/drot_z")  # z is the view axis: drot_z turns in the image plane


def axis_lines(trials: pd.DataFrame) -> list[str]:
    """rot_r2 axis by axis at each width: whether a rot_r2 slope reads the turn in depth or in the plane."""
    if not set(AXES) <= set(trials.columns):
        return []
    means = trials.groupby(["alpha", "latent_dim"])[list(AXES)].mean()
    out = ["", "rot_r2 axis by axis (mean over seeds at each width; x and y turn in depth, z in the image plane):", ""]
    for alpha, rows in means.groupby(level="alpha"):
        widths = "/".join(str(int(d)) for d in rows.index.get_level_values("latent_dim"))
        axes = "; ".join(f"{a.split('/')[1]} " + " / ".join(f"{v:.3f}" for v in rows[a]) for a in AXES)
        out.append(f"- alpha = {alpha:g}, widths {widths}: {axes}")
    return out


def curvature_lines(table: pd.DataFrame) -> list[str]:
    """The exploratory curvature rows: where a straight line on log2 width misdescribes a metric."""
    if not len(table) or not (table.family == EXPLORATORY).any():
        return []
    return [
        "",
        f"Curvature at the middle width (exploratory, added after the first results; BH over these "
        f"{families.count(table, EXPLORATORY)}): the "
        "middle width's value minus the straight line through the smallest and the largest width, per seed. "
        "Where it differs, the curve bends and its slope summarises a bent curve:",
        "",
        *families.lines(table, EXPLORATORY),
    ]


def judged(trials: pd.DataFrame, ref_rows: pd.DataFrame | None = None, margins: dict | None = None) -> pd.DataFrame:
    """The declared contrasts (module docstring), adjusted, with a verdict each."""
    margins = DEFAULT_MARGINS if margins is None else margins
    base = untrained(ref_rows)
    alphas = sorted(float(a) for a in trials.alpha.unique())
    rows = []
    zero = pd.Series(0.0, index=sorted(trials.seed.unique()))  # the baseline of a one-sample t
    for m in families.present(trials):
        has_base = m in base and base[m].notna().any() and base.latent_dim.nunique() > 1
        for a in alphas:
            t = trials[trials.alpha == a]
            if has_base:
                family = PRIMARY if m in PRIMARY_METRICS else SECONDARY
                label = f"slope, alpha = {a:g} minus untrained encoder"
                rows.append(_row(label, m, family, _slopes(t, m), _slopes(base, m), margins))
            rows.append(_row(f"slope, alpha = {a:g}", m, SECONDARY, _slopes(t, m), zero, margins))
        if has_base:
            rows.append(_row("slope, untrained encoder", m, SECONDARY, _slopes(base, m), zero, margins))
        if {0.0, 1.0} <= set(alphas):
            a1, a0 = trials[trials.alpha == 1.0], trials[trials.alpha == 0.0]
            rows.append(_row("slope, alpha = 1 minus alpha = 0", m, SECONDARY, _slopes(a1, m), _slopes(a0, m), margins))
    if trials.latent_dim.nunique() >= 3:
        groups = [(f"alpha = {a:g}", trials[trials.alpha == a]) for a in alphas]
        if not base.empty and base.latent_dim.nunique() >= 3:
            groups.append(("untrained encoder", base))
        for m in [m for m in PRIMARY_METRICS if m in trials]:
            for name, t in [(name, t) for name, t in groups if m in t and t[m].notna().any()]:
                rows.append(_row(f"curvature, {name}", m, EXPLORATORY, _curvature(t, m), zero, margins))
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
        SLOPES,
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
    lines += curvature_lines(table) + axis_lines(trials)
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
    out += ["", f"Secondary (Benjamini-Hochberg): {families.summary(table)}; the list is in the report."]
    return [SLOPES, "", *out, *curvature_lines(table), *axis_lines(trials)]
