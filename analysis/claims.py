"""The paper's claims, each given one of four verdicts here, with the contrast behind it.

- **reproduced** (for a hypothesis the paper leaves open: **shown**): a verdict in the claim's
  favour: 'differs' in the claimed direction for a gain, beyond the margin; for a claim of no
  cost, the one-sided test that the cost is smaller than the margin (non-inferiority), chosen
  after the first results and so said **post hoc**. A study whose prediction head learns from
  pose labels, which the paper's CIPER does not have, says **reproduced with pose labels**.
- **contradicted**: the opposite differs, or the gain is equivalent to none within the margin.
- **not shown**: inconclusive (which neither confirms nor rules the claim out), or a gain that
  differs from 0 but lies inside the margin.
- **untestable here**: the read-out cannot carry the claim on this data: a no-learning control
  matches the trained models, the probe fails (R² far below 0 for every model), the split
  confounds the label (session_acc), or the measure finds nothing in any encoder, the
  supervised ones included.

The structure claims (hierarchy, separate subspaces) are read from the final checkpoints
(analysis/structure.py): CIPER (alpha = 1) against contrastive-only (alpha = 0), paired by
seed; their primary family is the four measures the claims name (STRUCTURE_PRIMARY), Holm
within it.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats as scipy_stats

from analysis import alpha, families, stats, views
from analysis.families import PRIMARY, SECONDARY, Comparison
from analysis.references import (
    LABEL,
    NO_LEARNING,
    SHORTCUT_MARGIN,
    group_keys,
    nearest_control,
    reference_summary,
    split_references,
)

STRUCTURE = {
    "between_objects": "variance between objects",
    "pose_r2[within objects]": "pose_r2 within objects",
    "separation": "separation (pose_r2 from E minus from E_perp)",
    "object_acc[pose removed - random]": "object_acc, pose removed minus random removal",
    "within_sequences": "variance within sequences",
    "object_acc[E_perp]": "object_acc from E_perp",
    "pose_r2[E]": "pose_r2 from E",
    "pose_r2[E_perp]": "pose_r2 from E_perp",
}
# each claim's measures: the hierarchy (between objects, pose within objects) and the subspace
# (one projection, and the removal until pose is gone, against random removal)
STRUCTURE_PRIMARY = ("between_objects", "pose_r2[within objects]", "separation", "object_acc[pose removed - random]")
GAIN, NO_COST = "gain", "no cost"
FAILED_PROBE = -0.5  # an R² below this for every trained model: the probe predicts worse than the mean
# read-outs the held-out split itself confounds (README, "Evaluation protocol")
CONFOUNDED = {
    "session_acc": "the held-out split's Latin square gives each held-out session its own objects, so a "
    "probe can read the session from the object; {control}"
}

# the word for a claim in its favour: a paper's claim, an open question, a follow-up chosen after results
PAPER, OPEN, EXPLORATORY = "reproduced", "shown", "shown in this exploratory study (not confirmatory)"
WITH_POSE_LABELS = "with pose labels"  # added to the word where the prediction head learns from pose labels


def with_pose_labels(words: str) -> str:
    """The word for a claim in its favour where the prediction head learned from pose labels."""
    first, _, rest = words.partition(" ")
    return f"{first} {WITH_POSE_LABELS}" + (f" {rest}" if rest else "")


def says(
    claim: str,
    row,
    wants: str = GAIN,
    words: str = PAPER,
    missing: str = "",
    untestable: str = "",
    note: str = "",
    primaries: int = 1,
    not_shown: str = "",
) -> str:
    """'- <claim>: **<verdict>**<reason> (<metric> <verdict sentence>)<note>' with the verdicts of the
    module docstring; `missing` says why there is no row; `untestable` why the read-out cannot carry
    the claim here; `not_shown` why the contrast, whichever way it fell, does not bear on the claim;
    `primaries` the size of the row's Holm family (the non-inferiority p of a claim
    of no cost is Bonferroni-adjusted over it)."""
    if row is None:
        return f"- {claim}: **not tested** ({missing or 'the study that measures it has no finished trials'})"
    if untestable:
        return f"- {claim}: **untestable here**: {untestable} ({row.metric}: {row.sentence}){note}"
    if not_shown:
        return f"- {claim}: **not shown**, {not_shown} ({row.metric}: {row.sentence}){note}"
    if wants == NO_COST:
        p = noninferiority_p(row, primaries)
        test = (
            f"one-sided test that the loss is under {row.margin:g}: p_bonf={_p(p)} (Bonferroni over the "
            f"{primaries} primaries; the claim's own test, which replaced a two-sided equivalence test after "
            "the first results)"
        )
        said = f"**{words}, post hoc**, non-inferior" if p < 0.05 else "**not shown**, the loss may exceed the margin"
        return f"- {claim}: {said}: {test} ({row.metric}: {row.sentence}){note}"
    gain = row.verdict == "differs" and row["diff"] > 0
    if gain and row.get("p_equiv_adj", 1.0) < 0.05:
        inside = f"it differs from 0 and is equivalent within ±{row.margin:g} too"
        said = f"**not shown**, a gain inside the margin: {inside}"
    elif gain:
        said = f"**{words}**"
    elif row.verdict == "differs":
        said = "**contradicted**, the opposite differs"
    elif row.verdict == "equivalent":
        said = f"**contradicted**, equivalent within ±{row.margin:g}: no gain of the margin's size"
    else:
        said = "**not shown**, inconclusive: neither confirmed nor ruled out at this n"
    return f"- {claim}: {said} ({row.metric}: {row.sentence}){note}"


def _p(p: float) -> str:
    return "n/a" if not math.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.2g}"


def noninferiority_p(row, primaries: int = 1) -> float:
    """p of the one-sided test that treated - baseline > -margin (a loss smaller than the margin),
    from the row's t interval (df: pairs - 1, or worlds - 1 where the worlds are the replicates),
    Bonferroni-adjusted over `primaries` tests (conservative next to the family's Holm)."""
    units = row.get("units", math.nan)
    df = (int(units) if units == units else int(row.n)) - 1
    if df < 1 or not all(map(math.isfinite, (row["diff"], row.lo, row.hi))):
        return math.nan
    se = (row.hi - row.lo) / (2 * scipy_stats.t.ppf(0.975, df))
    p = (
        (0.0 if row["diff"] > -row.margin else 1.0)
        if se == 0
        else scipy_stats.t.sf((row["diff"] + row.margin) / se, df)
    )
    return float(min(1.0, p * primaries))


def _row(table: pd.DataFrame | None, label: str, metric: str):
    if table is None or table.empty:
        return None
    hit = table[(table.label == label) & (table.metric == metric)]
    return hit.iloc[0] if len(hit) else None


def alpha_verdicts(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame | None:
    """The alpha study's verdicts (analysis/alpha.py) from its finished trials, if it can answer."""
    done, _ = split_references(trials)
    if done.empty or "alpha" not in done or not (done.alpha == 0).any() or done.alpha.nunique() < 2:
        return None
    return alpha.judged(done, margins)


def control_beside(trials: pd.DataFrame, metric: str) -> tuple[str, bool]:
    """The best no-learning control on `metric` beside the trained models of the contrast (alpha 0
    and 1), world by world where the study varies the world (references.nearest_control), and
    whether it comes within SHORTCUT_MARGIN of them (a shortcut: there the probe shows no learning,
    whichever way the verdict falls). The world where the control comes closest is the one said."""
    done, refs = split_references(trials)
    if metric not in done or metric not in refs or refs.empty:
        return "", False
    controls = reference_summary(refs, [metric])
    axes = [k for k in group_keys(refs[refs["kind"].isin(NO_LEARNING)]) if k in done]
    contrast = done[done.alpha.isin([0.0, 1.0])]
    closest = None  # (gap, text)
    for values, rows in contrast.groupby(axes) if axes else [((), contrast)]:
        where = dict(zip(axes, values))
        sides = rows.groupby("alpha")[metric].mean().dropna()
        control = nearest_control(controls, metric, where)
        if control is None or sides.empty:
            continue
        gap = sides.min() - control[metric]
        at = "".join(f"on {k} {v:g}, " for k, v in where.items())
        text = (
            f"{at}the {LABEL[control['kind']]} scores {control[metric]:.3f} on it, against "
            f"{sides.min():.3f} to {sides.max():.3f} for the trained models"
        )
        if 0 < gap - SHORTCUT_MARGIN < SHORTCUT_MARGIN:
            text += f", {gap:.3f} above it: within twice the shortcut margin of {SHORTCUT_MARGIN}"
        if closest is None or gap < closest[0]:
            closest = (gap, text)
    if closest is None:
        return "", False
    return closest[1], bool(closest[0] <= SHORTCUT_MARGIN)


def axis_note(trials: pd.DataFrame) -> tuple[str, str]:
    """rot_r2's contrast axis by axis (alpha 1 minus alpha 0, paired by seed and world, 95 % CI,
    unadjusted) with each arm's level: z is the built-in world's view axis, so drot_z is rotation
    in the image plane and drot_x, drot_y turn the object in depth. Second: why the three-axis
    contrast does not bear on 3D rotation, where neither arm reads depth rotation (every depth
    axis's R² within SHORTCUT_MARGIN of 0 or below), else ''."""
    done, _ = split_references(trials)
    axes = [f"rot_r2/drot_{a}" for a in "xyz"]
    if not set(axes) <= set(done) or not {0.0, 1.0} <= set(done.alpha):
        return "", ""
    pair_on = ["seed", "world_seed"] if "world_seed" in done and done.world_seed.nunique() > 1 else "seed"
    levels = done[done.alpha.isin([0.0, 1.0])].groupby("alpha")[axes].mean()
    cells = []
    for a in axes:
        c = stats.paired_contrast(done, "alpha", 1.0, 0.0, a, pair_on)
        ci = f" [{c.lo:+.3f}, {c.hi:+.3f}]" if c.n > 1 else ""
        cells.append(f"{a.split('_')[-1]} {levels.loc[0.0, a]:.3f} -> {levels.loc[1.0, a]:.3f}, {c.diff:+.3f}{ci}")
    note = (
        "; axis by axis (alpha 0 -> alpha 1 means, paired difference, 95 % CI, unadjusted; z is the view axis: "
        f"drot_z turns in the image plane, x and y in depth): {'; '.join(cells)}"
    )
    depth = levels[axes[:2]].to_numpy()
    unreadable = ""
    if (depth <= SHORTCUT_MARGIN).all():
        unreadable = (
            f"neither model reads depth rotation (R² of drot_x and drot_y at most {depth.max():.3f} in both "
            "arms), so the three-axis mean compares two failures in depth; only the in-plane axis is read"
        )
    return note, unreadable


def failed_probe(trials: pd.DataFrame, metric: str) -> str:
    """Why an R² read-out carries nothing here, where both arms of the contrast (alpha 0 and 1) score below
    FAILED_PROBE (predictions far worse than the mean), else ''."""
    done, _ = split_references(trials)
    if "r2" not in metric or metric not in done:
        return ""
    sides = done[done.alpha.isin([0.0, 1.0])].groupby("alpha")[metric].mean().dropna()
    if sides.empty or not (sides < FAILED_PROBE).all():
        return ""
    return (
        f"the probe fails: both arms' R² (alpha 0 and 1) are below {FAILED_PROBE} ({sides.min():.3f} to "
        f"{sides.max():.3f}), worse than predicting the mean"
    )


def alpha_claims(
    table: pd.DataFrame | None, trials: pd.DataFrame | None = None, where: str = "", words: tuple = PAPER
) -> list[str]:
    """The paper's claims on alpha, from an alpha study's contrasts (analysis/alpha.py): its central
    ones are primary there; session accuracy is secondary. `where` names the study and its data;
    words=EXPLORATORY for a study added after earlier results, which can show but not reproduce."""
    at1 = "alpha = 1 vs 0"
    given = trials is not None and not trials.empty
    missing = lambda m: "" if table is None else f"this data gives no {m}"

    primaries = families.count(table, PRIMARY) if table is not None and not table.empty else 1

    def claim(text: str, m: str, wants: str = GAIN) -> str:
        beside, shortcut = control_beside(trials, m) if given else ("", False)
        axes, depth = axis_note(trials) if given and m == "rot_r2" else ("", "")
        untestable = failed_probe(trials, m) if given else ""
        if not untestable and m in CONFOUNDED and beside:
            untestable = CONFOUNDED[m].format(control=beside)
        elif not untestable and shortcut:
            untestable = f"a control that learns nothing matches the trained models: {beside}"
        note = axes + (f"; {beside}" if beside and not untestable else "")
        return says(text, _row(table, at1, m), wants, words, missing(m), untestable, note, primaries, depth)

    lines = [
        claim("CIPER (alpha = 1) keeps more pose information than contrastive-only", "pose_r2"),
        claim("... and more of the relative 3D rotation of two views", "rot_r2"),
        claim("... without costing invariance (object accuracy within the margin, or higher)", "object_acc", NO_COST),
        claim("... and classifies the session (the lighting) better", "session_acc"),
    ]
    return [f"{where}:", "", *lines, ""] if where else lines


# the view-source conditions whose prediction head learns without pose labels, at the cpu preset's ops
LABEL_FREE = {
    "time pairs, no pose labels, colour ops only: alpha = 1 vs 0": "time pairs with no pose target",
    "synthetic pairs, colour ops only: alpha = 1 vs 0": "synthetic pairs (colour ops' parameters only)",
}


def label_free_claims(table: pd.DataFrame | None) -> list[str]:
    """The pose claim without pose labels, the paper's setting: alpha 1 against 0 on pose_r2 in the
    view-source study's label-free conditions with the alpha study's ops (secondary there, BH)."""
    claim = "... without pose labels (the paper's setting; `view_source`, world 0, {}; secondary there, BH)"
    rows = [] if table is None or table.empty else [_row(table, label, "pose_r2") for label in LABEL_FREE]
    if not any(r is not None for r in rows):
        return [says(claim.format("no label-free runs"), None, missing="the view-source study has no finished trials")]
    return [
        says(claim.format(f"{what}, {int(r.n)} seeds"), r)
        for what, r in zip(LABEL_FREE.values(), rows)
        if r is not None
    ]


NOT_HERE = [
    "- CIPER outperforms contrastive learning on CIFAR10 and on CORe50's videos: **not tested** (neither "
    "dataset is on these machines; the platform reads COIL-100's photographs and its built-in world)",
]


def views_verdicts(trials: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame | None:
    """The view-source study's verdicts (analysis/views.py) from its finished trials, if it has any."""
    done, _ = split_references(trials)
    if done.empty or not {"alpha", "pairs", "aug_order"} <= set(done):
        return None
    return views.judged(done, margins)


def views_claims(table: pd.DataFrame | None) -> list[str]:
    """The open question of natural view changes as a hypothesis: at alpha = 1, time pairs teach more
    of the relative 3D rotation than synthetic pairs with the same ops (analysis/views.py, secondary)."""
    claim = "Natural view changes teach CIPER what synthetic augmentations cannot (more rot_r2 from {})"
    if table is None or table.empty:
        return [says(claim.format("time pairs than from synthetic pairs with the same ops"), None)]
    rows = table[(table.compares == "source") & (table.metric == "rot_r2")]
    if rows.empty:
        return [f"- {claim.format('time pairs')}: **not tested** (the data has no 3D rotations to read)"]
    return [says(claim.format(r.label.removeprefix("alpha = 1: ")), r, words=OPEN) for _, r in rows.iterrows()]


def with_separation(rows: pd.DataFrame) -> pd.DataFrame:
    """The structure rows with `separation`, pose_r2 from E minus from E_perp, where both were measured."""
    if {"pose_r2[E]", "pose_r2[E_perp]"} <= set(rows):
        return rows.assign(separation=rows["pose_r2[E]"] - rows["pose_r2[E_perp]"])
    return rows


def structure_verdicts(rows: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    """CIPER (alpha = 1) against contrastive-only on each structure measure, paired by seed, over the
    trials' rows only: a reference encoder's row (it has a `kind`) carries its config's alpha too."""
    trials = rows[rows["kind"].isna()] if "kind" in rows else rows
    if "alpha" not in trials or not {0.0, 1.0} <= set(trials.alpha.dropna()):
        return pd.DataFrame()
    trials = with_separation(trials)
    comparisons = [
        Comparison(title, c, "alpha", 1.0, 0.0, PRIMARY if c in STRUCTURE_PRIMARY else SECONDARY)
        for c, title in STRUCTURE.items()
        if c in trials
    ]
    return families.judge_comparisons(trials, comparisons, margins)


def separation_sensitivity(rows: pd.DataFrame, margin: float = 0.03) -> str:
    """Why the separation measure cannot carry the subspace claim, where no encoder measured (the
    trained ones and the references, the pose-supervised one included) separates pose by the R²
    margin, else ''."""
    rows = with_separation(rows)
    if "separation" not in rows:
        return ""
    kind = rows["kind"] if "kind" in rows else pd.Series(None, rows.index, dtype=object)
    who = [LABEL.get(k, k) if isinstance(k, str) else f"alpha = {a:g}" for k, a in zip(kind, rows.alpha)]
    means = rows.assign(who=who).groupby("who", sort=False).separation.mean()
    if means.empty or means.max() >= margin:
        return ""
    cells = ", ".join(f"{k} {v:+.3f}" for k, v in means.items())
    return f"no encoder measured separates pose by the ±{margin:g} margin, the pose-supervised one included ({cells})"


def structure_claims(table: pd.DataFrame, missing: str = "", words: str = PAPER) -> list[str]:
    """The hierarchy and subspace claims, two measures each; `missing` says why they were not
    measured, where they were not. A table with `sensitivity` (separation_sensitivity) marks the
    separation claim untestable."""
    insensitive = str(table["sensitivity"].iloc[0]) if "sensitivity" in table and len(table) else ""
    claim = lambda text, measure, note="": says(
        text,
        _row(table, STRUCTURE[measure], measure),
        words=words,
        missing=missing,
        note=note,
        untestable=insensitive if measure == "separation" else "",
    )
    return [
        claim(
            "CIPER learns hierarchically structured representations (more of h's variance between objects "
            "than contrastive-only)",
            "between_objects",
        ),
        claim(
            "... with each object's views ordered by pose inside its cluster (more pose_r2 from h less its "
            "object's mean than contrastive-only)",
            "pose_r2[within objects]",
            "; the pose information of the pose_r2 claim, read inside each object's cluster: it says the views "
            "are ordered there, not that the clusters nest by themselves",
        ),
        claim(
            "CIPER keeps pose information in a subspace of its own (pose_r2 from E exceeds pose_r2 from "
            "E_perp by more than under contrastive-only)",
            "separation",
        ),
        claim(
            "... so that projecting the pose read-out out until it is gone costs objects no more than "
            "removing as many random directions (object_acc, pose removed minus random, higher than "
            "under contrastive-only)",
            "object_acc[pose removed - random]",
        ),
    ]
