"""Study definitions: each file describes one experiment; `python studies/<name>.py` runs it.

`main(STUDY)` is every study file's entry point: it runs (or resumes) the study
with the library's runner, then builds its report with the analysis package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ciper.study import Study, StudyRun, run_study

NAMES = sorted(p.stem for p in Path(__file__).resolve().parent.glob("*.py") if not p.name.startswith("_"))


def main(study: Study, argv: list[str] | None = None) -> StudyRun:
    """Run the study, write its report; exit 1 (naming the first error) if no trial finished."""
    from analysis.report import build_report

    run = run_study(study, argv)
    if run.study_dir is not None:
        print(f"report: {build_report(run.study_dir, report=study.report, margins=study.margins)}")
    if run.finished == 0:
        print(f"error: no trial of {study.name} finished; the first error: {run.first_error()}", file=sys.stderr)
        raise SystemExit(1)
    return run
