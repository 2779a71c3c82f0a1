"""The findings: study conditions, and `python -m analysis.findings` writing every section."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ciper.config import Config
from ciper.study import Study
from ciper.study.spec import trial_config, trial_settings, with_condition

ROOT = Path(__file__).resolve().parent.parent


def test_conditions_cross_the_space_and_name_each_trial():
    study = Study(
        name="s",
        question="q",
        space=lambda p: {"alpha": [0.0, 1.0]},
        conditions=lambda p: {"all": {"aug_order": ["jitter", "blur"]}, "time only": {"pairs": "time"}},
    )
    grid = study.grid("smoke")
    assert len(grid) == 4 and study.problems("smoke") == []
    assert {"alpha": 1.0, "condition": "time only", "pairs": "time"} in grid
    # Ray hands the trial its condition as a dict; the trial's config has it in place, named
    config = with_condition({"alpha": 1.0, "pairs": "synthetic", "condition": {"name": "time only", "pairs": "time"}})
    assert config == {"alpha": 1.0, "pairs": "time", "condition": "time only"}
    assert trial_config({"alpha": 1.0, "condition": {"name": "time only", "pairs": "time"}}) == {
        "alpha": 1.0,
        "pairs": "time",
    }
    clash = Study(
        name="c", question="q", space=lambda p: {"pairs": ["time"]}, conditions=lambda p: {"a": {"pairs": "x"}}
    )
    assert "sets pairs in both its space and its conditions" in clash.problems("smoke")[0]


def test_a_conditions_labels_are_columns_of_its_trials_and_never_config():
    conditions = {"all": {"aug_order": ["jitter", "blur"], "removal": "none"}}
    conditions["no blur"] = {"aug_order": ["jitter"], "removal": "one op", "removed_op": "blur"}
    study = Study(
        name="s",
        question="q",
        space=lambda p: {"alpha": [1.0]},
        conditions=lambda p: conditions,
        labels=("removal", "removed_op"),
        references=(),
    )
    assert study.problems("smoke") == [] and "removed_op" not in study.own_keys("smoke")
    trial = study.trials("smoke")[1]
    assert trial == {
        "name": "no blur",
        "alpha": 1.0,
        "aug_order": ["jitter"],
        "labels": {"removal": "one op", "removed_op": "blur"},
    }
    assert trial_settings(trial) == {"alpha": 1.0, "aug_order": ["jitter"]}
    # Ray hands the trial its condition: the table row has the labels as columns, the Config never sees them
    config = {"alpha": 1.0, "aug_order": ["jitter", "blur"], "condition": trial}
    assert with_condition(config) == {
        "alpha": 1.0,
        "aug_order": ["jitter"],
        "condition": "no blur",
        "removal": "one op",
        "removed_op": "blur",
    }
    assert Config.from_dict(trial_config(config)).aug_order == ["jitter"]
    assert study.trials("smoke")[0]["labels"] == {"removal": "none", "removed_op": None}  # unset: None
    # a key that is neither a config field nor a declared label, and a label that is a config field
    undeclared = Study(name="u", question="q", space=lambda p: {"alpha": [1.0]}, conditions=lambda p: conditions)
    assert "condition 'all' sets removal, neither a config key nor one of its labels" in undeclared.problems("smoke")[0]
    taken = Study(
        name="t", question="q", space=lambda p: {"alpha": [1.0]}, conditions=lambda p: conditions, labels=("pairs",)
    )
    assert "labels pairs are config keys" in taken.problems("smoke")[0]


@pytest.mark.slow
def test_findings_command_on_the_smoke_preset_writes_every_section(tmp_path):
    storage = tmp_path / "results"
    cmd = [sys.executable, "-m", "analysis.findings", "--preset", "smoke", "--storage", str(storage)]
    cmd += ["--out", str(tmp_path / "doc"), "--seeds", "2", "--set", "epochs=1", "world_frames=20", "eval_images=100"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    doc = (tmp_path / "doc" / "FINDINGS.md").read_text()
    titles = ["Alpha", "Worlds", "Budget", "Order", "Latent dimension", "Heads", "Augmentation removal"]
    for title in [*titles, "Representation structure"]:
        assert f"\n## {title}" in doc, title
    sections = doc.split("\n## ")[1:]
    assert len(sections) == 10 and sections[9].startswith("Real photographs (COIL-100)\n\nNot run: give")
    for sec in sections[:9]:
        figures = [line[line.index("](") + 2 : -1] for line in sec.splitlines() if line.startswith("![")]
        assert figures and all((tmp_path / "doc" / f).stat().st_size > 1000 for f in figures), sec[:80]
        assert "Reproduce: `python -m studies " in sec and "--preset smoke" in sec
    for sec in sections[:8]:  # every question's section has its verdicts and the references or controls
        assert "| untrained encoder" in sec and "| pixel control (no learning)" in sec and "[" in sec
        assert "p_holm=" in sec and re.search(r": (differs|equivalent within ±[\d.]+|inconclusive)\n", sec), sec[:80]
        own_references = not sec.startswith(("Worlds", "Budget", "Latent"))  # these run no supervised ones
        assert ("| object-supervised encoder" in sec) == own_references, sec[:80]
    worlds = sections[1]  # alpha 0 against 1 on three worlds: world a random factor, and world by world
    assert "world a random factor" in worlds and "World by world" in worlds and "on each of 3 worlds" in worlds
    assert "Does the gain differ between worlds (world x alpha interaction" in worlds
    budget = sections[2]  # alpha 0 against 1 at 4x the epochs (the --set epochs=1 left to the study)
    assert "Against the alpha study's trials at 1 epochs" in budget  # the alpha study ran the --set epochs=1
    assert re.search(r"- pose_r2: alpha = 0 -?[\d.]+ at 1 epochs, -?[\d.]+ at 8;", budget)  # 4x the smoke preset's 2
    assert "budget_curves.png" in budget and "epochs=1" not in budget.split("Reproduce: ")[1]
    # compute once: the later studies read the alpha study's runs back instead of training them again
    assert re.search(r" \d+ trials were read back from a finished run of the same code", doc)
    assert re.search(r"\n\d+ finished trained trials and \d+ reference and control trials \(", doc)
    assert "### The paper's claims here" in doc and "### Trials counted once" in doc
    claims_part = doc.split("### The paper's claims here")[1].split("\n### ")[0]
    assert "From `alpha_sweep` (the built-in world;" in claims_part and "held out: unseen sequences" in claims_part
    assert re.search(r"the (untrained encoder|pixel control|colour control)[^;]* scores -?[\d.]+ on it", claims_part)
    assert "### The open question of natural view changes, as a hypothesis" in doc
    where = doc.split("### Where each answer was tested")[1].split("\n### ")[0]  # worlds, budgets, seeds
    assert "| Alpha " in where and "| `alpha_worlds` (3 worlds, world random, 1 epochs" in where, where
    assert re.search(r"alpha_worlds: (differs there|not shown there|the opposite|\w+ in both|\w+ there)", where)
    assert "Friedman blocked by seed" in doc and "Kruskal" not in doc  # the order study pairs by seed
    assert "jitter's sub-ops differ by at most" in doc  # the order section explains itself
    assert re.search(r"The control is detected on \d+ of its \d+ contrasts", doc)  # every control line counted
    # each study was run in its own process and left its results and report
    for name in [
        "alpha_sweep",
        "alpha_worlds",
        "alpha_budget",
        "aug_order",
        "latent_dim",
        "head_ablation",
        "aug_ablation",
        "view_source",
    ]:
        assert (storage / name / "trials.parquet").exists() and (storage / name / "report.md").exists()


def test_the_structure_effect_pairs_trials_and_never_a_reference_encoder():
    import pandas as pd

    from analysis.findings import ciper_effect

    trials = pd.DataFrame(
        {"alpha": [0.0, 1.0] * 3, "seed": [0, 0, 1, 1, 2, 2], "pose_r2[E]": [0.5, 0.65, 0.4, 0.55, 0.45, 0.6]}
    )
    reference = pd.DataFrame({"alpha": [0.0, 1.0], "seed": [0, 1], "pose_r2[E]": [0.2, 0.9], "kind": "untrained"})
    effect = ciper_effect(pd.concat([trials, reference]))
    assert "pose_r2 from E +0.150 [+0.150, +0.150]" in effect
    assert ciper_effect(trials[trials.alpha == 0.0]) is None


def test_the_structure_section_reads_its_kept_measures_where_the_storage_has_no_checkpoints(tmp_path):
    """docs/findings holds tables, not checkpoints: the structure rows measured where the checkpoints
    were (kept in structure.parquet) answer there."""
    import argparse
    import shutil

    import pandas as pd

    from analysis.findings import STRUCTURE_FILE, structure_section

    study = tmp_path / "alpha_sweep"
    study.mkdir()
    for name in ("trials.parquet", "epochs.parquet"):
        shutil.copyfile(ROOT / "docs" / "findings" / "alpha_sweep" / name, study / name)
    args = argparse.Namespace(preset="cpu", storage=str(tmp_path))
    lines, verdicts = structure_section(tmp_path, tmp_path / "doc", args, [])
    assert any("neither checkpoints in its ray/ folder" in line for line in lines) and verdicts.empty
    rows = pd.DataFrame(
        {
            "alpha": [0.0, 1.0] * 3,
            "seed": [0, 0, 1, 1, 2, 2],
            "between_objects": [0.30, 0.40, 0.31, 0.42, 0.29, 0.40],
            "condition": ["alpha = 0", "alpha = 1"] * 3,
        }
    )
    rows.to_parquet(study / STRUCTURE_FILE, index=False)
    lines, verdicts = structure_section(tmp_path, tmp_path / "doc", args, [])
    text = "\n".join(lines)
    assert "From alpha_sweep" in text and "variance between objects +0.107" in text
    assert verdicts.set_index("metric").loc["between_objects", "verdict"] == "differs"


def test_machine_records_with_and_without_the_cpu_flags_compare_by_the_rest():
    from analysis.findings import same_machine

    old, new = "AMD EPYC, 2 cores, torch 2.14.1, no GPU", "AMD EPYC (AVX-512 BF16), 2 cores, torch 2.14.1, no GPU"
    assert same_machine(old, new) and same_machine(new, new)
    assert not same_machine(new, new.replace("AVX-512 BF16", "AVX2"))  # both list their flags: they count
    assert not same_machine(old, "Intel(R) Xeon(R) Processor (AVX-512 BF16, AMX), 2 cores, torch 2.14.1, no GPU")


def _split_of(h, objects, poses):
    """Features and labels as the structure measures read them (objects, poses, pose_names)."""
    from types import SimpleNamespace

    return h, SimpleNamespace(objects=objects, poses=poses, pose_names=[f"p{i}" for i in range(poses.shape[1])])


def test_pose_within_objects_is_read_from_a_view_inside_its_cluster_not_from_the_object():
    import torch

    from analysis.structure import within_objects

    g = torch.Generator().manual_seed(0)
    objects = torch.arange(20).repeat_interleave(50)
    offset = torch.randn(20, 2, generator=g)[objects]  # each object's mean pose
    wiggle = torch.randn(1000, 2, generator=g)  # the view's pose inside its object
    tr, te = slice(0, 1000, 2), slice(1, 1000, 2)
    code = torch.randn(20, 8, generator=g)[objects]  # what tells the objects apart

    def measure(h):
        (h_tr, a), (h_te, b) = (
            _split_of(h[tr], objects[tr], (offset + wiggle)[tr]),
            _split_of(h[te], objects[te], (offset + wiggle)[te]),
        )
        return within_objects(h_tr, h_te, a, b)["pose_r2[within objects]"]

    assert measure(torch.cat([code, torch.randn(1000, 4, generator=g)], 1)) < 0.05  # pose only via the object
    assert measure(torch.cat([code, wiggle, torch.randn(1000, 2, generator=g)], 1)) > 0.95  # ordered by pose


def test_removing_pose_costs_objects_only_where_they_share_its_directions():
    import torch

    from analysis.structure import POSE_GONE, pose_removal

    g = torch.Generator().manual_seed(1)
    objects = torch.arange(10).repeat_interleave(60)
    pose = torch.randn(600, 2, generator=g)
    centres = 3 * torch.randn(10, 6, generator=g)
    tr, te = slice(0, 600, 2), slice(1, 600, 2)

    def measure(h):
        (h_tr, a), (h_te, b) = _split_of(h[tr], objects[tr], pose[tr]), _split_of(h[te], objects[te], pose[te])
        return pose_removal(h_tr, h_te, a, b)

    noise = lambda d: 0.3 * torch.randn(600, d, generator=g)
    apart = measure(torch.cat([pose, torch.zeros(600, 6), centres[objects]], 1) + noise(14))
    assert apart["pose_r2[pose removed]"] <= POSE_GONE and 2 <= apart["removed_directions"] <= 6
    assert abs(apart["object_acc[pose removed - random]"]) < 0.1  # pose had directions of its own
    # the objects written along the pose's directions: removing pose takes them away too
    shared = torch.cat([pose + centres[objects][:, :2] / 3, torch.zeros(600, 12)], 1) + noise(14)
    together = measure(shared)
    assert together["object_acc[pose removed - random]"] < apart["object_acc[pose removed - random]"] - 0.1
