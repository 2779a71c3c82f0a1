"""Every open question answered in one document: FINDINGS.md.

    python -m analysis.findings --preset cpu [--storage DIR] [--out DIR] [study options]

runs (or resumes) every study as its own command (`python -m studies NAME ...`,
with the study options passed on, e.g. --seeds, --gpus-per-trial, --set), so a
study that fails leaves the others and its own finished trials; then writes
FINDINGS.md in --out (default: the storage folder) with one section per
question: its key figure, its verdicts (primary contrasts with Holm within
them, secondary ones with Benjamini-Hochberg; differs / equivalent within the
study's margin / inconclusive, each with effect, 95 % CI, n and adjusted p), the
references and controls, and the command that reproduces it. A run that several
studies share (same config and seed) is counted once, where it first appears; the
paper's claims are each said to be reproduced or not reproduced.
`--no-run` writes the document from the results already in the storage.
`--coil DIR` (COIL-100's photographs) adds the photographs' sections: coil_alpha on the `coil`
and `coil_grey` presets and view_source on `coil`, in <storage>/coil and <storage>/coil_grey,
with --seeds and `--coil-set key=value ...` passed on (the world's --set keys are not).
Exits 1 if a study failed (the document is still written, naming it).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import budget, claims, generality
from analysis.families import read_margins
from analysis.fmt import with_ci
from analysis.load import load_study
from analysis.maps import FIGURE as MAPS_FIGURE
from analysis.maps import landmarks
from analysis.plots import METRICS
from analysis.references import (
    LABEL,
    condition_keys,
    config_of,
    reference_lines,
    reference_summary,
    shortcut_flags,
    split_references,
)
from analysis.report import report_module
from analysis.shared import counted_once, reused, reused_from_elsewhere, run_of, shared_lines, shared_runs
from analysis.stats import mean_ci, summarise
from analysis.structure import POSE_GONE, RANDOM_DRAWS, analyse_checkpoint, analyse_reference
from ciper.checkpoint import CheckpointError, trial_checkpoint
from ciper.config import PRESETS
from ciper.device import machine
from ciper.records import atomic_write_bytes, code_version


@dataclass
class Section:
    title: str
    study: str  # the study that answers it; its report (ciper.study.spec.REPORTS) gives the verdicts
    preset: str | None = None  # a preset of its own (COIL-100's), else the command's --preset
    folder: str = ""  # a sub-folder of the storage for its results (the same study on other data)
    scope: str = ""  # what its held-out frames share with training, said under its title
    own: tuple[str, ...] = ()  # config keys its study sets itself: left out of the command's --set
    budget_of: str = ""  # the study it repeats at another budget (analysis/budget.py compares the two)

    @property
    def key(self) -> str:
        """Its study's name in the counts of shared runs: the folder too, where it has one."""
        return f"{self.folder}/{self.study}" if self.folder else self.study

    @property
    def on_photographs(self) -> bool:
        """Runs on COIL-100's photographs, which --coil gives (the section says how, without it)."""
        return self.preset is not None

    @property
    def module(self):
        """The study's analysis: its FIGURE and verdict(trials, refs)."""
        return report_module(self.study)


