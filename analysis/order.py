"""Open question 2: does the order of augmentations matter beyond seed noise?

Four kinds of condition (studies/aug_order.py), each said by the trial's
`order_kind` column (analysis/order_verdicts.py KINDS): orders of the ops, orders of
colour jitter's sub-ops, a new jitter order per sample, and a positive control: two
orders of ops that do not commute. Each kind of order is tested on its own, blocked by
seed (analysis/order_verdicts.py: Friedman across its orders, the largest shift
against the canonical order, and every order's equivalence to it), and the
answer is set against how far the ops fail to commute on the study's data
(`ciper.commutativity`) and against the positive control, which shows what an
order effect looks like when there is one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import families
from analysis.families import SECONDARY
from analysis.order_verdicts import (
    CONTROL,
    CONTROL_ORDER,
    JITTER_ORDER,
    KEY_METRICS,
    OP_ORDER,
    RANDOM,
    aug_r2_shares,
    conditions,
    control_lines,
    floor_line,
    groups,
    judged,
    omnibus_lines,
    seeds_line,
)
from analysis.plots import LABELS, METRICS, panels, present, save
from analysis.references import LABEL, config_of, draw_bands, nearest_control, with_reference_rows
from analysis.stats import position_effects, summarise
from ciper.commutativity import noncommutativity
from ciper.config import AUGMENTATIONS
from ciper.datasets import load_dataset

FIGURE = "order_ranked.png"  # the key figure (FINDINGS.md shows it)
COLOURS = {OP_ORDER: "tab:blue", JITTER_ORDER: "tab:orange", RANDOM: "tab:red", CONTROL_ORDER: "tab:green"}


def plot_ranked(summary: pd.DataFrame, metrics: list[str], path: Path, refs: pd.DataFrame | None = None) -> Path:
    fig, axes = panels(len(metrics), width=4.6, height=0.42 * len(summary) + 1.6)
    for ax, metric in zip(axes, metrics):
        s = summary.sort_values(metric, ascending=True)
        y = np.arange(len(s))
        colours = s.order_kind.map(COLOURS)
        for yi, (_, r), c in zip(y, s.iterrows(), colours):
            ax.errorbar(
                r[metric],
                yi,
                xerr=[[r[metric] - r[f"{metric}_lo"]], [r[f"{metric}_hi"] - r[metric]]],
                fmt="o",
                capsize=3,
                color=c,
            )
        draw_bands(ax, refs, metric, vertical=True)
        ax.set_yticks(y, s["condition"].str.replace(">", " → "), fontsize=7)
        ax.set_xlabel(f"{metric} (mean over seeds ± 95 % CI)")
        ax.set_title(LABELS[metric], fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    return save(fig, path)


def plot_positions(effects: dict[str, pd.DataFrame], path: Path) -> Path:
    metrics = list(effects)
    fig, axes = panels(len(metrics), width=3.4)
    for ax, m in zip(axes, metrics):
        e = effects[m]
        y = np.arange(len(e))
        ax.errorbar(e.per_step, y, xerr=[e.per_step - e.lo, e.hi - e.per_step], fmt="o", capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, e.op)
        ax.set_xlabel(f"change in {m} per position later")
        ax.set_title(LABELS[m], fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    return save(fig, path)


def commutation_table(trials: pd.DataFrame) -> pd.DataFrame:
    """How far each pair of the study's ops (every op any condition uses, and jitter's sub-ops)
    fails to commute, on its data."""
    ops = {op for order in trials.aug_order.astype(str) for op in order.split(">") if op}
    cfg = config_of(trials.iloc[0]).replace(device="cpu", aug_order=[a for a in AUGMENTATIONS if a in ops])
    return pd.DataFrame(noncommutativity(cfg, load_dataset(cfg).images))


def order_r2(t: pd.DataFrame) -> float:
    """How well the jitter order is read from pair features (mean R² of the position columns)."""
    cols = [c for c in t if c.startswith("aug_r2/jitter_position_")]
    rnd = t[t.order_kind == RANDOM]
    return float(rnd[cols].mean(axis=1).mean()) if cols and len(rnd) else math.nan


def _ordered_ops(t: pd.DataFrame) -> set[str]:
    ops = t[t.order_kind == OP_ORDER].aug_order.astype(str)
    return {op for order in ops for op in order.split(">")}


def commutation_line(t: pd.DataFrame, comm: pd.DataFrame) -> str | None:
    """The op-order pair that least commutes, and jitter's sub-ops: where an order can change the images."""
    ops = _ordered_ops(t)
    among = comm[comm.pair.map(lambda p: set(p.split(" / ")) <= ops)] if len(comm) else comm
    if among.empty:
        return None
    top = among.sort_values("as_configured", ascending=False).iloc[0]
    jit = comm[comm.pair.str.startswith("jitter.")]
    line = (
        f"Among the op orders' ops, the pair that least commutes here is {top.pair} "
        f"({top.as_configured:.2e} mean pixel difference as configured)"
    )
    if len(jit):
        line += f"; jitter's sub-ops differ by at most {jit.as_configured.max():.2e}"
    line += ", so orders can only change the images where such pairs swap."
    if "precision_ran" in t and t.precision_ran.eq("bf16").all():
        line += (
            f" The models trained in bf16 autocast, whose first convolution reads a pixel value in [0.25, 1) in "
            f"bf16's steps there ({2**-9:.1e} to {2**-8:.1e}): mean differences near or below a step largely "
            "round away before the encoder sees them, so these verdicts are bf16's and do not speak for fp32."
        )
    return line


