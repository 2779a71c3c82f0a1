"""The statistics behind every figure and sentence: CIs over seeds, paired
differences, a test across conditions, position effects, a Pareto front."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) with a Student-t interval; one value has no interval (low = high = mean)."""
    x = pd.Series(values, dtype=float).dropna()
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if n == 1:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half


def summarise(trials: pd.DataFrame, by: str | list[str], metrics: list[str], sort: bool = True) -> pd.DataFrame:
    """One row per condition: n, and mean / _lo / _hi of each metric over seeds
    (conditions sorted, or in the order they first appear with sort=False)."""
    keys = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in trials.groupby(keys, sort=sort):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["n"] = len(group)
        for m in metrics:
            if m in group:
                row[m], row[f"{m}_lo"], row[f"{m}_hi"] = mean_ci(group[m])
        rows.append(row)
    return pd.DataFrame(rows)


def paired_difference(
    trials: pd.DataFrame, condition: str, treated, baseline, metric: str, pair_on: str = "seed"
) -> tuple[float, float, float, int]:
    """Mean of (treated - baseline) over seeds present in both, with its 95 % CI, and n pairs."""
    a = trials[trials[condition] == treated].set_index(pair_on)[metric]
    b = trials[trials[condition] == baseline].set_index(pair_on)[metric]
    common = a.index.intersection(b.index)
    d = (a.loc[common] - b.loc[common]).astype(float)
    m, lo, hi = mean_ci(d)
    return m, lo, hi, len(d)


def across_conditions(trials: pd.DataFrame, condition: str, metric: str) -> tuple[str, float, float]:
    """Does the metric differ across conditions beyond seed noise? (test name, statistic, p-value)

    Kruskal-Wallis (no normality assumed); NaN when fewer than two conditions
    have two or more finite values."""
    groups = [g[metric].dropna().to_numpy(float) for _, g in trials.groupby(condition)]
    groups = [g for g in groups if len(g) >= 2]
    if len(groups) < 2 or np.ptp(np.concatenate(groups)) == 0:
        return "Kruskal-Wallis", math.nan, math.nan
    h, p = stats.kruskal(*groups)
    return "Kruskal-Wallis", float(h), float(p)


def position_effects(trials: pd.DataFrame, order_col: str, metric: str, sep: str = ">") -> pd.DataFrame:
    """Linear model metric ~ position of each op (0 = first). One row per op: the
    change in the metric per step later in the order, its 95 % CI and p-value.
    The last op is dropped as the reference (positions of all ops sum to a constant)."""
    orders = trials[order_col].astype(str).str.split(sep)
    ops = list(orders.iloc[0])
    y = trials[metric].to_numpy(float)
    keep = np.isfinite(y)
    X = np.array([[o.index(op) for op in ops[:-1]] for o in orders], dtype=float)[keep]
    y = y[keep]
    X1 = np.column_stack([np.ones(len(X)), X])
    dof = len(y) - X1.shape[1]
    if dof < 1 or np.linalg.matrix_rank(X1) < X1.shape[1]:
        return pd.DataFrame({"op": ops[:-1], "per_step": math.nan, "lo": math.nan, "hi": math.nan, "p": math.nan})
    beta, *_ = np.linalg.lstsq(X1, y, rcond=None)
    resid = y - X1 @ beta
    sigma2 = resid @ resid / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X1.T @ X1)))
    t = stats.t.ppf(0.975, dof)
    p = 2 * stats.t.sf(np.abs(beta / np.where(se > 0, se, np.inf)), dof)
    return pd.DataFrame(
        {"op": ops[:-1], "per_step": beta[1:], "lo": beta[1:] - t * se[1:], "hi": beta[1:] + t * se[1:], "p": p[1:]}
    )


def pareto_front(x, y) -> np.ndarray:
    """Indices of points not dominated by another (both coordinates larger is better), by x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    front = [i for i in range(len(x)) if not np.any((x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i])))]
    return np.array(sorted(front, key=lambda i: x[i]), dtype=int)