# the built-in world's split (docs/protocol.md): held-out sequences of instances trained on in other
# sessions, at poses as near a training pose as training poses are to one another
WORLD_SPLIT = (
    "Held-out frames come from sequences no training frame shares, but every object instance is trained on "
    "in other sessions, at poses a median 7.5-8.4 degrees from a training pose of it on worlds 0-2 (`python -m "
    "analysis.pose_gap --set world_seed=W`, the cpu preset): re-identification under new light, not new poses."
)
SECTIONS = [
    Section("Alpha: how does alpha trade invariance against equivariance?", "alpha_sweep", scope=WORLD_SPLIT),
    Section("Worlds: does CIPER's gain over contrastive-only hold on other worlds?", "alpha_worlds", scope=WORLD_SPLIT),
    Section(
        "Budget: does CIPER's gain over contrastive-only hold at four times the epochs?",
        "alpha_budget",
        scope=WORLD_SPLIT,
        own=("epochs",),
        budget_of="alpha_sweep",
    ),
    Section("Order: does the order of augmentations matter?", "aug_order", scope=WORLD_SPLIT),
    Section("Latent dimension: how does it matter?", "latent_dim", scope=WORLD_SPLIT),
    Section("Heads: what does each head contribute?", "head_ablation", scope=WORLD_SPLIT),
    Section("Augmentation removal: what does each augmentation contribute?", "aug_ablation", scope=WORLD_SPLIT),
    Section(
        "Natural view changes: what do time pairs teach that 2D augmentations cannot?", "view_source", scope=WORLD_SPLIT
    ),
]
GAP = (
    "Every held-out pose shows one of the objects trained on, {}-{} degrees from a training pose of it: "
    "re-identification across a pose gap, not recognition of new objects."
)
# the paper's turning objects photographed (--coil DIR): the alpha question on the coil preset, again
# with colour taken away and wide pose gaps (coil_grey: controls far from ceiling), and the view source
PHOTOGRAPHS = [
    Section("Real photographs (COIL-100): alpha 0 against 1", "coil_alpha", "coil", "coil", GAP.format(20, 25)),
    Section(
        "Real photographs without colour (COIL-100, coil_grey): alpha 0 against 1",
        "coil_alpha",
        "coil_grey",
        "coil_grey",
        GAP.format(20, 60),
    ),
    Section(
        "Real photographs (COIL-100): time pairs against synthetic pairs",
        "view_source",
        "coil",
        "coil",
        GAP.format(20, 25),
    ),
]


def parse(argv):
    ap = argparse.ArgumentParser(prog="python -m analysis.findings", description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", help=f"{' | '.join(PRESETS)} (default: cpu)")
    ap.add_argument("--storage", default="results", help="the studies' results root (default results/)")
    ap.add_argument("--out", default=None, help="where FINDINGS.md and its figures go (default: --storage)")
    ap.add_argument("--no-run", action="store_true", help="write the document from the results already there")
    ap.add_argument("--coil", default=None, help="COIL-100's folder of obj<K>__<A>.png: adds the photographs' sections")
    ap.add_argument(
        "--coil-set", nargs="*", default=[], help="key=value settings for the COIL studies only (e.g. max_objects=10)"
    )
    return ap.parse_known_args(argv)


def sections(args) -> list[Section]:
    """The world's sections, then the photographs' where --coil gives them."""
    return SECTIONS + (PHOTOGRAPHS if args.coil else [])


def study_args(sec: Section, args, passed: list[str]) -> list[str]:
    """The options of sec's study command: the command's own for a world section; for a photographs
    section its preset and folder, the COIL folder and --coil-set, and only --seeds of the rest (the
    world's --set keys, such as world_frames, mean nothing on photographs)."""
    storage = str(Path(args.storage) / sec.folder) if sec.folder else args.storage
    if not sec.on_photographs:
        return ["--preset", args.preset, "--storage", storage, *without_sets(passed, sec.own)]
    seeds = [a for i, a in enumerate(passed) if a.startswith("--seeds") or (i and passed[i - 1] == "--seeds")]
    return ["--preset", sec.preset, "--storage", storage, *seeds, "--set", f"data_dir={args.coil}", *args.coil_set]


def without_sets(passed: list[str], keys: tuple[str, ...]) -> list[str]:
    """The study options without the `--set key=value` pairs of these keys (the study sets them itself:
    alpha_budget its epochs), and without a --set left empty."""
    out, in_set = [], False
    for arg in passed:
        if arg.startswith("--"):
            in_set = arg == "--set"
        elif in_set and arg.split("=", 1)[0] in keys:
            continue
        out.append(arg)
    return [a for i, a in enumerate(out) if a != "--set" or (i + 1 < len(out) and not out[i + 1].startswith("--"))]


def run_studies(args, passed: list[str]) -> dict[str, str]:
    """Run (or resume) every study in its own process; {study: why it failed} for those that did."""
    failed = {}
    runs = {(s.study, s.folder): s for s in sections(args)}  # a study shared by two sections runs once
    for (name, folder), sec in runs.items():
        cmd = [sys.executable, "-m", "studies", name, *study_args(sec, args, passed)]
        print(f"[findings] {' '.join(cmd[1:])}", flush=True)
        rc = subprocess.run(cmd).returncode
        if rc != 0:
            failed[(name, folder)] = f"`python -m studies {name}` exited with {rc}"
    return failed


def command(study: str, args, passed: list[str], sec: Section | None = None) -> str:
    """The study's command (its results go to results/ unless --storage says otherwise)."""
    if sec is not None and sec.on_photographs:
        options = study_args(sec, args, passed)
        return f"python -m studies {study} " + " ".join(options[:2] + options[4:])  # without --storage
    extra = " ".join(passed)
    return f"python -m studies {study} --preset {args.preset}" + (f" {extra}" if extra else "")


def _figure(study_dir: Path, name: str, out: Path, folder: str = "") -> str | None:
    """Copy a study's figure next to FINDINGS.md (when --out is elsewhere); its relative path."""
    src = study_dir / name
    if not src.exists():
        return None
    rel = Path(folder) / study_dir.name / name
    if (out / rel).resolve() != src.resolve():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out / rel)
    return rel.as_posix()