def analyse(
    trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None, margins=None, **_
) -> list[str]:
    t = conditions(trials)
    summary = summarise(t, ["condition", "order_kind"], METRICS)
    metrics = present(summary, METRICS)
    shown = [m for m in KEY_METRICS if m in metrics] or metrics[:1]
    table = judged(t, margins)
    comm = commutation_table(t)
    lines = [
        "## Does the order of augmentations matter?",
        "",
        f"![orders ranked]({plot_ranked(summary, shown, out / FIGURE, refs).name})",
        "",
        "Blue: orders of the ops; orange: orders of colour jitter's sub-ops; red: a new jitter order per sample; "
        "green: the positive control (ops that do not commute).",
        "",
        families.families_note(table, margins or families.DEFAULT_MARGINS),
        "",
        "Primary: each kind of order, tested across its orders (the test's p, raw and adjusted; p_equiv the "
        "largest TOST p of any order against the canonical one: 'equivalent' when every order is).",
        "",
        *omnibus_lines(table),
        "",
        *([line, ""] if (line := levels_line(t, refs)) else []),
        *([line, ""] if (line := seeds_line(table)) else []),
        *([line, ""] if (line := floor_line(table)) else []),
        "Positive control (Holm within it):",
        "",
        *(control_lines(table, comm) or ["- (the study ran no control conditions)"]),
        "",
        *([control_summary(rows, t), ""] if len(rows := table[table.family == CONTROL]) else []),
        f"Secondary ({families.summary(table)}):",
        "",
        *families.lines(table, SECONDARY),
    ]
    r2 = order_r2(t)
    if not math.isnan(r2):
        lines.append(
            f"- the jitter order per sample is read from pair features with R² = {r2:.3f} "
            f"(mean over the four position columns; 0 = not at all)."
        )
    ops = t[t.order_kind == OP_ORDER]
    if len(ops) and ops.condition.nunique() > len(str(ops.aug_order.iloc[0]).split(">")):
        main = "aug_r2" if "aug_r2" in metrics else metrics[0]
        effects = {m: position_effects(ops, "aug_order", m) for m in shown}
        if all(e.per_step.notna().any() for e in effects.values()):
            lines += [
                "",
                f"![position effects]({plot_positions(effects, out / 'order_positions.png').name})",
                "",
                f"Position effects on {main} (per position later; the last op is the reference; unadjusted):",
                "",
                effects[main].round(4).to_markdown(index=False),
            ]
    lines += [
        "",
        "### How far the ops fail to commute on this data",
        "",
        "Mean |b(a(x)) - a(b(x))| over pixels in [0, 1], same parameters both ways: as the study applies "
        "the ops (each with its probability), and with both ops always applied.",
        "",
        comm.to_markdown(index=False, floatfmt=".2e"),
        "",
        with_reference_rows(summary, refs, "condition").round(3).to_markdown(index=False),
        "",
    ]
    return lines


