"""A question's declared contrasts, judged: the primary family with Holm within it, the
secondary contrasts with Benjamini-Hochberg across them, each a three-state verdict
(differs / equivalent within ±margin / inconclusive, analysis/verdicts.py) that carries
its effect, 95 % CI, n and adjusted p.

A report declares its contrasts as `Comparison`s (what it compares, on which metric,
in which family), `judge` turns them into one adjusted table, and `lines` writes one
sentence per contrast. Margins come from the study file (`Study.margins`,
ciper/study/spec.py): a study's entry point hands them to its report, which records
them beside report.md (margins.json), where the findings read them again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd

from analysis.references import SHORTCUT_MARGIN
from analysis.stats import paired_contrast, world_contrast
from analysis.verdicts import adjust, seeds_for_equivalence, seeds_for_power, tost_power, verdicts
from ciper.metrics import METRICS
from ciper.records import write_json
from ciper.study.spec import DEFAULT_MARGINS, margin_of

PRIMARY, SECONDARY = "primary", "secondary"
READOUTS = [*METRICS, "pose_r2/rotation", "pose_r2/placement"]  # every metric a report may compare
MARGINS_FILE = "margins.json"  # in a study folder: the margins its report judged with
COLUMNS = ["label", "metric", "family", "diff", "lo", "hi", "n", "t", "p", "dz", "sd", "p_equiv", "margin"]


@dataclass
class Comparison:
    label: str  # what is compared, in words: "alpha = 1 vs alpha = 0"
    metric: str
    condition: str  # the column whose values name the two sides
    treated: object
    baseline: object
    family: str = PRIMARY
    where: dict = field(default_factory=dict)  # {column: value}: the trials the contrast reads
    pair_on: object = "seed"
    random: str | None = None  # a column whose levels are a random factor (world_seed): stats.world_contrast
    tags: dict = field(default_factory=dict)  # extra columns of its row (e.g. the source it belongs to)


def present(trials: pd.DataFrame, metrics=READOUTS) -> list[str]:
    """The metrics the trials measured (a column with at least one value)."""
    return [m for m in metrics if m in trials and trials[m].notna().any()]


def write_margins(study_dir, margins: dict[str, float]) -> None:
    write_json(study_dir / MARGINS_FILE, {k: float(v) for k, v in margins.items()})


def read_margins(study_dir) -> dict[str, float]:
    """The margins a study's report recorded (margins.json), else the defaults (also for a file that
    is missing, unreadable or does not give a positive acc and r2 margin)."""
    try:
        margins = json.loads((study_dir / MARGINS_FILE).read_text())
        if set(margins) == set(DEFAULT_MARGINS) and all(float(v) > 0 for v in margins.values()):
            return {k: float(v) for k, v in margins.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return dict(DEFAULT_MARGINS)


def contrast_row(trials: pd.DataFrame, c: Comparison, margins: dict) -> dict:
    """One row of a contrast table: the paired contrast (analysis.stats.Contrast) with its label."""
    t = trials
    for column, value in c.where.items():
        t = t[t[column] == value]
    margin = margin_of(margins, c.metric)
    if c.random:
        r = world_contrast(t, c.condition, c.treated, c.baseline, c.metric, c.random, margin)
        units = {"units": int(t[t[c.condition].isin([c.treated, c.baseline])][c.random].nunique())}
    else:
        r = paired_contrast(t, c.condition, c.treated, c.baseline, c.metric, c.pair_on, margin)
        units = {}  # the pairs are the replicates: n says it
    row = {"label": c.label, "metric": c.metric, "family": c.family, **r._asdict(), **units, **c.tags}
    return {**row, "repeats": repeated_study(t[t[c.condition].isin([c.treated, c.baseline])])}


def repeated_study(sides: pd.DataFrame) -> str:
    """The earlier study whose runs every trial of a contrast is (column run_of, analysis.shared.run_of):
    the contrast repeats that study's, "" where any of its trials is this study's own."""
    if "run_of" not in sides or sides.empty:
        return ""
    studies = set(sides.run_of.fillna(""))
    return studies.pop() if len(studies) == 1 else ""


def judge(rows: list[dict], methods: dict | None = None) -> pd.DataFrame:
    """Adjusted p-values family by family (Holm for "primary" and any family `methods` names, BH for
    the rest) and a verdict and sentence per row; rows without a single pair are left out."""
    table = pd.DataFrame(rows, columns=COLUMNS if not rows else None)
    table = table[table.n > 0] if len(table) else table
    if table.empty:
        return table.assign(method=[], p_adj=[], p_equiv_adj=[], verdict=[], sentence=[])
    methods = {PRIMARY: "holm", **(methods or {})}
    return verdicts(adjust(table.reset_index(drop=True), methods=methods))


def judge_comparisons(trials: pd.DataFrame, comparisons: list[Comparison], margins: dict | None = None):
    margins = DEFAULT_MARGINS if margins is None else margins
    return judge([contrast_row(trials, c, margins) for c in comparisons])


def lines(
    table: pd.DataFrame, family: str | None = None, bullet: str = "- ", matched: dict[str, str] | None = None
) -> list[str]:
    """'- <label>, <metric>: <effect> [CI], n, adjusted p: <verdict>' per row (of one family); the
    primary family ends with the seeds its inconclusive contrasts would need (`seeds_to_decide`;
    `matched`: analysis.references.matched_everywhere)."""
    rows = table if family is None or table.empty else table[table.family == family]
    out = [f"{bullet}{r.label}, {r.metric}: {r.sentence}" for r in rows.itertuples()]
    plan = seeds_to_decide(rows, matched=matched) if family == PRIMARY else None
    return out + [f"{bullet}{plan}"] if plan else out


MOST_SEEDS = 1000  # a plan needing more seeds than this is reported as "more than 1000"


def equivalence_seeds(sd: float, margin: float, power: float = 0.8) -> str:
    """The seeds a paired TOST within ±margin needs at this SD of paired differences, were the true
    difference 0: a number, or 'more than 1000' beyond any plan."""
    if tost_power(MOST_SEEDS, sd, margin) < power:
        return f"more than {MOST_SEEDS}"
    return str(seeds_for_equivalence(sd, margin, power=power))


def seeds_to_decide(rows: pd.DataFrame, power: float = 0.8, matched: dict[str, str] | None = None) -> str | None:
    """The seeds each inconclusive contrast would need at the SD of paired differences it measured:
    to show equivalence within its margin were the true difference 0 (paired TOST), and to detect a
    true difference as large as the margin (paired t). A plan for the next run, not a result: an SD
    from a few seeds is itself uncertain, and Holm's adjustment asks for more. None where no
    contrast paired by seed is inconclusive (a world-random contrast's replicates are worlds).
    No count for a contrast of another study's runs (its `repeats`); on a metric that a no-learning
    control matches in every trained condition (`matched`: {metric: which control}) the count says
    that those seeds would rank models that do not show learning there."""
    matched = matched or {}
    if rows.empty or "verdict" not in rows:
        return None
    units = rows["units"] if "units" in rows else pd.Series(math.nan, rows.index)
    open_rows = rows[(rows.verdict == "inconclusive") & units.isna() & (rows.sd > 0) & (rows.margin > 0)]
    if open_rows.empty:
        return None

    def needed(r) -> str:
        repeats = getattr(r, "repeats", "")
        if isinstance(repeats, str) and repeats:  # another study's question: its seeds and verdict are the ones
            return (
                f"{r.label}, {r.metric}: its runs have the config and seeds of {repeats}'s (read back or trained "
                f"again), so it repeats {repeats}'s contrast: seeds for it belong there, and {repeats}'s verdict "
                "is the one to cite"
            )
        equivalence = equivalence_seeds(r.sd, r.margin, power)
        try:
            detect = seeds_for_power(r.sd, r.margin, power=power)
        except ValueError:  # beyond any plan
            detect = MOST_SEEDS + 1
        detect = str(detect) if detect <= MOST_SEEDS else f"more than {MOST_SEEDS}"
        plan = (
            f"{r.label}, {r.metric} (SD {r.sd:.3f} over {int(r.n)} seeds): {equivalence} for equivalence "
            f"within ±{r.margin:g}, {detect} to detect a difference of {r.margin:g}"
        )
        if r.metric in matched:
            plan += (
                f", but {matched[r.metric]} scores within {SHORTCUT_MARGIN} of or above every trained model on "
                f"{r.metric} (its shortcut warning): these seeds would rank models that do not show learning there"
            )
        return plan

    return (
        f"Seeds to decide the inconclusive ones, at the SD of paired differences each measured ({power * 100:.0f} % "
        "power, before Holm; equivalence counted as if the true difference were 0, so an estimate near the "
        "margin needs many more; an SD from few seeds is itself uncertain; a plan for the next run, not a "
        "result): " + "; ".join(needed(r) for r in open_rows.itertuples())
    )


def count(table: pd.DataFrame, family: str) -> int:
    return int((table.family == family).sum()) if len(table) else 0


PAIRED_BY_WORLD = (
    "paired by (world, seed), world a random factor (the paired differences averaged per world, and the "
    "t-test on the world means: worlds - 1 df)"
)


def families_note(table: pd.DataFrame, margins: dict, paired: str = "paired by seed") -> str:
    """What the verdicts mean, for the top of a report's list."""
    return (
        f"Verdicts, {paired}: {count(table, PRIMARY)} primary contrasts (declared before the results; "
        f"Holm within them: p_holm) and {count(table, SECONDARY)} secondary ones (Benjamini-Hochberg across "
        "them: p_bh). 'differs': adjusted p < 0.05; 'equivalent within ±m': the adjusted TOST p (p_equiv) "
        f"< 0.05 for the study's margin m (±{margins['acc']:g} for accuracies, ±{margins['r2']:g} for R² "
        "and shares); anything else is 'inconclusive', never evidence of no effect. Intervals are plain 95 % "
        "CIs of each contrast; the verdicts use the adjusted p."
    )


def summary(table: pd.DataFrame, family: str = SECONDARY) -> str:
    """How many of a family's contrasts differ / are equivalent / are inconclusive."""
    rows = table[table.family == family] if len(table) else table
    if rows.empty:
        return f"no {family} contrasts"
    n = rows.verdict.value_counts()
    return (
        f"{len(rows)} {family} contrasts: {n.get('differs', 0)} differ, {n.get('equivalent', 0)} "
        f"equivalent, {n.get('inconclusive', 0)} inconclusive"
    )