def finished(storage: Path, study: str) -> pd.DataFrame:
    """The study's finished trials, references included (empty if it has none)."""
    try:
        trials, _ = load_study(storage / study)
    except FileNotFoundError:
        return pd.DataFrame()
    return trials[trials.status == "finished"] if len(trials) else trials


def section(sec: Section, tables: dict, storage: Path, out: Path, args, passed, failed: dict, shared) -> list[str]:
    """The section of one question: tables holds every section's finished trials (by Section.key)."""
    lines = [f"## {sec.title}", "", *([sec.scope, ""] if sec.scope else [])]
    passed = without_sets(passed, sec.own)
    storage = storage / sec.folder
    study_dir = storage / sec.study
    done, reference_rows = split_references(tables[sec.key])
    done = done.assign(run_of=run_of(done, sec.study, shared[shared.study == sec.key], sec.folder))
    if (sec.study, sec.folder) in failed:
        lines += [f"**The study {sec.study} failed:** {failed[(sec.study, sec.folder)]}; see its log above.", ""]
    if done.empty:
        return lines + [
            f"Not run yet: no finished trials of {sec.study} in the storage"
            + (f"'s {sec.folder}/ folder." if sec.folder else "."),
            "",
            f"Reproduce: `{command(sec.study, args, passed, sec)}`",
            "",
        ]
    fig = _figure(study_dir, sec.module.FIGURE, out, sec.folder)
    refs = reference_summary(reference_rows, METRICS)
    metrics = [m for m in METRICS if m in done and done[m].notna().any()]
    margins = read_margins(study_dir)
    lines += [f"![{sec.study}]({fig})" if fig else "(figure missing: run the study's report)", ""]
    lines += [*sec.module.verdict(done, refs, margins=margins, ref_rows=reference_rows), ""]
    if sec.budget_of:
        lines += budget_section(done, storage, out, sec)
    again = shared_lines(shared, sec.key)
    worlds = done.world_seed.nunique() if "world_seed" in done else 1
    on = f" on each of {worlds} worlds" if worlds > 1 else ""
    elsewhere = reused_from_elsewhere(done, sec.study)
    own = reused(done) & ~elsewhere
    read_back = f", {int(elsewhere.sum())} of them read back from another study's runs" if elsewhere.any() else ""
    read_back += f", {int(own.sum())} read back from this study's own earlier run of the same code" if own.any() else ""
    lines += [
        f"{len(done)} finished trained trials and {len(reference_rows)} reference and control trials "
        f"({done.seed.nunique()} seeds per condition{on}, "
        f"{done.train_time[~elsewhere].sum() / 60:.0f} min of training time{read_back}); "
        f"code {', '.join(sorted(done.code_version.dropna().unique()))}; machine: {_machine(study_dir)}; "
        f"full report: `{Path(sec.folder) / sec.study}/report.md`.",
        "",
    ]
    if again:
        lines += [
            f"{len(shared[shared.study == sec.key])} of this study's trials (references included) are runs "
            "of an earlier section's study, same config and seed, counted there: a contrast between them "
            "repeats that study's contrast and is no second confirmation (its p here is adjusted within "
            "this study's family; the earlier section's is the one to cite).",
            "",
            *again,
            "",
        ]
    lines += [
        "References and no-learning controls on the same probes (mean [95 % CI] over seeds):",
        "",
        *reference_lines(refs, metrics),
        "",
        *shortcut_flags(summarise(done, condition_keys(done), metrics), refs, metrics),
        "",
        f"Reproduce: `{command(sec.study, args, with_seeds(passed, done), sec)}`",
        "",
    ]
    return lines


