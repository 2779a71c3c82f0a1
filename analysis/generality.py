"""Where each answer was tested, and whether it holds on other worlds and budgets.

Two views for FINDINGS.md. The scope table gives, per question, the worlds, epochs and seeds its
trials ran: an answer from one world at one budget says nothing of the others. The alpha table
sets CIPER's primary contrasts (alpha 1 against 0) side by side from each study that repeats
them on other worlds or at another budget, each with its own verdict (Holm within its own
study's primaries), and says in a word whether the first study's verdict holds there.
"""

from __future__ import annotations

import pandas as pd

from analysis import claims
from analysis.fmt import with_ci
from analysis.references import split_references
from analysis.shared import shared_runs
from analysis.verdicts import format_n

CONTRAST = "alpha = 1 vs 0"  # the contrast every study of the alpha table runs
METRICS = ("object_acc", "pose_r2", "rot_r2")  # its primaries in every one of them


def scope(done: pd.DataFrame) -> dict[str, str]:
    """The worlds, epochs and seeds per condition of a study's trained trials, as table cells."""
    on_world = "dataset" not in done or (done.dataset == "world").all()
    worlds = sorted(int(w) for w in done.world_seed.unique()) if on_world and "world_seed" in done else []
    return {
        "data": "built-in world" if on_world else "photographs",
        "worlds": ", ".join(map(str, worlds)) if worlds else "-",
        "epochs": ", ".join(str(int(e)) for e in sorted(done.epochs.unique())),
        "seeds": f"{done.seed.nunique()}" + (" per world" if len(worlds) > 1 else ""),
    }


def scope_table(studies: dict[str, tuple[str, pd.DataFrame]]) -> list[str]:
    """A row per question that has finished trials: {key: (question, trials)}; the others are named."""
    rows, missing = [], []
    for key, (question, trials) in studies.items():
        done = split_references(trials)[0] if len(trials) else trials
        if done.empty:
            missing.append(f"{question} (`{key}`)")
            continue
        rows.append({"question": question, "study": f"`{key}`", **scope(done)})
    lines = [pd.DataFrame(rows).to_markdown(index=False), ""] if rows else []
    narrow = [r["question"] for r in rows if r["data"] == "built-in world" and "," not in r["worlds"] + r["epochs"]]
    if narrow:
        lines += [f"Run on one world at one budget: {'; '.join(narrow)}.", ""]
    if missing:
        lines += [f"Not run yet: {'; '.join(missing)}.", ""]
    return lines


def column(done: pd.DataFrame) -> str:
    """A study's column heading: what it varies of world and budget."""
    worlds = done.world_seed.nunique() if "world_seed" in done else 1
    where = f"{worlds} worlds, world random" if worlds > 1 else f"world {int(done.world_seed.iloc[0])}"
    return f"{where}, {int(done.epochs.max())} epochs"


def holds(first, other, exploratory: bool = False) -> str:
    """Whether the first study's verdict on a contrast is found in another study's: the same direction
    differs there too, the opposite differs, or it is not shown there (inconclusive, or equivalent). An
    exploratory study (one added after earlier results) can show a verdict, not confirm it."""
    if first is None or other is None:
        return "not tested"
    tag = " (exploratory)" if exploratory else ""
    if first.verdict != "differs":
        if other.verdict == "differs":
            return f"differs there{tag}, not in the first"
        return f"{other.verdict} in both" if other.verdict == first.verdict else f"{other.verdict} there"
    if other.verdict != "differs":
        return f"not shown there ({other.verdict})"
    same = (other["diff"] > 0) == (first["diff"] > 0)
    return f"differs there too, same sign{tag}" if same else f"the opposite differs there{tag}"


def alpha_table(studies: dict[str, tuple[pd.DataFrame, dict | None]], exploratory: tuple[str, ...] = ()) -> list[str]:
    """CIPER against contrastive-only on the alpha primaries, a column per study ({key: (trials,
    margins)}, the first the reference), and whether the first study's verdict is found in each other;
    a column says how many of its trained runs are the first study's (same config and seed)."""
    found = {}
    for key, (trials, margins) in studies.items():
        table = claims.alpha_verdicts(trials, margins) if len(trials) else None
        if table is not None:
            found[key] = (split_references(trials)[0], table[table.label == CONTRAST])
    if len(found) < 2:
        return ["Not enough of the alpha studies have run to compare their verdicts.", ""]
    first = next(iter(found))
    headings = {}
    for key, (done, _) in found.items():
        pair = done[done.alpha.isin([0.0, 1.0])]
        repeats = len(shared_runs({first: found[first][0], key: pair})) if key != first else 0
        also = f"; {repeats} of its {len(pair)} runs repeat {first}'s config and seed" if repeats else ""
        headings[key] = f"`{key}` ({column(done)}{also})"
    rows = []
    for metric in METRICS:
        verdicts = {k: _one(t, metric) for k, (_, t) in found.items()}
        row = {"alpha 1 vs 0": metric}
        for key in found:
            r = verdicts[key]
            row[headings[key]] = (
                "-"
                if r is None
                else f"{with_ci(r['diff'], r.lo, r.hi, signed=True)}, {format_n(r.n, r.get('units'))}, {r.verdict}"
            )
        row["the first study's verdict elsewhere"] = "; ".join(
            f"{key}: {holds(verdicts[first], verdicts[key], key in exploratory)}" for key in found if key != first
        )
        rows.append(row)
    return [pd.DataFrame(rows).to_markdown(index=False), ""]


def _one(table: pd.DataFrame, metric: str):
    hit = table[table.metric == metric]
    return hit.iloc[0] if len(hit) else None
