"""Mean and 95 % confidence interval over seeds (Student t)."""
from __future__ import annotations

import math

import pandas as pd
from scipy import stats


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high); a single value has no interval (low = high = mean)."""
    x = pd.Series(values, dtype=float).dropna()
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if n == 1:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half


def summarise(trials: pd.DataFrame, by: str | list[str], metrics: list[str]) -> pd.DataFrame:
    """One row per condition: n, and mean / ci_low / ci_high of each metric over seeds."""
    rows = []
    for key, group in trials.groupby(by, sort=True):
        row = dict(zip([by] if isinstance(by, str) else by, key if isinstance(key, tuple) else (key,)))
        row["n"] = len(group)
        for m in metrics:
            if m in group:
                row[m], row[f"{m}_lo"], row[f"{m}_hi"] = mean_ci(group[m])
        rows.append(row)
    return pd.DataFrame(rows)