def budget_section(done: pd.DataFrame, storage: Path, out: Path, sec: Section) -> list[str]:
    """The section's trials beside those of the study they repeat at another budget, and the
    learning curves of both (analysis/budget.py)."""
    try:
        short, short_epochs = load_study(storage / sec.budget_of)
        _, long_epochs = load_study(storage / sec.study)
    except FileNotFoundError:
        return [f"Not compared with {sec.budget_of}: it has no results in the storage.", ""]
    short, _ = split_references(short[short.status == "finished"])
    matched = budget.same_but_epochs(done, short).trial_id
    figure_path = out / sec.study / budget.FIGURE
    figure_path.parent.mkdir(parents=True, exist_ok=True)
    path = budget.plot_curves(long_epochs, short_epochs[short_epochs.trial_id.isin(matched)], figure_path)
    figure = [f"![learning curves at both budgets]({path.relative_to(out).as_posix()})", ""] if path else []
    machines = _machine(storage / sec.study), _machine(storage / sec.budget_of)
    confounded = (
        [
            f"The two studies ran on different machines ({machines[0]}; {sec.budget_of}: {machines[1]}): the "
            "budget and the CPU change together, so a change with the budget is not the budget's alone.",
            "",
        ]
        if not same_machine(*machines)
        else []
    )
    return [*budget.budget_lines(done, short), *confounded, *figure]


def _machine(study_dir: Path) -> str:
    """The machine the study's driver ran on, as its run.json records it."""
    try:
        return json.loads((study_dir / "run.json").read_text())["machine"]
    except (OSError, ValueError, KeyError):
        return "not recorded in its run.json"


def same_machine(a: str, b: str) -> bool:
    """Whether two machine() records name the same machine. Older records do not list the CPU's
    bf16 instruction sets (the parentheses after the model); where one of the two lacks them,
    they are left out of the comparison, and the model, cores, torch, Python and GPU decide."""
    flags = re.compile(r" \((?:AVX[^)]*|AMX)\)")
    if bool(flags.search(a)) != bool(flags.search(b)):
        return flags.sub("", a) == flags.sub("", b)
    return a == b


def with_seeds(passed: list[str], done: pd.DataFrame) -> list[str]:
    """The study options, with --seeds set to the seeds its trials ran where the options leave them
    to the study's default: a reproduce line reruns what the section shows."""
    if any(a.startswith("--seeds") for a in passed):
        return passed
    return [*passed, "--seeds", str(done.seed.nunique())]


PHOTOGRAPHS_MISSING = [
    "## Real photographs (COIL-100)",
    "",
    "Not run: give COIL-100's folder of `obj<K>__<A>.png` files with `--coil DIR` (docs/datasets.md says "
    "where to get it) to add the alpha question on the photographs, with and without colour, and time "
    "pairs against synthetic pairs.",
    "",
]


STRUCTURE_COLUMNS = {  # the structure table: every measure claims.py judges, and what the removal needed
    **claims.STRUCTURE,
    "removed_directions": "directions removed until pose is gone",
    "pose_r2[pose removed]": "pose_r2 left",
}


