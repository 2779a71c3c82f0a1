"""One report per study: `python -m analysis.report <study dir>` writes report.md and its figures.

Which analysis writes the report is the study's report (`Study.report`, by default
the study's own name; recorded in its run.json), looked up in ciper.study.spec.REPORTS;
a study with no registered report is read by the config column that varies. Failed and
missing trials are listed, never hidden; the analysis runs on the trials that finished.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pandas as pd

from analysis import ablation, alpha, curves, latent, maps, order, structure
from analysis.families import read_margins, write_margins
from analysis.load import load_study, missing_trials
from analysis.plots import METRICS
from analysis.references import (
    condition_keys,
    reference_lines,
    reference_summary,
    shortcut_flags,
    split_references,
)
from analysis.shared import run_of
from analysis.stats import summarise
from ciper.records import atomic_write_bytes
from ciper.study.spec import REPORTS

AXES = {"aug_order": order, "latent_dim": latent, "head_mode": ablation, "alpha": alpha}


def report_module(report: str):
    """The analysis module that writes a registered report (REPORTS, ciper/study/spec.py)."""
    return importlib.import_module(f"analysis.{REPORTS[report]}")


def recorded_report(study_dir: Path) -> str | None:
    """The report the study named when it ran (run.json), if any."""
    try:
        return json.loads((study_dir / "run.json").read_text()).get("report")
    except (OSError, ValueError):
        return None


def _by_axis(trials: pd.DataFrame):
    for column, module in AXES.items():
        if column in trials and trials[column].astype(str).nunique() > 1:
            return module
    return None


def build_report(
    study_dir: str | Path,
    report: str | None = None,
    with_structure: bool = True,
    with_references: bool = True,
    margins: dict[str, float] | None = None,
) -> Path:
    """Write <study_dir>/report.md; `report` names the analysis (default: the one run.json records).

    with_structure adds the structure analysis and the feature maps (they load checkpoints);
    with_references adds the study's reference and control trials beside the trained ones.
    margins are the study's equivalence margins (Study.margins), recorded in margins.json for the
    findings; without them, the ones recorded there by an earlier report (else the defaults)."""
    study_dir = Path(study_dir)
    trials, epochs = load_study(study_dir)
    trials = trials.assign(run_of=run_of(trials, study_dir.name))  # a contrast of another study's runs says so
    report = report or recorded_report(study_dir)
    done = trials[trials.status == "finished"] if len(trials) else trials
    done, reference_rows = split_references(done)
    lines = [
        f"# Study: {study_dir.name}",
        "",
        f"{len(trials)} trials: {len(done) + len(reference_rows)} finished, "
        f"{len(trials) - len(done) - len(reference_rows)} not ({len(reference_rows)} of the finished are "
        "references and controls).",
    ]
    missing = missing_trials(trials)
    early = missing[missing.status == "stopped early"] if len(missing) else missing
    if len(early):
        lines.append(f"- {len(early)} stopped early (ASHA): the scheduler ended them after weak first epochs")
    for _, t in missing.drop(early.index).iterrows():
        lines.append(f"- not finished: trial {t.trial_id} ({t.status})" + (f": {t.error}" if t.get("error") else ""))
    lines.append("")
    if len(done):
        kind = report_module(report) if report in REPORTS else _by_axis(done)
        if kind is not None and kind.__name__ == "analysis.search":  # reads its Optuna storage, not the table
            lines += kind.analyse(study_dir, study_dir)
        elif kind is not None:
            refs = reference_summary(reference_rows, METRICS) if with_references else None
            rows = reference_rows if with_references else None
            if margins is None:
                margins = read_margins(study_dir)
            else:
                write_margins(study_dir, margins)
            lines += kind.analyse(done, epochs, study_dir, refs, margins=margins, ref_rows=rows)
            lines += controls_section(done, refs)
        metric = "objective" if "objective" in done else "pose_r2"
        fig = curves.plot_best(done, epochs, metric, study_dir / "curves.png")
        if fig is not None:
            lines += ["## Training curves", "", f"![training curves of the best trials]({fig.name})", ""]
        if with_structure:
            lines += structure.analyse(study_dir, done, study_dir)
            lines += maps.analyse(study_dir, done, study_dir)
    path = study_dir / "report.md"
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path


def controls_section(done, refs) -> list[str]:
    """The references and controls on the study's probes, and a warning for every metric a
    no-learning control nearly matches."""
    if refs is None:
        return ["## References and controls", "", "(this study ran none: --no-references)", ""]
    metrics = [m for m in METRICS if m in done and done[m].notna().any()]
    summary = summarise(done, condition_keys(done), metrics)
    flags = shortcut_flags(summary, refs, metrics)
    return [
        "## References and controls",
        "",
        "Same probes, same held-out split; the controls learn nothing (ciper/controls.py).",
        "",
        *reference_lines(refs, metrics),
        "",
        *(flags or ["No no-learning reference comes within 0.05 of a trained condition on any metric."]),
        "",
    ]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("error: give one study folder, e.g. python -m analysis.report results/alpha_sweep", file=sys.stderr)
        return 2
    try:
        print(build_report(argv[0]))
    except (FileNotFoundError, ValueError) as e:  # no tables, or tables its report cannot read
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