def control_summary(rows: pd.DataFrame, t: pd.DataFrame | None = None) -> str:
    """What the positive control's verdicts (the control family's rows) show, and what they cannot:
    it is tested by paired contrasts on swaps that change the images far more than the op orders do,
    so it shows the read-outs register such an effect, not that the Friedman primaries could. With
    the trials (t, from `conditions`), aug_r2's change is split into the swapped ops' own targets
    and the rest (aug_r2_shares)."""
    found = rows[rows.verdict == "differs"]
    if found.empty:
        return (
            f"The control is detected on 0 of its {len(rows)} contrasts: the study finds no order effect even "
            "where one must exist, so its nulls say nothing."
        )
    on_key = found[found.metric.isin(KEY_METRICS)]
    line = (
        f"The control is detected on {len(found)} of its {len(rows)} contrasts, {len(on_key)} of them on the "
        f"metrics the primaries test ({', '.join(KEY_METRICS)})."
    )
    if (found.metric == "aug_r2/crop_x").any():
        line += (
            " aug_r2/crop_x is the crop's position, which a flip or rotation after the crop moves in the image: "
            "the order itself changes how that target relates to the image, so a change there needs no learning "
            "(no control measures it)."
        )
    shares = aug_r2_shares(t) if t is not None and (found.metric == "aug_r2").any() else []
    if shares:
        cells = "; ".join(
            f"{s['swapped'].replace(' / ', ' and ')} {s['aug_r2']:+.3f} = {s['own']:+.3f} from the swapped ops' "
            f"own targets and {s['other']:+.3f} from the other ops'"
            for s in shares
        )
        line += (
            f" aug_r2 is the mean R² over the head's targets, and its change splits (paired, mean over seeds): "
            f"{cells}. The swapped ops' own targets (the crop's position and shape, the flip, the rotation) "
            "mean something else in the image once the order changes, so their share needs no learning either."
        )
    own_only = {s["swapped"] for s in shares if s["other"] <= 0}  # aug_r2's change is all its own targets'
    learned = found[(found.metric != "aug_r2/crop_x") & ~((found.metric == "aug_r2") & found.swapped.isin(own_only))]
    if learned.empty and shares:
        return line + (
            " So every detection is on targets the order itself redefines: nothing here shows that the "
            "read-outs register an order effect that training must produce; an 'equivalent' primary says no "
            "order moves it by the margin, not that a smaller effect would be seen."
        )
    return line + (
        " The control is tested by paired contrasts on swaps whose images differ far more than any two op "
        "orders' (the per-pixel differences above and below): it shows the read-outs register an order "
        "effect of that size, not that the primaries could find a smaller one."
    )


def levels_line(t: pd.DataFrame, refs: pd.DataFrame | None) -> str:
    """Where each kind's orders sit on the primaries' metrics (lowest and highest order mean), beside
    the no-learning reference that scores highest there: orders 'equivalent' on a metric say something
    about learning only where they sit well above it."""
    cells = []
    for kind, group in groups(t).items():
        means = group.groupby("condition")[[m for m in KEY_METRICS if m in group]].mean()
        cells += [f"{kind}, {m} {means[m].min():.3f}-{means[m].max():.3f}" for m in means if means[m].notna().any()]
    drawn = t[t.order_kind == RANDOM]
    cells += [f"jitter order per sample, {m} {drawn[m].mean():.3f}" for m in KEY_METRICS if m in drawn and len(drawn)]
    if not cells:
        return ""
    # aug_r2 is the mean over the targets of the ops a run trains with: the references run the preset's
    # ops, the orders add crop's, so their aug_r2 levels are not comparable
    controls = [(m, nearest_control(refs, m)) for m in KEY_METRICS if m != "aug_r2"]
    against = "; ".join(f"{m} {c[m]:.3f} (the {LABEL[c['kind']]})" for m, c in controls if c is not None)
    return f"Levels (each order's mean over seeds, lowest-highest): {'; '.join(cells)}." + (
        f" The best no-learning reference: {against} (aug_r2 not compared: the references' is over other ops' targets)."
        if against
        else ""
    )


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None, margins=None, **_) -> list[str]:
    t = conditions(trials)
    table = judged(t, margins)
    comm = commutation_table(t)
    out = [
        "Each kind of order, tested across its orders, blocked by seed (primary, Holm across the "
        f"{families.count(table, 'primary')}):",
        "",
        *omnibus_lines(table),
        "",
        *([line, ""] if (line := levels_line(t, refs)) else []),
        *([line, ""] if (line := seeds_line(table)) else []),
        *([line, ""] if (line := floor_line(table)) else []),
    ]
    control = control_lines(table, comm)  # every metric of the control's family, as Holm counted them
    if control:
        rows = table[table.family == CONTROL]
        out += [f"Positive control, ops that do not commute (Holm across the {len(rows)}):", ""]
        out += [*control, ""]
        out += [control_summary(rows, t), ""]
    line = commutation_line(t, comm)
    if line:
        out.append(line)
    r2 = order_r2(t)
    if not math.isnan(r2):
        out.append(
            f"With a jitter order per sample, the order is read from pair features with R² = {r2:.3f} (a linear "
            "read-out: near 0, the order is not linearly readable, which does not show it absent)."
        )
    return out