def _structure_rows(study_dir: Path, trials: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The structure analysis of every seed's final checkpoint, for the landmark conditions."""
    rows = []
    for _, t in trials.iterrows():
        ckpt = trial_checkpoint(study_dir / "ray", t.trial_id)
        if ckpt is None:
            continue
        try:
            rows.append({**{k: t[k] for k in keys}, **analyse_checkpoint(ckpt)})
        except CheckpointError as e:  # an unreadable checkpoint leaves this seed out, said in the log
            print(f"[findings] structure: {e}", file=sys.stderr)
    return pd.DataFrame(rows)


def _summary_table(rows: pd.DataFrame, label: str) -> pd.DataFrame:
    out = []
    for name, g in claims.with_separation(rows).groupby(label, sort=False):
        row = {label: name, "seeds": len(g)}
        for c, title in STRUCTURE_COLUMNS.items():
            if c in g:
                m, lo, hi = mean_ci(g[c])
                row[title] = with_ci(m, lo, hi)
        out.append(row)
    return pd.DataFrame(out)


STRUCTURE_FILE = "structure.parquet"  # a study's structure rows, kept beside its tables


def measured_structure(study_dir: Path, storage: Path, done: pd.DataFrame, key: str, with_references: bool):
    """The structure rows of the landmark trials (a row per trial and seed, labelled `condition`),
    with the reference encoders' rows for three seeds where asked. Measured from the final
    checkpoints where the storage has them, and kept in <study>/structure.parquet, so that a
    storage of tables alone (docs/findings) still answers; read from there where it has none."""
    rows = _structure_rows(study_dir, done, [key])
    kept = study_dir / STRUCTURE_FILE
    if rows.empty:
        return pd.read_parquet(kept) if kept.exists() else rows
    rows = rows.sort_values(key, key=lambda v: v.map(str) if v.dtype == object else v, kind="stable")
    rows["condition"] = [f"{key} = {v:g}" if isinstance(v, float) else f"{key} = {v}" for v in rows[key]]
    if with_references:  # the reference encoders, at the study's config, per seed
        cache = storage / "references"
        for seed in sorted(done.seed.unique())[:3]:
            cfg = config_of(done[done.seed == seed].iloc[0])
            for kind in ("untrained", "object_supervised", "pose_supervised"):
                row = {**analyse_reference(cfg, kind, cache), "condition": LABEL[kind]}
                rows = pd.concat([rows, pd.DataFrame([row])], ignore_index=True)
    buf = io.BytesIO()
    rows.to_parquet(buf, index=False)
    atomic_write_bytes(kept, buf.getvalue())
    return rows


def ciper_effect(rows: pd.DataFrame) -> str | None:
    """CIPER (alpha = 1) against contrastive-only on each structure measure, paired by seed, with its
    verdict (analysis/claims.py: trials' rows only, never a reference encoder's)."""
    table = claims.structure_verdicts(rows)
    if table.empty:
        return None
    return (
        "CIPER (alpha = 1) against contrastive-only, paired by seed (primary: "
        + ", ".join(claims.STRUCTURE[m] for m in claims.STRUCTURE_PRIMARY)
        + ", Holm; the rest BH): "
        + "; ".join(f"{r.label} {r.sentence}" for r in table.itertuples())
        + "."
    )


def removal_size(rows: pd.DataFrame, done: pd.DataFrame) -> list[str]:
    """How many of h's dimensions the pose removal took, per landmark condition: pose confined to a
    subspace of its own would need few."""
    if "removed_directions" not in rows or "latent_dim" not in done:
        return []
    trained = rows[rows["kind"].isna()] if "kind" in rows else rows
    sizes = trained.groupby("condition", sort=False).removed_directions.mean()
    cells = ", ".join(f"{n:.0f} ({c})" for c, n in sizes.items())
    width = int(done.latent_dim.max())
    return [f"Directions the removal took before pose was gone, of h's {width} (mean over seeds): {cells}.", ""]


def structure_section(storage: Path, out: Path, args, passed) -> tuple[list[str], pd.DataFrame]:
    """Variance shares and the separation of pose information, per landmark condition and seed,
    with the reference encoders as rows; the maps of the study reports. Also the verdicts of CIPER
    against contrastive-only on them (analysis/claims.py), for the paper's claims."""
    verdicts = pd.DataFrame()
    lines = [
        "## Representation structure: where do invariant and equivariant information live?",
        "",
        "Held-out features h of every seed's final checkpoint: the share of their variance between objects "
        "and within sequences (pose changes only), and probes from the pose subspace E (spanned by the "
        "pose read-out) and its complement E_perp (`analysis/structure.py`). Separated information would "
        "show as pose_r2 from E_perp far below pose_r2 from E, with objects still read from E_perp. Two "
        "closer reads: pose_r2 within objects (h and the pose targets less the mean of the object's "
        "training frames: are each object's views ordered by pose?), and the pose read-out projected out "
        f"round after round until held-out pose_r2 is at most {POSE_GONE}, then objects read from what is "
        f"left, minus their accuracy once as many random directions are removed ({RANDOM_DRAWS} draws): 0 "
        "where pose has a subspace of its own, negative where removing it takes objects with it.",
        "",
    ]
    found = False
    for name, key in (("alpha_sweep", "alpha"), ("head_ablation", "head_mode")):
        study_dir = storage / name
        try:
            trials, _ = load_study(study_dir)
        except FileNotFoundError:
            continue
        done, _ = split_references(trials[trials.status == "finished"])
        if done.empty or key not in done:
            continue
        found = True
        if "head_input" in done and (done.head_input == "diff").any():
            done = done[done.head_input == "diff"]
        done = done[done[key].isin(landmarks(done, key))]
        rows = measured_structure(study_dir, storage, done, key, with_references=name == "alpha_sweep")
        if rows.empty:
            lines += [
                f"{name} has finished trials but neither checkpoints in its ray/ folder to measure nor a "
                f"{STRUCTURE_FILE} of earlier measures.",
                "",
            ]
            continue
        fig = _figure(study_dir, MAPS_FIGURE, out)
        if fig:
            lines += [f"![maps, {name}]({fig})", ""]
        lines += [
            f"From {name} (mean [95 % CI] over seeds):",
            "",
            _summary_table(rows, "condition").to_markdown(index=False),
            "",
        ]
        if name == "alpha_sweep" and (effect := ciper_effect(rows)):
            verdicts = claims.structure_verdicts(rows, read_margins(study_dir)).assign(
                sensitivity=claims.separation_sensitivity(rows)
            )
            lines += [effect, "", *removal_size(rows, done)]
        again = f"python -m analysis.findings --preset {args.preset} --no-run"
        lines += [f"Reproduce: `{command(name, args, passed)}`, then `{again}`", ""]
    if not found:
        lines += ["No alpha or head study found: run them first.", ""]
    return lines, verdicts


DATA = {"world": "the built-in world", "coil100": "COIL-100's photographs"}
# the studies whose alpha 0 against 1 tests the paper's claims on alpha, each on its own data or
# budget, with what a reader must know of its design
CLAIM_STUDIES = {
    "alpha_sweep": "world 0, on which the protocol was chosen",
    "alpha_worlds": "",
    "alpha_budget": "world 0; a follow-up added after object_acc at 12 epochs and the three-worlds contrasts "
    "were inconclusive: exploratory",
    "coil/coil_alpha": "",
    "coil_grey/coil_alpha": "",
}
# what each study's held-out frames share with training (WORLD_SPLIT, GAP), said once per claims block
HELD_OUT = {
    "world": "held out: unseen sequences of instances trained on in other sessions, a median 7.5-8.4 degrees "
    "from a training pose",
    "coil/coil_alpha": "held out: poses of trained objects, 20-25 degrees from a training pose",
    "coil_grey/coil_alpha": "held out: poses of trained objects, 20-60 degrees from a training pose",
}


def paper_claims(tables: dict[str, pd.DataFrame], storage: Path) -> list[str]:
    """The paper's claims on alpha, once per study that tests them, each headed by what it ran on."""
    out = []
    for key, design in CLAIM_STUDIES.items():
        trials = tables.get(key)
        if trials is None or trials.empty:
            continue
        table = claims.alpha_verdicts(trials, read_margins(storage / key))
        done, _ = split_references(trials)
        worlds = done.world_seed.nunique() if "world_seed" in done else 1
        what = [
            DATA.get(str(done.dataset.iloc[0]), str(done.dataset.iloc[0])) if "dataset" in done else "",
            "grey" if "image_colour" in done and (done.image_colour == "grey").all() else "",
            f"{worlds} worlds (world a random factor)" if worlds > 1 else "",
            f"{done.seed.nunique()} seeds, {int(done.epochs.max())} epochs, {int(done.image_size.max())} px",
            design,
            POSE_LABELS if pose_labelled(done) else "",
            HELD_OUT.get(key) or HELD_OUT.get(str(done.dataset.iloc[0]) if "dataset" in done else "", ""),
            "Holm over its own primaries",
        ]
        where = f"From `{key}` ({'; '.join(w for w in what if w)})"
        words = claims.EXPLORATORY if "exploratory" in design else claims.PAPER
        if pose_labelled(done):
            words = claims.with_pose_labels(words)
        block = claims.alpha_claims(table, trials, where, words)
        if key == "alpha_sweep" and pose_labelled(done):
            views = tables.get("view_source", pd.DataFrame())
            label_free = claims.label_free_claims(claims.views_verdicts(views, read_margins(storage / "view_source")))
            block = [*block[:-1], *label_free, ""]
        out += block
    return out or claims.alpha_claims(None)


POSE_LABELS = (
    "the prediction head regresses each time pair's true pose change (pose labels, which the paper's CIPER, "
    "predicting augmentation parameters only, does not use)"
)


def pose_labelled(done: pd.DataFrame) -> bool:
    """Whether the trials' prediction head learns from pose labels: time pairs whose target is the pose change."""
    if not {"pairs", "time_pair_target"} <= set(done):
        return False
    return bool((done.pairs.astype(str).str.contains("time") & (done.time_pair_target == "pose_change")).any())


def structure_words(tables: dict[str, pd.DataFrame]) -> str:
    """The word for a structure claim in its favour: the checkpoints are alpha_sweep's, so it carries
    "with pose labels" where that study's prediction head learned from them."""
    done, _ = split_references(tables.get("alpha_sweep", pd.DataFrame()))
    return claims.with_pose_labels(claims.PAPER) if pose_labelled(done) else claims.PAPER


def structure_missing(tables: dict[str, pd.DataFrame], structure_table: pd.DataFrame) -> str:
    """Why the structure claims were not measured, where the alpha study ran but left no checkpoints."""
    if structure_table.empty and not tables["alpha_sweep"].empty:
        return "the alpha study's final checkpoints, which the structure measures read, are not in this storage"
    return ""


GENERALITY = "alpha_sweep", "alpha_worlds", "alpha_budget"  # the alpha contrast, then its other worlds and budget


def generality_lines(tables: dict[str, pd.DataFrame], storage: Path, secs: list[Section]) -> list[str]:
    """Where each question's trials ran, and the alpha primaries side by side across worlds and
    budgets (analysis/generality.py)."""
    short = [sec.title.split(":")[0] for sec in secs]  # the full title where two sections share a name
    studies = {
        sec.key: (name if short.count(name) == 1 else sec.title, tables[sec.key]) for sec, name in zip(secs, short)
    }
    alphas = {key: (tables[key], read_margins(storage / key)) for key in GENERALITY}
    exploratory = tuple(key for key, design in CLAIM_STUDIES.items() if "exploratory" in design)
    return [
        "### Where each answer was tested",
        "",
        "The worlds, epochs and seeds per condition of each question's trained trials. An answer found on "
        "one world at one budget is not shown to hold on other worlds or budgets.",
        "",
        *generality.scope_table(studies),
        "Of these answers only the alpha contrast is repeated on other worlds and at another budget: CIPER "
        "against contrastive-only on the alpha study's primaries, in each study that repeats it (each "
        "verdict adjusted within its own study's primaries); the last column says whether the first "
        "study's verdict is found there too. Every other answer rests on its one world and budget only.",
        "",
        *generality.alpha_table(alphas, exploratory),
    ]


def write_findings(args, passed: list[str], failed: dict, seconds: float) -> Path:
    storage = Path(args.storage).expanduser().resolve()
    out = Path(args.out or storage).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    tables = {sec.key: finished(storage / sec.folder, sec.study) for sec in sections(args)}
    shared = shared_runs(tables)
    body = [line for sec in SECTIONS for line in section(sec, tables, storage, out, args, passed, failed, shared)]
    photographs = [
        line
        for sec in sections(args)[len(SECTIONS) :]
        for line in section(sec, tables, storage, out, args, passed, failed, shared)
    ]
    structure_lines, structure_table = structure_section(storage, out, args, passed)
    views_table = claims.views_verdicts(tables["view_source"], read_margins(storage / "view_source"))
    lines = [
        "# CIPER findings",
        "",
        f"Written by `python -m analysis.findings --preset {args.preset}"
        + (f" {' '.join(passed)}" if passed else "")
        + (f" --coil {args.coil}" if args.coil else "")
        + (" --no-run" if args.no_run else "")
        + f"` at code {code_version()} on {time.strftime('%Y-%m-%d')}, "
        f"on {machine()} (each section names its trials' machine); {seconds / 60:.0f} min for this call "
        "(trials run by earlier calls not counted; "
        "each section gives its trials' time and the code that ran them). "
        "Each section names the command that reproduces its study (add `--storage DIR` for another folder).",
        "",
        "Every result is a contrast paired by seed with its 95 % CI (Student t), n and a p-value adjusted "
        "within its question: the primary contrasts each study declares (Holm within them) and its secondary "
        "ones (Benjamini-Hochberg across them). A verdict is 'differs' (adjusted p < 0.05), 'equivalent "
        "within ±m' (the adjusted TOST p < 0.05 for the margin m the study file declares), or "
        "'inconclusive', which is no evidence of no effect. References: the same architecture untrained, "
        "and trained with object or pose labels (`ciper/reference.py`); controls learn nothing.",
        "",
        "### The paper's claims here",
        "",
        "Each claim is **reproduced** (**shown**, for a hypothesis the paper leaves open), **contradicted** "
        "(the opposite differs, or no gain within the margin), **not shown** (inconclusive, or a gain inside the "
        "margin) or **untestable here** (a control that learns nothing matches the trained models, the probe "
        "fails, the split confounds the label, or the measure finds nothing in any encoder); "
        f"**{claims.PAPER} {claims.WITH_POSE_LABELS}** where the prediction head learned from pose labels, which "
        "the paper's CIPER does not have, and **post hoc** where the claim of no cost passed its one-sided "
        "test, which was chosen after the first results; `analysis/claims.py` gives the rules.",
        "",
        *paper_claims(tables, storage),
        *(
            []
            if structure_table.empty
            else [
                "From `alpha_sweep`'s final checkpoints (the built-in world, world 0; the measures kept in "
                "alpha_sweep/structure.parquet; held out as above; Holm over the four structure measures):",
                "",
            ]
        ),
        *claims.structure_claims(structure_table, structure_missing(tables, structure_table), structure_words(tables)),
        *claims.NOT_HERE,
        "",
        *generality_lines(tables, storage, sections(args)),
        "### The open question of natural view changes, as a hypothesis",
        "",
        *claims.views_claims(views_table),
        "",
        *counted_once(tables, shared),
        *body,
        *structure_lines,
        *(photographs or PHOTOGRAPHS_MISSING),
    ]
    path = out / "FINDINGS.md"
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path


def main(argv=None) -> int:
    args, passed = parse(sys.argv[1:] if argv is None else argv)
    if args.preset not in PRESETS:
        print(f"error: unknown preset '{args.preset}'; choose one of {', '.join(PRESETS)}", file=sys.stderr)
        return 2
    t0 = time.time()
    failed = {} if args.no_run else run_studies(args, passed)
    path = write_findings(args, passed, failed, time.time() - t0)
    print(f"findings: {path}")
    if failed:
        names = ", ".join(f"{folder}/{name}" if folder else name for name, folder in failed)
        print(f"error: {len(failed)} studies failed: {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
