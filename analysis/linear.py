"""Linear models with one intercept per block (seed, and world_seed where worlds
are crossed with seeds): condition effects with CIs; and each seed's own slope
per doubling, so that slopes are compared paired by seed.

Blocks are fixed effects rather than random ones: with a handful of seeds a
variance component is poorly estimated (often at zero), while block indicators
give exact t intervals and, in a balanced design, the same contrasts."""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.stats import key_columns, require_columns


class BlockedModel(NamedTuple):
    effects: pd.DataFrame  # one row per condition but the baseline: condition, effect, lo, hi, p
    f: float  # F test that no condition differs from another, given the blocks
    p: float
    df_num: int
    df_den: int
    n: int  # observations


def _levels(values: pd.Series) -> list:
    """Distinct values in their natural order (numbers as numbers), by text where types are mixed."""
    unique = list(values.unique())
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=str)


def _dummies(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Indicators of each level but the first, one set per column."""
    if not columns:
        return np.empty((len(frame), 0))
    levels = frame[columns].astype(str)
    return pd.get_dummies(levels, drop_first=True).to_numpy(float)


def _coefficient(y: np.ndarray, X: np.ndarray, j: int, level: float) -> tuple[float, float, float, float, int]:
    """OLS estimate of column j with its CI, p and residual df; NaN where the data cannot estimate it
    (column j lies in the span of the others) or no residual degrees of freedom are left."""
    rank = np.linalg.matrix_rank(X)
    df = len(y) - rank
    if df < 1 or np.linalg.matrix_rank(np.delete(X, j, axis=1)) == rank:
        return math.nan, math.nan, math.nan, math.nan, max(df, 0)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*rank-deficient")  # j is estimable: checked above
        res = sm.OLS(y, X).fit()  # (an exact fit has zero standard errors: the errstate)
        lo, hi = res.conf_int(1 - level)[j]
        return float(res.params[j]), float(lo), float(hi), float(res.pvalues[j]), int(df)


def _x(trials: pd.DataFrame, x: str, log2: bool, what: str) -> np.ndarray:
    v = trials[x].to_numpy(float)
    if log2:
        if np.any(v <= 0):
            raise ValueError(f"{what}: {x!r} has values <= 0; a slope per doubling needs positive {x} (or log2=False)")
        v = np.log2(v)
    return v


def blocked_model(
    trials: pd.DataFrame, condition: str, metric: str, baseline=None, blocks="seed", level: float = 0.95
) -> BlockedModel:
    """OLS metric ~ condition + block indicators: each condition's effect against the baseline (default:
    the first level) with its CI and p, and the F test of no condition effect given the blocks.
    blocks=["seed", "world_seed"] gives additive seed and world intercepts (seeds crossed with worlds)."""
    keys = key_columns(blocks)
    require_columns(trials, [condition, metric, *keys], "blocked_model")
    t = trials.dropna(subset=[metric, condition, *keys])
    levels = _levels(t[condition])
    baseline = levels[0] if baseline is None and levels else baseline
    if baseline not in levels:
        raise ValueError(f"blocked_model: baseline {baseline!r} is not a level of {condition!r} ({levels})")
    others = [c for c in levels if c != baseline]
    y = t[metric].to_numpy(float)
    reduced = np.column_stack([np.ones(len(t)), _dummies(t, keys)])
    full = np.column_stack([reduced, *[(t[condition] == c).to_numpy(float) for c in others]])
    rows = []
    for i, c in enumerate(others):
        effect, lo, hi, p, _ = _coefficient(y, full, reduced.shape[1] + i, level)
        rows.append({"condition": c, "effect": effect, "lo": lo, "hi": hi, "p": p})
    effects = pd.DataFrame(rows, columns=["condition", "effect", "lo", "hi", "p"])
    rank_full, rank_reduced = np.linalg.matrix_rank(full), np.linalg.matrix_rank(reduced)
    df_num, df_den = int(rank_full - rank_reduced), int(len(y) - rank_full)
    if df_den < 1 or df_num < 1:
        return BlockedModel(effects, math.nan, math.nan, df_num, max(df_den, 0), len(y))
    with np.errstate(divide="ignore", invalid="ignore"):
        f, p, _ = sm.OLS(y, full).fit().compare_f_test(sm.OLS(y, reduced).fit())
    return BlockedModel(effects, float(f), float(p), df_num, df_den, len(y))


def seed_slopes(trials: pd.DataFrame, x: str, metric: str, log2: bool = True, block="seed") -> pd.Series:
    """Each block's own OLS slope of the metric on x (on log2 x: the change per doubling), indexed by
    block: the replicates a slope's verdict generalises over, so two groups' slopes pair by seed. NaN
    for a block where x takes fewer than two values."""
    keys = key_columns(block)
    require_columns(trials, [x, metric, *keys], "seed_slopes")
    t = trials.dropna(subset=[x, metric, *keys])
    lx = pd.Series(_x(t, x, log2, "seed_slopes"), index=t.index)

    def fit(rows: pd.DataFrame) -> float:
        v = lx[rows.index]
        return float(np.polyfit(v, rows[metric], 1)[0]) if v.nunique() > 1 else math.nan

    return t.groupby(keys).apply(fit, include_groups=False).rename(metric)
