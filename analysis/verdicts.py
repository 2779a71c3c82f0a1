"""From contrasts to sentences a reviewer accepts: p-values adjusted within declared
families (Holm for the primary contrasts, Benjamini-Hochberg for the secondary ones),
three-state verdicts (differs / equivalent within a margin / inconclusive) that carry
their effect, interval, n and adjusted p, and the number of seeds a study needs.

A table of contrasts is one row per contrast with the fields of
`analysis.stats.Contrast` (diff, lo, hi, n, dz, p, p_equiv, margin) and a `family`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

# short name (shown as p_<name>) -> statsmodels' method name
METHODS = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni", "none": None}
ALPHA = 0.05


class Verdict(NamedTuple):
    state: str  # "differs", "equivalent" (within ±margin) or "inconclusive"
    diff: float
    lo: float  # NaN for n < 2
    hi: float
    n: int
    dz: float
    p_adj: float  # adjusted p of the difference
    p_equiv_adj: float  # adjusted TOST p (NaN without a margin)
    margin: float
    method: str  # the adjustment, a key of METHODS

    def sentence(self, digits: int = 3) -> str:
        return format_verdict(self, digits)


def adjust_p(p, method: str) -> np.ndarray:
    """p-values adjusted by `method` (a key of METHODS); NaN entries stay NaN and do not count."""
    if method not in METHODS:
        raise ValueError(f"adjust_p: unknown method {method!r}; use one of {sorted(METHODS)}")
    p = np.asarray(p, float)
    out = np.full(p.shape, math.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = p[ok] if METHODS[method] is None else multipletests(p[ok], method=METHODS[method])[1]
    return out


def adjust(
    table: pd.DataFrame,
    methods: Mapping[str, str] | None = None,
    default: str = "bh",
    family: str = "family",
    p_columns=("p", "p_equiv"),
) -> pd.DataFrame:
    """A copy of the table with <p column>_adj for each p column and `method` per row: every family is
    adjusted on its own, with methods[family] (default {"primary": "holm"}) or else `default` (BH).
    The TOST p-values of a family are adjusted like its difference p-values, as a second set of tests."""
    methods = {"primary": "holm"} if methods is None else dict(methods)
    if family not in table:
        raise ValueError(f"adjust: the contrast table needs a {family!r} column naming each row's family")
    for name in [default, *methods.values()]:
        if name not in METHODS:
            raise ValueError(f"adjust: unknown method {name!r}; use one of {sorted(METHODS)}")
    out = table.copy()
    out["method"] = out[family].map(lambda f: methods.get(f, default))
    for col in p_columns:
        out[f"{col}_adj"] = math.nan
        if col not in out:
            continue
        for fam, rows in out.groupby(family, sort=False):
            out.loc[rows.index, f"{col}_adj"] = adjust_p(rows[col], methods.get(fam, default))
    return out


def verdict(
    diff: float,
    lo: float,
    hi: float,
    n: int,
    p_adj: float,
    p_equiv_adj: float = math.nan,
    margin: float = math.nan,
    dz: float = math.nan,
    method: str = "holm",
    alpha: float = ALPHA,
) -> Verdict:
    """'differs' when the adjusted p < alpha; else 'equivalent' when the adjusted TOST p < alpha;
    else 'inconclusive'. Fewer than two pairs is always inconclusive, with no interval."""
    n = int(n)
    if n < 2:
        return Verdict("inconclusive", diff, math.nan, math.nan, n, math.nan, p_adj, p_equiv_adj, margin, method)
    if p_adj < alpha:
        state = "differs"
    elif p_equiv_adj < alpha and margin > 0:
        state = "equivalent"
    else:
        state = "inconclusive"
    return Verdict(state, diff, lo, hi, n, dz, p_adj, p_equiv_adj, margin, method)


def verdict_of(row: Mapping, alpha: float = ALPHA) -> Verdict:
    """The verdict of one row of an adjusted contrast table (see `adjust`)."""
    get = lambda k, default=math.nan: row[k] if k in row and not _missing(row[k]) else default
    return verdict(
        get("diff"), get("lo"), get("hi"), get("n", 0), get("p_adj"), get("p_equiv_adj"), get("margin"),
        get("dz"), get("method", "holm"), alpha,
    )  # fmt: skip


def verdicts(table: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """An adjusted contrast table with `verdict` (the state) and `sentence` (format_verdict) per row;
    a row with `units` (the worlds of a world-random contrast, its replicates) says them beside n."""
    vs = [verdict_of(r, alpha) for _, r in table.iterrows()]
    units = table["units"] if "units" in table else pd.Series(math.nan, table.index)
    return table.assign(verdict=[v.state for v in vs], sentence=[format_verdict(v, units=u) for v, u in zip(vs, units)])


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def format_p(p: float) -> str:
    """A p-value as reports print it: 2 significant digits, '<0.001', or 'n/a'."""
    if _missing(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.2g}"


def format_n(n: int, units=None) -> str:
    """n as the test counts it: 'n=10' pairs, or a world-random contrast's 'n=3 worlds (12 blocks)'."""
    return f"n={int(units)} worlds ({n} blocks)" if not _missing(units) else f"n={n}"


