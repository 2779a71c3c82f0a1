"""The verdicts of the order study (analysis/order.py), blocked by seed.

Primary (Holm within them): for op orders and for jitter orders, on object_acc,
pose_r2 and aug_r2, the test across orders that `across_conditions(..., block="seed")`
returns (Friedman for three or more orders, its p from the permutation distribution within seeds:
exact where the seeds' arrangements are few enough, else Monte Carlo with a fixed seed; the
chi-square approximation is poor with few seeds), and as its equivalence test the largest
TOST p of every order against the canonical one (an intersection-union test:
'equivalent' only when every order is within the margin). The largest shift of any
order against the canonical one is shown beside it as a description: it is picked
from several, so its CI is not a test.
Positive control (Holm within it): pairs of ops that do not commute (crop with
rotation, crop with flip while the crop position is a prediction target), each order
against the other: a study that finds these can find an order effect.
Secondary (Benjamini-Hochberg): every order against the canonical one, and a jitter
order per sample against the default order (on every metric but aug_r2, whose targets
then include the order).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis import families
from analysis.families import PRIMARY, SECONDARY
from analysis.fmt import with_ci
from analysis.stats import across_conditions, block_table, friedman_floor, paired_contrast
from analysis.verdicts import ALPHA, format_p
from ciper.config import AUGMENTATIONS
from ciper.study.spec import DEFAULT_MARGINS, margin_of

# the order_kind of a condition of the order study (studies/aug_order.py sets it)
OP_ORDER, JITTER_ORDER, RANDOM, CONTROL_ORDER = "op order", "jitter order", "random", "control"
KINDS = (OP_ORDER, JITTER_ORDER, RANDOM, CONTROL_ORDER)
CONTROL = "positive control"  # the control's family of verdicts
KEY_METRICS = ("object_acc", "pose_r2", "aug_r2")
CONTROL_METRICS = ("aug_r2", "aug_r2/crop_x", "object_acc", "pose_r2")
SYMBOL = {"Friedman": "χ²", "Wilcoxon signed-rank": "W", "Kruskal-Wallis": "H"}


def conditions(trials: pd.DataFrame) -> pd.DataFrame:
    """trials with a `condition` and its `order_kind` (one of KINDS). A study that varies aug_order
    without conditions runs op orders only: each is named 'ops <order>'."""
    t = trials.copy()
    if "order_kind" not in t or t.order_kind.isna().all():
        t["order_kind"] = OP_ORDER
        if "condition" not in t or t.condition.isna().all():
            t["condition"] = "ops " + t.aug_order.astype(str)
    unknown = sorted(set(t.order_kind.dropna()) - set(KINDS))
    if unknown or t.order_kind.isna().any():
        raise ValueError(
            f"order_kind {', '.join(map(repr, unknown)) or 'missing'} in some trials: each condition of an order "
            f"study sets order_kind to one of {', '.join(KINDS)} (studies/aug_order.py)"
        )
    return t


def ops_of(condition_rows: pd.DataFrame) -> list[str]:
    return str(condition_rows.aug_order.iloc[0]).split(">")


def canonical(group: pd.DataFrame) -> str:
    """The reference order of a group: the op-order condition whose ops run in the library's order
    (crop, flip, jitter, grayscale, blur, rotation), else the group's first op-order condition."""
    ops = group[group.order_kind == OP_ORDER]
    for name, rows in ops.groupby("condition", sort=False):
        order = ops_of(rows)
        if order == sorted(order, key=AUGMENTATIONS.index):
            return name
    return ops.condition.iloc[0] if len(ops) else group.condition.iloc[0]


def jitter_group(t: pd.DataFrame) -> pd.DataFrame:
    """The jitter-order conditions with their reference: the op order they share, default jitter order."""
    jit = t[t.order_kind == JITTER_ORDER]
    if jit.empty:
        return jit
    base = t[(t.order_kind == OP_ORDER) & (t.aug_order.astype(str) == str(jit.aug_order.iloc[0]))]
    return pd.concat([base, jit])


