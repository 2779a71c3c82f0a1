"""The paper's claims, each said to be reproduced or not reproduced here, with the verdict behind it.

A claim is reproduced only by a verdict in its favour: 'differs' in the claimed direction
for a gain, 'equivalent' (or a gain) for a claim of no cost. An inconclusive verdict
reproduces nothing: the claim is then 'not reproduced, inconclusive', which neither confirms nor
rules it out; an opposite effect or an equivalence says 'not reproduced' with its own reason.

The structure claims (hierarchy, separate subspaces) are read from the final checkpoints
(analysis/structure.py): CIPER (alpha = 1) against contrastive-only (alpha = 0), paired by
seed; their primary family is the four measures the claims name (STRUCTURE_PRIMARY), Holm
within it.
"""

from __future__ import annotations

import pandas as pd

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


PAPER, OPEN = ("reproduced", "not reproduced"), ("shown", "not shown")  # a paper's claim; an open question
EXPLORATORY = ("shown in this exploratory study, not reproduced", "not shown")  # a follow-up chosen after results


def says(
    claim: str, row, wants: str = GAIN, words: tuple[str, str] = PAPER, missing: str = "", shortcut: str = "", note=""
) -> str:
    """'- <claim>: **reproduced** (<metric> <verdict sentence>)' or **not reproduced** (with
    words=OPEN, for a hypothesis the paper leaves open: **shown** or **not shown**); `missing` says
    why there is no row; `shortcut` names a no-learning control that matches the trained models on
    the metric, where no verdict can reproduce the claim; `note` follows the verdict."""
    if row is None:
        return f"- {claim}: **not tested** ({missing or 'the study that measures it has no finished trials'})"
    gain = row.verdict == "differs" and row["diff"] > 0
    negligible = gain and wants == GAIN and row.get("p_equiv_adj", 1.0) < 0.05  # a gain inside the margin
    ok = (gain if wants == GAIN else gain or row.verdict == "equivalent") and not shortcut and not negligible
    if shortcut:
        reason = f", the probe shows no learning here: {shortcut}"
    elif negligible:
        reason = f", a gain inside the margin: it differs from 0 and is equivalent within ±{row.margin:g} too"
    else:
        reason = why_not(row)
    said = f"**{words[0]}**" if ok else f"**{words[1]}**{reason}"
    return f"- {claim}: {said} ({row.metric}: {row.sentence}){note}"


def why_not(row) -> str:
    """Why a claim is not reproduced: the opposite found, no change within the margin, or too
    little evidence either way (an inconclusive verdict neither confirms nor rules it out)."""
    if row.verdict == "differs":
        return ", the opposite differs"
    if row.verdict == "equivalent":
        return ", equivalent within the margin: no gain"
    return ", inconclusive: neither confirmed nor ruled out at this n"


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
            text += f", {gap:.3f} above it: near the shortcut margin of {SHORTCUT_MARGIN}"
        if closest is None or gap < closest[0]:
            closest = (gap, text)
    if closest is None:
        return "", False
    return closest[1], bool(closest[0] <= SHORTCUT_MARGIN)


def axis_note(trials: pd.DataFrame) -> str:
    """rot_r2's contrast axis by axis (alpha 1 minus alpha 0, paired by seed and world, 95 % CI,
    unadjusted): z is the built-in world's view axis, so drot_z is rotation in the image plane
    and drot_x, drot_y turn the object in depth."""
    done, _ = split_references(trials)
    axes = [f"rot_r2/drot_{a}" for a in "xyz"]
    if not set(axes) <= set(done) or not {0.0, 1.0} <= set(done.alpha):
        return ""
    pair_on = ["seed", "world_seed"] if "world_seed" in done and done.world_seed.nunique() > 1 else "seed"
    cells = []
    for a in axes:
        c = stats.paired_contrast(done, "alpha", 1.0, 0.0, a, pair_on)
        ci = f" [{c.lo:+.3f}, {c.hi:+.3f}]" if c.n > 1 else ""
        cells.append(f"{a.split('_')[-1]} {c.diff:+.3f}{ci}")
    return (
        "; axis by axis (paired, 95 % CI, unadjusted; z is the view axis: drot_z turns in the image plane, "
        f"x and y in depth): {', '.join(cells)}"
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

    def claim(text: str, m: str, wants: str = GAIN) -> str:
        beside, shortcut = control_beside(trials, m) if given else ("", False)
        note = (axis_note(trials) if given and m == "rot_r2" else "") + (
            f"; {beside}" if beside and not shortcut else ""
        )
        return says(text, _row(table, at1, m), wants, words, missing(m), beside if shortcut else "", note)

    lines = [
        claim("CIPER (alpha = 1) keeps more pose information than contrastive-only", "pose_r2"),
        claim("... and more of the relative 3D rotation of two views", "rot_r2"),
        claim("... without costing invariance (object accuracy within the margin, or higher)", "object_acc", NO_COST),
        claim("... and classifies the session (the lighting) better", "session_acc"),
    ]
    return [f"{where}:", "", *lines, ""] if where else lines


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


def structure_claims(table: pd.DataFrame, missing: str = "") -> list[str]:
    """The hierarchy and subspace claims, two measures each; `missing` says why they were not
    measured, where they were not."""
    claim = lambda text, measure, note="": says(
        text, _row(table, STRUCTURE[measure], measure), missing=missing, note=note
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
