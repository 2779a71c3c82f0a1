"""Each list is defined once: every place that names a metric or a report reads its registry."""

import re
from pathlib import Path

from analysis import plots
from ciper import metrics, probes
from ciper.study.tables import EPOCH_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def test_every_metric_has_a_label_a_why_nan_text_and_a_description():
    assert len(set(metrics.METRICS)) == len(metrics.REGISTRY) > 0
    for m in metrics.REGISTRY:
        assert m.label.strip() and m.why_nan.strip() and m.about.strip(), m
        assert re.fullmatch(r"[a-z0-9_]+", m.name), m.name  # a column name, no sub-column
    assert set(metrics.LABELS) == set(metrics.WHY_NAN) == set(metrics.METRICS)


def test_the_probes_tables_and_plots_read_the_metric_registry():
    assert probes.METRICS == metrics.METRICS and probes.WHY_NAN == metrics.WHY_NAN
    assert plots.METRICS == list(metrics.METRICS) and plots.LABELS == metrics.LABELS
    assert EPOCH_COLUMNS[-len(metrics.METRICS) :] == list(metrics.METRICS)


def readme_metric_keys() -> set[str]:
    """The keys in the first column of the README's metrics table (the table whose header is
    '| key | what it measures |'), sub-columns such as pose_r2/<column> left out."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\|\s*key\s*\|\s*what it measures", line))
    keys = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        first = line.split("|")[1]
        keys |= {k for k in re.findall(r"`([^`]+)`", first) if "/" not in k}
    return keys


def test_the_readme_metrics_table_names_exactly_the_registry_metrics():
    keys = readme_metric_keys()
    missing = set(metrics.METRICS) - keys
    assert not missing, f"README's metrics table lacks {sorted(missing)}"
    # besides the metrics, the table may name only other columns of the epoch table (the losses)
    unknown = keys - set(metrics.METRICS) - set(EPOCH_COLUMNS)
    assert not unknown, f"README's metrics table names {sorted(unknown)}, which no trial reports"


def test_every_study_gets_the_report_named_after_it():
    import importlib

    import studies
    from ciper.study.spec import REPORTS

    for name in studies.NAMES:
        study = importlib.import_module(f"studies.{name}").STUDY
        assert study.name == name, f"studies/{name}.py defines a study named {study.name!r}"
        assert study.report == name, f"study {name}'s report is {study.report!r}, not its own name"
    stale = set(REPORTS) - set(studies.NAMES)
    assert not stale, f"REPORTS names {sorted(stale)}, which are no study in studies/"


def test_every_report_and_findings_section_resolves_to_an_analysis():
    from analysis.findings import SECTIONS
    from analysis.report import report_module
    from ciper.study.spec import REPORTS

    for name in REPORTS:
        assert callable(report_module(name).analyse), name
    for section in SECTIONS:
        assert section.study in REPORTS, f"the findings' section {section.title!r} names no registered report"
        assert callable(section.module.verdict) and section.module.FIGURE.endswith(".png"), section.study


def test_a_study_may_borrow_a_registered_report_and_no_other():
    import pytest

    from ciper.study import Study

    assert Study(name="my_alpha", question="q", space=lambda p: {"alpha": [0.0]}, report="alpha_sweep").report
    assert Study(name="my_alpha", question="q", space=lambda p: {"alpha": [0.0]}).report is None
    with pytest.raises(ValueError, match="is not one of alpha_sweep"):
        Study(name="my_alpha", question="q", space=lambda p: {"alpha": [0.0]}, report="alpha")
