"""The statistics behind every figure and sentence: CIs over seeds, paired
differences and contrasts with equivalence tests, tests across conditions
blocked by seed, position effects, a Pareto front. Linear models with block
intercepts (effects, slopes) are in analysis/linear.py; multiplicity, verdicts
and power in analysis/verdicts.py."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.weightstats import ttost_paired


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


CHI2_APPROXIMATION = "chi-square approximation"


class Across(NamedTuple):
    test: str  # "Friedman", "Wilcoxon signed-rank" or "Kruskal-Wallis"
    statistic: float
    p: float
    method: str  # how the p was computed (for Friedman: the permutation p, exact or Monte Carlo)


def across_conditions(trials: pd.DataFrame, condition: str, metric: str, block=None) -> Across:
    """Does the metric differ across conditions beyond seed noise? (test name, statistic, p-value, how the
    p was computed)

    With `block` (e.g. "seed") naming columns of the trials, the test is paired within blocks on complete
    blocks: Friedman for three or more conditions, its p from the permutation distribution within blocks
    (`friedman_test`), Wilcoxon signed-rank for two. Otherwise Kruskal-Wallis, which ignores the pairing.
    No normality assumed; NaN when the data cannot support the test."""
    if key_columns(block) and all(c in trials for c in key_columns(block)):
        table = block_table(trials, condition, metric, block)
        if table.shape[1] != 2:
            r = friedman(trials, condition, metric, block)
            return Across("Friedman", r.statistic, r.p, r.method)
        wilcoxon = "scipy.stats.wilcoxon, method='auto'"
        if len(table) >= 2 and np.any(table.iloc[:, 0] != table.iloc[:, 1]):
            w, p = stats.wilcoxon(table.iloc[:, 0], table.iloc[:, 1])
            return Across("Wilcoxon signed-rank", float(w), float(p), wilcoxon)
        return Across("Wilcoxon signed-rank", math.nan, math.nan, wilcoxon)
    groups = [g[metric].dropna().to_numpy(float) for _, g in trials.groupby(condition)]
    groups = [g for g in groups if len(g) >= 2]
    if len(groups) < 2 or np.ptp(np.concatenate(groups)) == 0:
        return Across("Kruskal-Wallis", math.nan, math.nan, CHI2_APPROXIMATION)
    h, p = stats.kruskal(*groups)
    return Across("Kruskal-Wallis", float(h), float(p), CHI2_APPROXIMATION)


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


# ---- blocked designs: conditions compared within a seed (and a world) ---------------------------------------------


class Friedman(NamedTuple):
    statistic: float  # Friedman chi-square (df = k - 1)
    p: float  # from the permutation distribution within blocks (friedman_test), not the chi-square
    n_blocks: int  # complete blocks used
    k: int  # conditions
    method: str  # which permutation p: exact, or Monte Carlo with its number of resamples


class Contrast(NamedTuple):
    diff: float  # mean of treated - baseline over pairs
    lo: float  # CI of the mean difference (NaN for n < 2)
    hi: float
    n: int  # pairs
    t: float  # paired t statistic
    p: float  # raw two-sided p of the paired t-test
    dz: float  # Cohen's dz = mean difference / SD of the differences
    sd: float  # SD of the differences (what a power calculation needs)
    p_equiv: float  # TOST p for |diff| < margin (NaN without a margin)
    margin: float


def key_columns(columns) -> list[str]:
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def require_columns(trials: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in trials]
    if missing:
        raise ValueError(f"{what}: no column {', '.join(map(repr, missing))} in the trials (columns: {list(trials)})")


def block_table(trials: pd.DataFrame, condition: str, metric: str, block="seed") -> pd.DataFrame:
    """Blocks x conditions table of the metric, complete blocks only; repeats within a cell are averaged
    (block="seed" with several worlds per seed averages over the worlds)."""
    keys = key_columns(block)
    require_columns(trials, [condition, metric, *keys], "block_table")
    t = trials.dropna(subset=[metric]).assign(**{metric: lambda f: f[metric].astype(float)})
    return t.pivot_table(index=keys, columns=condition, values=metric, aggfunc="mean").dropna()


def friedman(trials: pd.DataFrame, condition: str, metric: str, block="seed") -> Friedman:
    """Friedman test across conditions within blocks (seeds), so seed-to-seed offsets cancel; its p is
    the permutation p of `friedman_test`. NaN when fewer than 3 conditions or 2 complete blocks, or
    every block is tied."""
    table = block_table(trials, condition, metric, block)
    n, k = table.shape
    if k < 3 or n < 2 or np.all(np.ptp(table.to_numpy(), axis=1) == 0):
        return Friedman(math.nan, math.nan, n, k, "no test")
    r = friedman_test(table.to_numpy())
    return Friedman(r.statistic, r.p, n, k, r.method)


PERMUTATIONS = 99_999  # Monte Carlo resamples of friedman_test where the exact distribution has more arrangements
PERMUTATION_SEED = 0  # fixes the Monte Carlo draws: the same data give the same p


class FriedmanTest(NamedTuple):
    statistic: float  # Friedman chi-square (scipy.stats.friedmanchisquare's), df = k - 1
    p: float  # share of within-block permutations with a statistic at least as large
    method: str  # "exact permutation p" or "Monte Carlo permutation p, 99,999 resamples"


def _friedman_statistic(*samples, axis=-1):
    return stats.friedmanchisquare(*samples, axis=axis).statistic


def friedman_test(blocks, n_resamples: int = PERMUTATIONS, seed: int = PERMUTATION_SEED) -> FriedmanTest:
    """Friedman test with its p from the permutation distribution, not the chi-square approximation.

    blocks: 2-D array of shape (n_blocks, k): one row per block (a seed), one column per condition, no
    missing cells (analysis.stats.block_table gives such a table). Under the null every block's k values
    are exchangeable among the conditions, so each block is permuted on its own (scipy.stats.
    permutation_test with permutation_type='samples', which permutes the values among the samples at
    each index); the statistic is the Friedman chi-square, large when the blocks rank the conditions
    alike (alternative 'greater').

    Exact, over all (k!)^n_blocks arrangements, where there are at most n_resamples of them; otherwise
    Monte Carlo with n_resamples draws from a generator seeded with `seed`, so the same data always give
    the same p, and p = (hits + 1) / (n_resamples + 1). `method` says which. The exact p of blocks that
    all rank the conditions the same way (no ties) is 1 / (k!)^(n_blocks - 1), the smallest it gives
    (friedman_floor). Every block tied: statistic and p NaN.

    Returns (statistic, p, method). Raises ValueError for fewer than 2 blocks or 3 conditions, or a
    value that is not finite."""
    x = np.asarray(blocks, dtype=float)
    if x.ndim != 2:
        raise ValueError(
            f"friedman_test: blocks must be a 2-D array (blocks x conditions), got shape {x.shape}; "
            "analysis.stats.block_table makes one from trials"
        )
    n, k = x.shape
    if n < 2:
        raise ValueError(
            f"friedman_test: {n} block(s) (rows); the test needs at least 2 complete blocks: run more seeds"
        )
    if k < 3:
        raise ValueError(
            f"friedman_test: {k} condition(s) (columns); the test needs at least 3: compare two conditions "
            "with the Wilcoxon signed-rank test (across_conditions does)"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(
            "friedman_test: blocks holds NaN or infinite values; drop the incomplete blocks first "
            "(analysis.stats.block_table keeps complete blocks only)"
        )
    if np.all(np.ptp(x, axis=1) == 0):
        return FriedmanTest(math.nan, math.nan, "no test: every block is tied")
    exact = math.factorial(k) ** n <= n_resamples
    r = stats.permutation_test(
        tuple(x.T),
        _friedman_statistic,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        batch=10_000,
        alternative="greater",
        rng=np.random.default_rng(seed),
    )
    method = "exact permutation p" if exact else f"Monte Carlo permutation p, {n_resamples:,} resamples"
    return FriedmanTest(float(r.statistic), float(r.pvalue), method)


def friedman_floor(n_blocks: int, k: int) -> float:
    """The smallest permutation p of the Friedman test with n blocks and k conditions, ties aside:
    1 / (k!)^(n - 1), the p of blocks that all rank the conditions alike (k! of the (k!)^n within-block
    arrangements rank as extreme). friedman_test enumerates the arrangements of every design whose
    floor is above 0.002 (at most 14,400 of them); a Monte Carlo p estimates it. A family whose
    first Holm threshold lies below it cannot return 'differs' from that test at this number of blocks."""
    if k < 3 or n_blocks < 2:
        return math.nan
    return 1.0 / math.factorial(k) ** (n_blocks - 1)


# ---- paired contrasts and equivalence -------------------------------------------------------------------------------


def paired_values(trials: pd.DataFrame, condition: str, treated, baseline, metric: str, pair_on="seed"):
    """(treated, baseline) arrays of the metric over the pair keys present in both (repeats averaged)."""
    a, b = _paired_sides(trials, condition, treated, baseline, metric, pair_on)
    return a.to_numpy(float), b.to_numpy(float)


def _paired_sides(trials, condition, treated, baseline, metric, pair_on) -> tuple[pd.Series, pd.Series]:
    """paired_values as Series indexed by the pair keys."""
    keys = key_columns(pair_on)
    require_columns(trials, [condition, metric, *keys], "paired_values")
    side = lambda level: trials[trials[condition] == level].dropna(subset=[metric]).groupby(keys)[metric].mean()
    a, b = side(treated), side(baseline)
    common = a.index.intersection(b.index)
    return a.loc[common], b.loc[common]


def tost_paired(diffs, margin: float) -> float:
    """p of the two one-sided tests that the mean paired difference lies within (-margin, +margin);
    small p = equivalent. NaN for fewer than two differences."""
    if not margin > 0:
        raise ValueError(f"tost_paired: the margin must be a positive number, got {margin!r}")
    d = np.asarray(diffs, float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return math.nan
    if np.ptp(d) == 0:  # no spread: the mean is known exactly
        return 0.0 if abs(d[0]) < margin else 1.0
    p, _, _ = ttost_paired(d, np.zeros_like(d), -margin, margin)
    return float(p)


def paired_contrast(
    trials: pd.DataFrame,
    condition: str,
    treated,
    baseline,
    metric: str,
    pair_on="seed",
    margin: float | None = None,
    level: float = 0.95,
) -> Contrast:
    """treated - baseline paired on seed (or ["seed", "world_seed"]): mean, CI, n, paired t and p, Cohen's
    dz, and with a margin the TOST p of equivalence. No interval, t or p from fewer than two pairs."""
    a, b = paired_values(trials, condition, treated, baseline, metric, pair_on)
    d = a - b
    n = len(d)
    margin = math.nan if margin is None else float(margin)
    p_equiv = tost_paired(d, margin) if not math.isnan(margin) else math.nan
    if n < 2:
        diff = float(d.mean()) if n else math.nan
        return Contrast(diff, math.nan, math.nan, n, math.nan, math.nan, math.nan, math.nan, p_equiv, margin)
    diff, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0:  # every pair differs by the same amount
        t = math.copysign(math.inf, diff) if diff else math.nan
        return Contrast(diff, diff, diff, n, t, 0.0 if diff else 1.0, t, sd, p_equiv, margin)
    r = stats.ttest_rel(a, b)
    ci = r.confidence_interval(level)
    return Contrast(
        diff, float(ci.low), float(ci.high), n, float(r.statistic), float(r.pvalue), diff / sd, sd, p_equiv, margin
    )


def world_contrast(
    trials: pd.DataFrame,
    condition: str,
    treated,
    baseline,
    metric: str,
    world: str = "world_seed",
    margin: float | None = None,
    level: float = 0.95,
) -> Contrast:
    """treated - baseline paired on (world, seed), with world a random factor: the paired differences
    are averaged within each world and mu is tested with the one-sample t on those world means,
    (worlds - 1) df. For a balanced design whose world variance is estimated above 0 this is the
    test of the REML mixed model d = mu + u_world + e, and it is exact whatever the world variance
    (a pooled t over the blocks is not: where the gain varies between worlds it calls one world's
    gain a general one). The worlds, not the seeds, are the
    replicates of a claim about worlds in general, so with 3 worlds the t has 2 df. The TOST p uses
    the same t. `n` counts the blocks; `sd` is the SD of the blocks' differences. NaN with fewer
    than 2 worlds."""
    a, b, worlds = _paired_with_world(trials, condition, treated, baseline, metric, world)
    d = a - b
    n = len(d)
    margin = math.nan if margin is None else float(margin)
    means = pd.Series(d).groupby(np.asarray(worlds)).mean().to_numpy(float)
    k = len(means)
    if k < 2:
        diff = float(d.mean()) if n else math.nan
        return Contrast(diff, math.nan, math.nan, n, math.nan, math.nan, math.nan, math.nan, math.nan, margin)
    mu, sd = float(means.mean()), float(d.std(ddof=1))
    se, df = float(means.std(ddof=1) / math.sqrt(k)), k - 1
    if se == 0:  # every world the same mean difference
        t = math.copysign(math.inf, mu) if mu else math.nan
        p_equiv = (0.0 if abs(mu) < margin else 1.0) if margin > 0 else math.nan
        return Contrast(mu, mu, mu, n, t, 0.0 if mu else 1.0, mu / sd if sd else t, sd, p_equiv, margin)
    half = stats.t.ppf(0.5 + level / 2, df) * se
    t = mu / se
    p = float(2 * stats.t.sf(abs(t), df))
    p_equiv = math.nan
    if margin > 0:
        p_equiv = float(max(stats.t.sf((mu + margin) / se, df), stats.t.cdf((mu - margin) / se, df)))
    return Contrast(mu, mu - half, mu + half, n, t, p, mu / sd if sd else math.nan, sd, p_equiv, margin)


def these_worlds_contrast(
    trials: pd.DataFrame, condition: str, treated, baseline, metric: str, world: str = "world_seed", level=0.95
) -> tuple[float, float, float, int, int]:
    """The contrast averaged over exactly these worlds (world a fixed block): the mean of the world
    means of the paired differences, with its t interval from the spread within worlds ((blocks -
    worlds) df). A statement about these worlds only: (diff, lo, hi, n, df); NaN interval without df."""
    a, b, worlds = _paired_with_world(trials, condition, treated, baseline, metric, world)
    d = pd.Series(a - b).groupby(np.asarray(worlds))
    means, sizes = d.mean(), d.size()
    n, k = int(sizes.sum()), len(sizes)
    df = n - k
    if k == 0 or df < 1:
        return (float(means.mean()) if k else math.nan), math.nan, math.nan, n, max(df, 0)
    msw = float(((pd.Series(a - b) - means.reindex(worlds).to_numpy()) ** 2).sum() / df)
    se = math.sqrt(msw * float((1 / sizes).sum())) / k
    half = stats.t.ppf(0.5 + level / 2, df) * se
    mu = float(means.mean())
    return mu, mu - half, mu + half, n, df


def per_world(trials: pd.DataFrame, condition: str, treated, baseline, metric: str, world: str = "world_seed"):
    """{world: Contrast paired by seed within that world}: where a contrast holds and where it does not."""
    require_columns(trials, [world], "per_world")
    return {
        w: paired_contrast(rows, condition, treated, baseline, metric)
        for w, rows in trials.groupby(world, sort=True)
        if len(rows)
    }


def _paired_with_world(trials, condition, treated, baseline, metric, world):
    """paired_values on (world, seed), and each pair's world."""
    a, b = _paired_sides(trials, condition, treated, baseline, metric, [world, "seed"])
    return a.to_numpy(float), b.to_numpy(float), [w for w, _ in a.index]


def world_interaction(trials: pd.DataFrame, condition: str, treated, baseline, metric: str, world: str = "world_seed"):
    """Whether a paired contrast differs between worlds: the one-way ANOVA of the paired differences
    (by world and seed) on world, i.e. the world x condition interaction of the blocked design.
    (F, df between, df within, p); NaNs where fewer than two worlds have two pairs each."""
    a, b, worlds = _paired_with_world(trials, condition, treated, baseline, metric, world)
    diffs = pd.Series(a - b).groupby(worlds)
    groups = [g.to_numpy() for _, g in diffs if len(g) >= 2]
    if len(groups) < 2:
        return math.nan, 0, 0, math.nan
    f, p = stats.f_oneway(*groups)
    return float(f), len(groups) - 1, sum(map(len, groups)) - len(groups), float(p)
