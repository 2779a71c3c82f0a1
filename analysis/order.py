"""Open question 2: does the order of augmentations matter beyond seed noise?

Three kinds of condition (studies/aug_order.py): orders of the ops ("ops ..."),
orders of colour jitter's sub-ops ("jitter ..."), and a new jitter order per
sample ("jitter order per sample"). Each kind is tested on its own
(Kruskal-Wallis across its orders), and the answer is set against how far the
ops fail to commute on the study's data (`ciper.commutativity`): ops that
nearly commute give nearly the same images in any order.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plots import LABELS, METRICS, panels, present, save
from analysis.references import config_of, draw_bands, with_reference_rows
from analysis.stats import across_conditions, paired_difference, position_effects, summarise
from ciper.commutativity import noncommutativity
from ciper.datasets import load_dataset

FIGURE = "order_ranked.png"  # the key figure (FINDINGS.md shows it)
RANDOM = "jitter order per sample"
KEY_METRICS = ("object_acc", "view_r2", "aug_r2")


def conditions(trials: pd.DataFrame) -> pd.DataFrame:
    """trials with `condition` (old studies: 'ops <order>') and `kind`: op order, jitter order, random."""
    t = trials.copy()
    if "condition" not in t or t.condition.isna().all():
        t["condition"] = "ops " + t.aug_order.astype(str)
    t["kind"] = np.where(
        t.condition == RANDOM, "random", np.where(t.condition.str.startswith("jitter "), "jitter order", "op order")
    )
    return t


def jitter_group(t: pd.DataFrame) -> pd.DataFrame:
    """The jitter-order conditions with their reference: the op order they share, default jitter order."""
    jit = t[t.kind == "jitter order"]
    if jit.empty:
        return jit
    base = t[(t.kind == "op order") & (t.aug_order.astype(str) == str(jit.aug_order.iloc[0]))]
    return pd.concat([base, jit])


def plot_ranked(summary: pd.DataFrame, metrics: list[str], path: Path, refs: pd.DataFrame | None = None) -> Path:
    fig, axes = panels(len(metrics), width=4.6, height=0.42 * len(summary) + 1.6)
    for ax, metric in zip(axes, metrics):
        s = summary.sort_values(metric, ascending=True)
        y = np.arange(len(s))
        colours = s.kind.map({"op order": "tab:blue", "jitter order": "tab:orange", "random": "tab:red"})
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
    """How far each pair of the study's ops (and jitter's sub-ops) fails to commute, on its data."""
    cfg = config_of(trials.iloc[0]).replace(device="cpu")
    return pd.DataFrame(noncommutativity(cfg, load_dataset(cfg).images))


def tests(t: pd.DataFrame, metrics: list[str]) -> dict[str, dict[str, tuple]]:
    """{kind: {metric: (H, p, number of orders)}} for op orders and jitter orders."""
    out = {}
    for kind, group in (("op order", t[t.kind == "op order"]), ("jitter order", jitter_group(t))):
        if group.condition.nunique() >= 2:
            out[kind] = {m: (*across_conditions(group, "condition", m)[1:], group.condition.nunique()) for m in metrics}
    return out


def random_effect(t: pd.DataFrame, metric: str) -> tuple | None:
    """A jitter order per sample against the default order (same op order), paired by seed."""
    rnd = t[t.kind == "random"]
    if rnd.empty:
        return None
    base = jitter_group(t) if (t.kind == "jitter order").any() else t[t.kind == "op order"]
    base = base[(base.kind == "op order") & (base.aug_order.astype(str) == str(rnd.aug_order.iloc[0]))]
    if base.empty:
        return None
    both = pd.concat([base, rnd])
    return paired_difference(both, "condition", RANDOM, base.condition.iloc[0], metric)


def order_r2(t: pd.DataFrame) -> float:
    """How well the jitter order is read from pair features (mean R² of the position columns)."""
    cols = [c for c in t if c.startswith("aug_r2/jitter_position_")]
    rnd = t[t.kind == "random"]
    return float(rnd[cols].mean(axis=1).mean()) if cols and len(rnd) else math.nan


def _verdict_line(kind: str, metric: str, h: float, p: float, k: int) -> str:
    if math.isnan(p):
        return f"- {kind}s, {metric}: cannot be tested (needs two or more seeds per order)."
    says = "differs across orders beyond seed noise" if p < 0.05 else "does not differ beyond seed noise"
    return f"- {kind}s, {metric}: {says} (Kruskal-Wallis H = {h:.2f}, p = {p:.3g}, {k} orders)."


def analyse(trials: pd.DataFrame, epochs: pd.DataFrame, out: Path, refs: pd.DataFrame | None = None) -> list[str]:
    t = conditions(trials)
    summary = summarise(t, ["condition", "kind"], METRICS)
    metrics = present(summary, METRICS)
    shown = [m for m in KEY_METRICS if m in metrics] or metrics[:1]
    lines = [
        "## Does the order of augmentations matter?",
        "",
        f"![orders ranked]({plot_ranked(summary, shown, out / FIGURE, refs).name})",
        "",
        "Blue: orders of the ops; orange: orders of colour jitter's sub-ops; red: a new jitter order per sample.",
        "",
    ]
    for kind, by_metric in tests(t, metrics).items():
        lines += [_verdict_line(kind, m, *v) for m, v in by_metric.items()]
    for m in metrics:
        r = random_effect(t, m)
        if r is not None and r[3]:
            note = " (its aug_r2 includes the four order columns)" if m == "aug_r2" else ""
            lines.append(
                f"- a jitter order per sample, {m}: {r[0]:+.3f} [{r[1]:+.3f}, {r[2]:+.3f}] against the "
                f"default order (paired, {r[3]} seeds){note}."
            )
    r2 = order_r2(t)
    if not math.isnan(r2):
        lines.append(
            f"- the jitter order per sample is read from pair features with R² = {r2:.3f} "
            f"(mean over the four position columns; 0 = not at all)."
        )
    ops = t[t.kind == "op order"]
    if ops.condition.nunique() > len(str(ops.aug_order.iloc[0]).split(">")):
        main = "aug_r2" if "aug_r2" in metrics else metrics[0]
        effects = {m: position_effects(ops, "aug_order", m) for m in shown}
        if all(e.per_step.notna().any() for e in effects.values()):
            lines += [
                "",
                f"![position effects]({plot_positions(effects, out / 'order_positions.png').name})",
                "",
                f"Position effects on {main} (per position later; the last op is the reference):",
                "",
                effects[main].round(4).to_markdown(index=False),
            ]
    comm = commutation_table(t)
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


def verdict(trials: pd.DataFrame, refs: pd.DataFrame | None = None) -> list[str]:
    t = conditions(trials)
    metrics = [m for m in METRICS if m in t and t[m].notna().any()]
    out = []
    for kind, by_metric in tests(t, metrics).items():
        sig = [m for m, (h, p, k) in by_metric.items() if p < 0.05]
        ps = ", ".join(f"{m} p = {p:.2g}" for m, (h, p, k) in by_metric.items() if m in KEY_METRICS)
        k = next(iter(by_metric.values()))[2]
        out.append(
            f"Across {k} {kind}s, "
            + (f"{', '.join(sig)} differ beyond seed noise" if sig else "no metric differs beyond seed noise")
            + f" (Kruskal-Wallis; {ps})."
        )
    comm = commutation_table(t)
    if len(comm):
        top = comm.sort_values("as_configured", ascending=False).iloc[0]
        jit = comm[comm.pair.str.startswith("jitter.")]
        line = f"The ops that least commute here are {top.pair} ({top.as_configured:.2e} mean pixel difference)"
        if len(jit):
            line += f"; jitter's sub-ops differ by at most {jit.as_configured.max():.2e}"
        out.append(line + ", so orders can only matter where such pairs swap.")
    r2 = order_r2(t)
    if not math.isnan(r2):
        out.append(f"With a jitter order per sample, the order is read from pair features with R² = {r2:.3f}.")
    return out
