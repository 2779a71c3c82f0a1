"""Does the alpha contrast hold at a longer budget? The budget study's trials (alpha 0 and 1 at k
times the preset's epochs, so k times the cosine schedule's length) beside the alpha study's of
the same world, seeds and config but for the epochs: each primary contrast at both budgets,
paired by seed within its study, and how it changes with the budget (the budget x alpha
interaction). The change is Welch's unpaired difference of the two studies' per-seed contrasts: a
seed number shares its initial weights across budgets but not the schedule or the batches the
schedule meets, so pairing by it across studies would claim a correlation nothing guarantees.
Plain 95 % CIs, unadjusted (exploratory), read beside the study's own verdicts (its report: Holm
over its primaries). Also the learning curves of both budgets, on the fraction of training done."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy import stats

from analysis.alpha import PRIMARY_METRICS
from analysis.fmt import with_ci
from analysis.plots import panels, save
from analysis.stats import mean_ci
from ciper.config import Config

FIGURE = "budget_curves.png"
CONTRAST = (1.0, 0.0)  # CIPER (alpha = 1) against contrastive-only (alpha = 0)
LOSSES = ("loss_con", "loss_pred")


def same_but_epochs(long: pd.DataFrame, short: pd.DataFrame) -> pd.DataFrame:
    """The short study's trials at the long study's alphas and seeds whose config equals a long
    trial's in every field but epochs (and the fields a trial never shares: seed, threads, device)."""
    fields = [f for f in Config.__dataclass_fields__ if f not in ("epochs", "seed", "threads", "device")]
    fields = [f for f in fields if f in long and f in short]
    key = lambda t: t[fields].map(str).agg("|".join, axis=1)
    wanted = set(key(long))
    short = short[short.seed.isin(long.seed.unique())]
    return short[key(short).isin(wanted)] if len(short) else short


def _contrast(trials: pd.DataFrame, metric: str) -> pd.Series:
    """alpha 1 minus alpha 0, per seed (the seeds that ran both)."""
    by_seed = trials.pivot_table(index="seed", columns="alpha", values=metric)
    return (by_seed[CONTRAST[0]] - by_seed[CONTRAST[1]]).dropna()


def change(at_long: pd.Series, at_short: pd.Series) -> str:
    """The long budget's contrast minus the short one's, Welch's 95 % CI (two separate studies)."""
    diff = at_long.mean() - at_short.mean()
    if min(len(at_long), len(at_short)) < 2:
        return f"{diff:+.3f} (no interval from fewer than 2 seeds a side)"
    if at_long.std() == 0 and at_short.std() == 0:
        return f"{diff:+.3f} (no spread in either study: no interval)"
    test = stats.ttest_ind(at_long, at_short, equal_var=False)
    ci = test.confidence_interval()
    return f"{with_ci(diff, ci.low, ci.high, signed=True)} (Welch, {test.df:.1f} df, p {test.pvalue:.2g})"


def budget_lines(long: pd.DataFrame, short: pd.DataFrame) -> list[str]:
    """Each primary metric at both budgets: the levels, the contrast at each, and its change."""
    short = same_but_epochs(long, short)
    if short.empty:
        return ["No trials of the alpha study share this study's config but for the epochs: nothing to compare."]
    e_long, e_short = int(long.epochs.iloc[0]), int(short.epochs.iloc[0])
    out = [
        f"Against the alpha study's trials at {e_short} epochs (same world, seeds and config; each contrast paired "
        f"by seed within its study, the change unpaired; plain 95 % CIs, not adjusted, exploratory: whether each "
        f"primary contrast holds at {e_long / e_short:g}x the budget and the schedule's length):",
        "",
    ]
    for m in [m for m in PRIMARY_METRICS if m in long and long[m].notna().any()]:
        levels = [
            f"alpha = {a:g} {short[short.alpha == a][m].mean():.3f} at {e_short} epochs, "
            f"{long[long.alpha == a][m].mean():.3f} at {e_long}"
            for a in CONTRAST[::-1]
        ]
        at_short, at_long = _contrast(short, m), _contrast(long, m)
        cells = [
            f"contrast at {e_short} epochs {with_ci(*mean_ci(at_short), signed=True)} (n={len(at_short)})",
            f"at {e_long} {with_ci(*mean_ci(at_long), signed=True)} (n={len(at_long)})",
            f"change with the budget {change(at_long, at_short)}",
        ]
        out.append(f"- {m}: {'; '.join(levels)}; {'; '.join(cells)}")
    return out + [""]


def plot_curves(long_epochs: pd.DataFrame, short_epochs: pd.DataFrame, path: Path) -> Path | None:
    """loss_con and loss_pred (mean over seeds) per alpha against the fraction of training done, a
    solid line for the long budget and a dashed one for the short."""
    frames = [(e, style) for e, style in ((long_epochs, "-"), (short_epochs, "--")) if not e.empty]
    cols = [c for c in LOSSES if any(c in e and e[c].notna().any() for e, _ in frames)]
    if not cols:
        return None
    fig, axes = panels(len(cols), width=4.2, height=3.4)
    for e, style in frames:
        total = int(e.epoch.max())
        for a, color in zip(CONTRAST[::-1], ("black", "tab:blue")):
            curve = e[e.alpha == a].groupby("epoch")[cols].mean()
            for ax, c in zip(axes, cols):
                if curve[c].notna().any():
                    ax.plot(curve.index / total, curve[c], style, color=color, label=f"alpha = {a:g}, {total} epochs")
    for ax, c in zip(axes, cols):
        ax.set_xlabel("fraction of training done (epoch / epochs)")
        ax.set_ylabel(f"{c} (mean over seeds)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    return save(fig, path)
