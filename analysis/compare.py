"""Two storages of the same studies, trial by trial: did a change (of code, precision,
machine) move the results beyond seed noise?

    python -m analysis.compare BEFORE AFTER [--study NAME ...] [--out compare.md]

Trials are matched on their config (the study's condition and every Config field
both tables have), leaving out the fields that say how a run was executed rather
than what it trains (`--ignore`; by default Config's "precision" and "execution"
groups: precision, device, threads, memory_format, compile, cuda_graphs). For each
metric, the paired difference AFTER - BEFORE is summarised over the matched trials
(mean and 95 % CI), with the largest shift of a condition's mean, next to the
seed-to-seed SD within a condition in BEFORE: the noise that any one trial's number
carries.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.load import load_study
from analysis.stats import mean_ci
from ciper.config import Config, fields_in
from ciper.probes import METRICS
from ciper.records import atomic_write_bytes

EXECUTION = fields_in("precision", "execution")  # how a run was executed, not what it trains


def match(before: pd.DataFrame, after: pd.DataFrame, ignore=EXECUTION) -> tuple[pd.DataFrame, list[str]]:
    """Trials of both tables joined on their config: (joined rows, the key columns)."""
    fields = ["condition", *Config.__dataclass_fields__]
    keys = [k for k in fields if k in before and k in after and k not in ignore]
    a = before[before.status == "finished"] if "status" in before else before
    b = after[after.status == "finished"] if "status" in after else after
    a, b = a.assign(**{k: config_text(a[k]) for k in keys}), b.assign(**{k: config_text(b[k]) for k in keys})
    return a.merge(b, on=keys, suffixes=("_before", "_after")), keys


def config_text(column: pd.Series) -> pd.Series:
    """Config values as text that compares equal across tables ('' for a missing value)."""
    return column.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)).astype(object)


def seed_sd(trials: pd.DataFrame, keys: list[str], metric: str) -> float:
    """Pooled within-condition SD of a metric over seeds."""
    conditions = [k for k in keys if k != "seed"]
    groups = trials.groupby(conditions, dropna=False)[metric] if conditions else [(None, trials[metric])]
    variances = [g.dropna().var(ddof=1) for _, g in groups if g.notna().sum() >= 2]
    return float(np.sqrt(np.mean(variances))) if variances else math.nan


def compare(before: pd.DataFrame, after: pd.DataFrame, metrics=METRICS, ignore=EXECUTION) -> pd.DataFrame:
    """One row per metric: matched trials, mean difference with its CI, the largest shift of a
    condition's mean, and the seed SD in BEFORE."""
    joined, keys = match(before, after, ignore)
    conditions = [k for k in keys if k != "seed"]
    rows = []
    for m in metrics:
        if f"{m}_before" not in joined:
            continue
        d = (joined[f"{m}_after"] - joined[f"{m}_before"]).astype(float)
        mean, lo, hi = mean_ci(d)
        shifts = d.groupby([joined[k] for k in conditions], dropna=False).mean() if conditions else d
        noise = seed_sd(joined.rename(columns={f"{m}_before": m}), keys, m)
        rows.append(
            {
                "metric": m,
                "trials": int(d.notna().sum()),
                "difference": mean,
                "ci_lo": lo,
                "ci_hi": hi,
                "largest_condition_shift": float(shifts.abs().max()) if len(shifts) else math.nan,
                "seed_sd": noise,
            }
        )
    return pd.DataFrame(rows)


def sentence(table: pd.DataFrame) -> str:
    """Whether every metric's mean difference is below its seed SD."""
    if table.empty:
        return "No trials matched."
    if table.seed_sd.isna().all():
        return "No condition has two seeds in BEFORE, so there is no seed noise to compare with."
    big = table[~(table.difference.abs() < table.seed_sd)]
    if big.empty:
        return "Every metric's mean difference is smaller than the seed-to-seed SD of one trial."
    return "Beyond seed noise (|difference| >= seed SD, or no SD): " + ", ".join(big.metric) + "."


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m analysis.compare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("before", help="a results root (holding study folders)")
    ap.add_argument("after", help="another results root with the same studies")
    ap.add_argument("--study", nargs="*", default=None, help="study names (default: every study in both)")
    ap.add_argument("--ignore", nargs="*", default=list(EXECUTION), help="config fields not matched on")
    ap.add_argument("--out", default=None, help="also write the tables as Markdown here")
    args = ap.parse_args(argv)
    roots = [Path(args.before), Path(args.after)]
    for root in roots:
        if not root.is_dir():
            print(f"error: {root} is not a folder; give two results roots (the --storage of two runs)", file=sys.stderr)
            return 2

    def studies(root):
        return {p.name for p in root.iterdir() if (p / "trials.parquet").exists()}

    names = args.study or sorted(studies(roots[0]) & studies(roots[1]))
    if not names:
        print(f"error: {roots[0]} and {roots[1]} hold no study in common (no <study>/trials.parquet)", file=sys.stderr)
        return 2
    lines = [f"# {roots[1]} against {roots[0]}", ""]
    for name in names:
        try:
            (before, _), (after, _) = load_study(roots[0] / name), load_study(roots[1] / name)
        except FileNotFoundError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        table = compare(before, after, ignore=args.ignore)
        lines += [f"## {name}", "", table.to_markdown(index=False, floatfmt=".4f"), "", sentence(table), ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        atomic_write_bytes(args.out, text.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