def format_verdict(v: Verdict, digits: int = 3, units=None) -> str:
    """One sentence fragment: '+0.031 [+0.012, +0.050], n=10, p_holm=0.004: differs'; with `units`
    (worlds, the replicates of a world-random contrast) 'n=3 worlds (12 blocks)'."""
    num = lambda x: f"{x:+.{digits}f}"
    ci = "[no interval]" if _missing(v.lo) or _missing(v.hi) else f"[{num(v.lo)}, {num(v.hi)}]"
    parts = [f"{num(v.diff)} {ci}", format_n(v.n, units)]
    if v.n >= 2:
        parts.append(f"p_{v.method}={format_p(v.p_adj)}")
        if not _missing(v.margin):
            parts.append(f"p_equiv_{v.method}={format_p(v.p_equiv_adj)}")
    state = f"equivalent within ±{v.margin:.{digits}g}" if v.state == "equivalent" else v.state
    return f"{', '.join(parts)}: {state}"


# ---- how many seeds -------------------------------------------------------------------------------------------------


def _tail(probability: float, approximation: float) -> float:
    """A noncentral-t tail probability, or its normal approximation where scipy returns NaN (it does
    for tails far from the noncentrality, whose probability is then close to 0)."""
    return float(probability) if math.isfinite(probability) else float(approximation)


def paired_t_power(n: int, dz: float, alpha: float = ALPHA) -> float:
    """Power of the two-sided paired t-test with n >= 2 pairs when the true mean difference is dz SDs
    of the differences: the noncentral t's two tails, each replaced by the normal where scipy gives
    NaN (statsmodels' TTestPower returns NaN for the whole power there)."""
    if n < 2:
        raise ValueError(f"paired_t_power: needs at least 2 pairs, got {n!r}")
    df, nc = n - 1, abs(dz) * math.sqrt(n)
    crit = stats.t.ppf(1 - alpha / 2, df)
    upper = _tail(stats.nct.sf(crit, df, nc), stats.norm.sf(crit - nc))
    lower = _tail(stats.nct.cdf(-crit, df, nc), stats.norm.cdf(-crit - nc))
    return upper + lower


MOST_PAIRS = 10_000_000  # seeds_for_power gives up beyond this


def seeds_for_power(sd_diff: float, effect: float, power: float = 0.8, alpha: float = ALPHA) -> int:
    """Seeds (pairs) a two-sided paired t-test needs to detect a true mean difference `effect` with this
    power, given the SD of paired differences over seeds (Contrast.sd of a pilot)."""
    if not (sd_diff > 0 and effect != 0 and math.isfinite(effect)):
        raise ValueError(f"seeds_for_power: needs sd_diff > 0 and a non-zero effect, got {sd_diff!r}, {effect!r}")
    size = abs(effect) / sd_diff
    enough = lambda n: paired_t_power(n, size, alpha) >= power
    # power rises with n: double to a bound, then bisect
    if not 0 < power < 1:
        raise ValueError(f"seeds_for_power: the power must lie between 0 and 1, got {power!r}")
    low, high = 1, 2
    while not enough(high):
        if high > MOST_PAIRS:
            raise ValueError(f"seeds_for_power: more than {MOST_PAIRS} seeds needed for an effect of {size:.2g} SDs")
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


def tost_power(n: int, sd_diff: float, margin: float, true_diff: float = 0.0, alpha: float = ALPHA) -> float:
    """Power of the paired TOST at ±margin with n pairs (noncentral t for each one-sided test; a lower
    bound on the exact power, close to it once the power is useful)."""
    df, se = n - 1, sd_diff / math.sqrt(n)
    crit = stats.t.ppf(1 - alpha, df)
    low, high = (true_diff + margin) / se, (true_diff - margin) / se
    miss_low = _tail(stats.nct.cdf(crit, df, low), stats.norm.cdf(crit - low))  # lower test fails to reject
    miss_high = _tail(stats.nct.sf(-crit, df, high), stats.norm.sf(-crit - high))  # upper test fails to reject
    return max(0.0, 1.0 - miss_low - miss_high)


def seeds_for_equivalence(
    sd_diff: float, margin: float, true_diff: float = 0.0, power: float = 0.8, alpha: float = ALPHA
) -> int:
    """Seeds for the TOST to show equivalence within ±margin with this power when the true difference
    is `true_diff` (what a 'no effect' claim needs)."""
    if not (sd_diff > 0 and margin > abs(true_diff)):
        raise ValueError(
            f"seeds_for_equivalence: needs sd_diff > 0 and margin > |true_diff|, got {sd_diff!r}, {margin!r}"
        )
    n = 2
    while tost_power(n, sd_diff, margin, true_diff, alpha) < power:
        n += 1
        if n > 100_000:
            raise ValueError("seeds_for_equivalence: more than 100000 seeds needed; widen the margin")
    return n