def groups(t: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = {OP_ORDER: t[t.order_kind == OP_ORDER], JITTER_ORDER: jitter_group(t)}
    return {k: g for k, g in out.items() if len(g) and g.condition.nunique() >= 2}


def _omnibus_row(kind: str, group: pd.DataFrame, metric: str, margins: dict) -> tuple[dict, list[dict]]:
    """The primary row of one (kind, metric) and the secondary rows of its orders against the canonical one."""
    base = canonical(group)
    margin = margin_of(margins, metric)
    test, statistic, p, p_method = across_conditions(group, "condition", metric, block="seed")
    pairs = []
    for name in group.condition.unique():
        if name != base:
            c = paired_contrast(group, "condition", name, base, metric, margin=margin)
            pair = {"label": f"{name} vs {base}", "metric": metric, "family": SECONDARY, **c._asdict()}
            pairs.append({**pair, "kind": kind})
    largest = max(pairs, key=lambda r: abs(r["diff"]) if math.isfinite(r["diff"]) else -1.0)
    p_equiv = [r["p_equiv"] for r in pairs]
    row = {
        **largest,
        "label": f"{kind}s ({group.condition.nunique()})",
        "family": PRIMARY,
        "n": len(block_table(group, "condition", metric)),
        "p": p,
        "p_equiv": max(p_equiv) if all(map(math.isfinite, p_equiv)) else math.nan,
        "test": test,
        "statistic": statistic,
        "p_method": p_method,
        "k": int(group.condition.nunique()),
        "canonical": base,
        "largest": largest["label"].split(" vs ")[0],
        "kind": kind,
    }
    return row, pairs


def control_pairs(t: pd.DataFrame) -> list[tuple[str, str, list[str]]]:
    """(treated, baseline, the two ops swapped) per pair of control conditions with the same ops; the
    baseline applies the swapped ops in the library's order (crop first)."""
    ctl = t[t.order_kind == CONTROL_ORDER]
    by_ops: dict[frozenset, list[str]] = {}
    for name, rows in ctl.groupby("condition", sort=True):
        by_ops.setdefault(frozenset(ops_of(rows)), []).append(name)
    out = []
    for names in by_ops.values():
        if len(names) != 2:
            continue
        orders = {n: ops_of(ctl[ctl.condition == n]) for n in names}
        a, b = names
        swapped = [o for o, q in zip(orders[a], orders[b]) if o != q]  # as a applies them
        in_library_order = swapped == sorted(swapped, key=AUGMENTATIONS.index)
        base, treated = (a, b) if in_library_order else (b, a)
        out.append((treated, base, sorted(swapped, key=AUGMENTATIONS.index)))
    return out


def aug_r2_shares(t: pd.DataFrame) -> list[dict]:
    """Per control pair, aug_r2's paired change (treated minus baseline, mean over seeds) split into
    what the swapped ops' own targets contribute (crop_*, flip, rotation_*: the order changes what
    they mean in the image, so a change there needs no learning) and what the other ops' targets
    contribute. aug_r2 is the plain mean of the per-target R² (aug_r2/<target>), so the two add up."""
    out = []
    for treated, base, swapped in control_pairs(t):
        both = t[t.condition.isin([treated, base])]
        targets = [c for c in both if c.startswith("aug_r2/") and both[c].notna().all()]
        if not targets:
            continue
        by_seed = both.groupby(["condition", "seed"])[targets].mean()
        change = (by_seed.loc[treated] - by_seed.loc[base]).mean()  # per target, over the seeds both ran
        own = [c for c in targets if c.removeprefix("aug_r2/").split("_")[0] in swapped]
        out.append(
            {
                "swapped": " / ".join(swapped),  # as the control's rows name it (their column swapped)
                "aug_r2": float(change.sum() / len(targets)),
                "own": float(change[own].sum() / len(targets)),
                "other": float(change.drop(own).sum() / len(targets)),
                "targets": len(targets),
            }
        )
    return out


def judged(t: pd.DataFrame, margins: dict | None = None) -> pd.DataFrame:
    """Every verdict of the order study (module docstring); t from `conditions`."""
    margins = DEFAULT_MARGINS if margins is None else margins
    rows = []
    for kind, group in groups(t).items():
        for m in families.present(group, KEY_METRICS):
            row, pairs = _omnibus_row(kind, group, m, margins)
            rows += [row, *pairs]
    for treated, base, swapped in control_pairs(t):
        both = t[t.condition.isin([treated, base])]
        for m in families.present(both, CONTROL_METRICS):
            c = paired_contrast(both, "condition", treated, base, m, margin=margin_of(margins, m))
            label = f"{' and '.join(swapped)} swapped ({treated} vs {base})"
            rows.append({"label": label, "metric": m, "family": CONTROL, **c._asdict(), "swapped": " / ".join(swapped)})
    rnd = t[t.order_kind == RANDOM]
    if len(rnd):
        base = t[(t.order_kind == OP_ORDER) & (t.aug_order.astype(str) == str(rnd.aug_order.iloc[0]))]
        if len(base):
            both, name, random = pd.concat([base, rnd]), base.condition.iloc[0], rnd.condition.iloc[0]
            # aug_r2 is left out: with a jitter order per sample the order joins the head's targets, so
            # the two conditions' aug_r2 are R² over different sets of targets
            for m in [m for m in families.present(both) if m != "aug_r2"]:
                c = paired_contrast(both, "condition", random, name, m, margin=margin_of(margins, m))
                rows.append({"label": f"{random} vs {name}", "metric": m, "family": SECONDARY, **c._asdict()})
    return families.judge(rows, methods={CONTROL: "holm"})


def omnibus_lines(table: pd.DataFrame) -> list[str]:
    """One sentence per primary row: the test by name with its p (raw, how it was computed, and adjusted),
    the largest shift
    against the canonical order (picked from several, so descriptive), then the equivalence test and
    the verdict."""
    out = []
    for r in table[table.family == PRIMARY].itertuples():
        df = f"({int(r.k) - 1})" if r.test == "Friedman" else ""
        stat = (
            "cannot be computed"
            if not math.isfinite(r.statistic)
            else f"{SYMBOL.get(r.test, 'stat')}{df} = {r.statistic:.2f}, p = {format_p(r.p)}{_how(r)}, "
            f"p_{r.method} = {format_p(r.p_adj)}"
        )
        state = f"equivalent within ±{r.margin:g}" if r.verdict == "equivalent" else r.verdict
        out.append(
            f"- {r.label}, {r.metric}: {r.test} blocked by seed, {stat}; largest shift against '{r.canonical}' "
            f"({r.largest}; picked from {int(r.k) - 1} orders, so its CI is descriptive) "
            f"{with_ci(r.diff, r.lo, r.hi, signed=True)}, n={r.n}; every order within ±{r.margin:g} of the "
            f"canonical one (the largest TOST p), p_equiv_{r.method} = {format_p(r.p_equiv_adj)}: {state}"
        )
    return out


def seeds_line(table: pd.DataFrame, power: float = 0.8) -> str | None:
    """The seeds each inconclusive primary would need for its equivalence verdict: what the order with
    the largest SD of paired differences needs alone, were the true differences 0, and where a measured
    shift already lies beyond the margin, that no number suffices at that shift. Every
    order must pass its TOST against the canonical one together, so at that number the joint power is
    lower, and the largest of a few SDs from few seeds runs high. A plan for the next run, not a
    result; None where no primary is inconclusive."""
    rows = table[(table.family == PRIMARY) & (table.verdict == "inconclusive")] if len(table) else table
    if rows.empty or "kind" not in table:
        return None
    parts = []
    for r in rows.itertuples():
        pairs = table[(table.family == SECONDARY) & (table.kind == r.kind) & (table.metric == r.metric)]
        sd = pairs.sd.max()
        if not (sd > 0 and r.margin > 0):
            continue
        n = families.equivalence_seeds(sd, r.margin, power)
        n = n if n.startswith("more") else f"at least {n}"
        part = f"{r.label}, {r.metric}: {n} (SD {sd:.3f} over {int(r.n)} seeds)"
        widest = pairs["diff"].abs().max()
        if widest >= r.margin:  # at the shifts measured, equivalence is out of reach
            part += f", but a shift of {widest:.3f} was measured, at or beyond ±{r.margin:g}: "
            part += "at that shift no seeds suffice"
        parts.append(part)
    if not parts:
        return None
    return (
        f"Seeds for an equivalence verdict on the inconclusive ones ({power * 100:.0f} % power, before "
        "Holm: the seeds the order with the largest SD of paired differences would need alone, at the SDs "
        "measured and were every true difference 0; every order must pass together, so the joint power at "
        f"that number is below {power * 100:.0f} %; a plan for the next run, not a result): " + "; ".join(parts)
    )


def _how(r) -> str:
    """How a primary row's p was computed, for Friedman tests (the permutation p, exact or Monte Carlo)."""
    how = getattr(r, "p_method", None)
    return f" ({how})" if r.test == "Friedman" and isinstance(how, str) and how else ""


def floor_line(table: pd.DataFrame) -> str | None:
    """Where a primary Friedman test cannot reach Holm's first threshold at this number of seeds: its
    permutation p is never below 1 / (k!)^(n - 1) (stats.friedman_floor). None where every test can."""
    rows = table[(table.family == PRIMARY) & (table.test == "Friedman")]
    if rows.empty:
        return None
    m = int((table.family == PRIMARY).sum())
    floors = {(int(r.n), int(r.k)): friedman_floor(int(r.n), int(r.k)) for r in rows.itertuples()}
    blocked = {key: f for key, f in floors.items() if f > ALPHA / m}
    if not blocked:
        return None
    which = "None of these Friedman tests can" if len(blocked) == len(floors) else "Some of these Friedman tests cannot"
    cells = ", ".join(f"{f:.3g} for {k} orders over {n} seeds" for (n, k), f in blocked.items())
    return (
        f"{which} reach Holm's first threshold {ALPHA:g}/{m} = {ALPHA / m:.3g} at this number of seeds: "
        f"the smallest permutation p they can give, that of orders ranked alike in every seed, is {cells}; "
        "there only 'equivalent' or 'inconclusive' can come out."
    )


def control_lines(table: pd.DataFrame, comm: pd.DataFrame | None = None) -> list[str]:
    """The positive control's verdicts, each with how far its two ops fail to commute on this data."""
    out = []
    for r in table[table.family == CONTROL].itertuples():
        line = f"- {r.label}, {r.metric}: {r.sentence}"
        swapped = set(r.swapped.split(" / "))
        hit = comm[comm.pair.map(lambda p, s=swapped: set(p.split(" / ")) == s)] if comm is not None else []
        if len(hit):
            h = hit.iloc[0]
            line += (
                f" (the two orders differ by {h.both_applied:.2e} per pixel with both ops applied, "
                f"{h.as_configured:.2e} as configured)"
            )
        out.append(line)
    return out
