"""Statistics against hand-computed cases, analyses of known tables, and reports of a real smoke
study (slow: a real Ray and real trials)."""

import json
import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray

from analysis.load import load_study
from analysis.references import shortcut_flags
from analysis.report import build_report
from analysis.stats import across_conditions, mean_ci, paired_difference, pareto_front, position_effects
from ciper.study import Study
from ciper.study.spec import REFERENCES
from studies import main as run_and_report

ROOT = Path(__file__).resolve().parent.parent


def test_mean_ci_of_a_known_sample():
    # mean 2, sd 1, n 3: half-width t(0.975, 2) * 1 / sqrt(3) = 4.302653 / 1.732051 = 2.484138
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and abs(hi - 2.0 - 2.484138) < 1e-5 and abs(2.0 - lo - 2.484138) < 1e-5
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)
    assert all(math.isnan(v) for v in mean_ci([]))


def test_paired_difference_pairs_by_seed():
    t = pd.DataFrame(
        {"cond": ["a", "a", "a", "b", "b", "b"], "seed": [0, 1, 2, 2, 1, 0], "m": [1.0, 2.0, 3.0, 3.5, 2.5, 1.5]}
    )
    d, lo, hi, n = paired_difference(t, "cond", "b", "a", "m")
    assert n == 3 and abs(d - 0.5) < 1e-12 and lo == hi == 0.5  # every pair differs by exactly 0.5


def test_across_conditions_detects_a_real_difference_only():
    same = pd.DataFrame({"c": np.repeat(list("abc"), 8), "m": np.tile(np.linspace(-1, 1, 8), 3)})
    moved = same.assign(m=same.m + np.repeat([0.0, 0.0, 5.0], 8))
    assert across_conditions(same, "c", "m")[2] > 0.05
    assert across_conditions(moved, "c", "m")[2] < 0.001


def test_position_effects_recover_a_planted_slope():
    import itertools

    orders = [">".join(p) for p in itertools.permutations(["crop", "blur", "jitter"])]
    t = pd.DataFrame({"aug_order": orders * 2})
    # the metric falls by 0.1 for each position crop moves later; nothing else matters
    t["m"] = [0.5 - 0.1 * o.split(">").index("crop") for o in t.aug_order]
    e = position_effects(t, "aug_order", "m").set_index("op")
    assert abs(e.loc["crop", "per_step"] + 0.1) < 1e-9 and abs(e.loc["blur", "per_step"]) < 1e-9


def test_pareto_front():
    assert pareto_front([1, 2, 3, 2.5], [3, 2, 1, 0.5]).tolist() == [0, 1, 2]


def _png_ok(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    w, h = struct.unpack(">II", data[16:24])
    assert w >= 300 and h >= 200, path


@pytest.fixture(scope="module")
def smoke_alpha_study(tmp_path_factory):
    storage = tmp_path_factory.mktemp("results")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        study = Study(name="alpha_sweep", question="tiny", space=lambda p: {"alpha": [0.0, 0.3, 3.0]})
        path = run_and_report(
            study,
            [
                "--preset",
                "smoke",
                "--seeds",
                "2",
                "--set",
                "epochs=1",
                "world_frames=20",
                "eval_images=100",
                "--storage",
                str(storage),
            ],
        ).study_dir
    finally:
        ray.shutdown()
    return path


@pytest.mark.slow
def test_report_of_a_real_smoke_study(smoke_alpha_study):
    report = (smoke_alpha_study / "report.md").read_text()
    for fig in ["alpha_metrics.png", "alpha_tradeoff.png", "curves.png"]:
        assert f"({fig})" in report
        _png_ok(smoke_alpha_study / fig)
    assert "at alpha = 0" in report and "95 % CI" in report
    assert "## Representation structure" in report and "object_acc[E_perp]" in report


@pytest.mark.slow
def test_report_rebuilt_from_tables_alone_keeps_the_checkpoint_sections(smoke_alpha_study, tmp_path):
    """A folder of tables (as docs/findings, no ray/ checkpoints) rebuilds the report with the
    structure rows and maps measured when the checkpoints were there."""
    import shutil

    copy = tmp_path / "alpha_sweep"
    shutil.copytree(smoke_alpha_study, copy, ignore=shutil.ignore_patterns("ray"))
    assert not (copy / "ray").exists()

    def section(text, title):
        return text.split(title, 1)[1].split("\n## ", 1)[0]

    before = (smoke_alpha_study / "report.md").read_text()
    after = build_report(copy).read_text()
    for title in ("## Representation structure", "## Maps of the representations"):
        assert title in after, title
        assert section(after, title) == section(before, title), title
    (copy / "report_structure.parquet").unlink()
    assert "## Representation structure" not in build_report(copy).read_text()


@pytest.mark.slow
def test_report_names_missing_trials(smoke_alpha_study, tmp_path):
    import shutil

    copy = tmp_path / "alpha_sweep"
    shutil.copytree(smoke_alpha_study, copy)
    trials = pd.read_parquet(copy / "trials.parquet")
    trials.loc[0, ["status", "error"]] = ["error", "TrainingDiverged: loss became nan"]
    trials.to_parquet(copy / "trials.parquet")
    report = build_report(copy, with_structure=False).read_text()
    assert "not finished: trial" in report and "loss became nan" in report
    assert f"{5 + 2 * len(REFERENCES)} finished, 1 not" in report


@pytest.mark.slow
def test_running_study_loads_from_ray_folders(smoke_alpha_study, tmp_path):
    import shutil

    copy = tmp_path / "alpha_sweep"
    shutil.copytree(smoke_alpha_study, copy)
    (copy / "trials.parquet").unlink()  # as if the study were still running
    trials, epochs = load_study(copy)
    assert len(trials) == 6 + 2 * len(REFERENCES) and set(trials.status) == {"finished"}
    assert len(epochs) == 6 + 2 * len(REFERENCES)


@pytest.mark.slow
def test_notebook_runs_against_a_smoke_study(smoke_alpha_study, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "analysis" / "example.ipynb", as_version=4)
    monkeypatch.setenv("CIPER_STUDY", str(smoke_alpha_study))  # the kernel inherits them
    monkeypatch.setenv("CIPER_FIGURES", str(tmp_path))
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    _png_ok(tmp_path / "alpha_metrics_nb.png")
    _png_ok(tmp_path / "alpha_tradeoff_nb.png")


# a tiny world for the order report, which measures how far the ops commute on a generated world
SMALL_WORLD = {"world_objects": 4, "world_sessions": 2, "world_frames": 20, "test_fraction": 0.5, "image_size": 16}


def test_latent_slopes_pair_by_seed_against_the_untrained_encoder_and_curvature_is_found():
    """A planted slope difference differs, an equal slope is within the margin, a bend shows as curvature;
    n is the number of seeds (each seed's own slope), not the number of trials."""
    from analysis import latent

    rng = np.random.default_rng(0)
    dims, seeds = (16, 64, 256), range(6)

    def rows(slope, bend=0.0, **tags):
        out = []
        for s in seeds:
            own = slope + rng.normal(0, 0.003)  # each seed its own slope
            for d in dims:
                x = math.log2(d)
                out.append({"latent_dim": d, "seed": s, **tags, "object_acc": 0.3 + own * x + 0.02 * s,
                            "pose_r2": 0.1 + 0.01 * x + (bend if d == 64 else 0.0) + rng.normal(0, 0.002)})  # fmt: skip
        return out

    trials = pd.DataFrame(rows(0.05, alpha=0.0) + rows(0.01, bend=0.08, alpha=1.0))
    untrained = pd.DataFrame(rows(0.05, method="untrained", kind="untrained"))
    table = latent.judged(trials, untrained, {"acc": 0.02, "r2": 0.03}).set_index(["label", "metric"])
    planted = table.loc[("slope, alpha = 1 minus untrained encoder", "object_acc")]
    assert planted.verdict == "differs" and planted["diff"] == pytest.approx(-0.04, abs=0.005) and planted.n == 6
    same = table.loc[("slope, alpha = 0 minus untrained encoder", "object_acc")]
    assert same.p_equiv_adj < 0.05 and abs(same["diff"]) < 0.005  # within the ±0.02 margin
    assert table.loc[("curvature, alpha = 1", "pose_r2"), "verdict"] == "differs"  # the planted bend
    assert table.loc[("curvature, alpha = 0", "pose_r2"), "verdict"] != "differs"  # a straight line
    assert set(table.loc[table.index.get_level_values(0).str.startswith("curvature")].family) == {"exploratory"}
    assert latent.curvature_lines(table.reset_index())[1].startswith("Curvature at the middle width")


def test_order_latent_and_ablation_analyses_on_known_tables(tmp_path):
    import itertools

    from analysis import ablation, latent, order

    rows = []
    for seed in range(3):
        for perm in itertools.permutations(["crop", "jitter", "blur"]):
            # blur later in the order -> +0.05 per position; noise by seed only
            rows.append(
                {
                    "aug_order": ">".join(perm),
                    "seed": seed,
                    "aug_r2": 0.3 + 0.05 * perm.index("blur") + 0.01 * seed,
                    "object_acc": 0.5 + 0.01 * seed,
                    **SMALL_WORLD,  # the world the commutation table is measured on
                }
            )
    lines = "\n".join(order.analyse(pd.DataFrame(rows), pd.DataFrame(), tmp_path))
    _png_ok(tmp_path / "order_ranked.png")
    _png_ok(tmp_path / "order_positions.png")
    tested = next(line for line in lines.splitlines() if line.startswith("- op orders (6), aug_r2: "))
    assert "Friedman blocked by seed, χ²(5) = " in tested and tested.endswith(": differs")  # paired by seed
    assert "Kruskal" not in lines
    assert "jitter.brightness / jitter.contrast" in lines  # how far the ops fail to commute

    rows = [
        {"latent_dim": d, "alpha": a, "seed": s, "pose_r2": 0.2 + 0.1 * a + 0.05 * math.log2(d) + 0.001 * s}
        for d in (16, 32, 64)
        for a in (0.0, 1.0)
        for s in range(3)
    ]
    lines = "\n".join(latent.analyse(pd.DataFrame(rows), pd.DataFrame(), tmp_path))
    _png_ok(tmp_path / "latent_dim.png")
    assert "- slope, alpha = 1, pose_r2: +0.050 [+0.050, +0.050], n=3" in lines  # per doubling, with its CI

    rows = [
        {
            "head_mode": m,
            "head_input": i,
            "seed": s,
            "object_acc": {"contrastive": 0.5, "both": 0.6, "predictive": 0.4}[m] + 0.01 * s,
        }
        for m in ("contrastive", "both", "predictive")
        for i in ("diff", "concat")
        for s in range(3)
    ]
    tab = ablation.table(pd.DataFrame(rows)).set_index("variant")
    assert tab.loc["both / diff", "object_acc"] == "+0.100 [+0.100, +0.100]"
    assert tab.loc["predictive / concat", "baseline"] == "contrastive / concat"


def test_view_source_gains_pair_alpha_by_seed_per_source():
    from analysis.views import gains

    rows = []
    for pairs, gain in (("time+synthetic", 0.3), ("synthetic", 0.05)):
        for seed in range(3):
            for alpha in (0.0, 1.0):
                rows.append(
                    {
                        "pairs": pairs,
                        "aug_order": "jitter>grayscale>blur",
                        "alpha": alpha,
                        "seed": seed,
                        "rot_r2": 0.1 * seed + gain * alpha,
                    }
                )
    table = gains(pd.DataFrame(rows), ["rot_r2"]).set_index("source")
    assert table.loc["time pairs, colour ops only", "rot_r2"].startswith("+0.300")
    assert table.loc["synthetic only, colour ops only", "rot_r2"].startswith("+0.050")
    assert (table.seeds == 3).all()


@pytest.mark.slow
def test_references_and_controls_run_as_trials_and_are_cached_per_storage(smoke_alpha_study, tmp_path):
    """The study ran its references and controls as trials beside the trained ones (per seed,
    once, not per alpha); the report shows them; a second study in the same storage reads
    them from the cache, and a corrupt cache file is computed again."""
    trials = pd.read_parquet(smoke_alpha_study / "trials.parquet")
    refs = trials[trials.method != "ciper"]
    assert sorted(refs.method.unique()) == sorted(REFERENCES) and len(refs) == len(REFERENCES) * 2
    assert (refs.status == "finished").all() and refs.object_acc.notna().all()
    report = (smoke_alpha_study / "report.md").read_text()
    for label in ("untrained encoder", "object-supervised encoder", "pose-supervised encoder", "pixel control"):
        assert label in report, label
    assert "## References and controls" in report
    cache = smoke_alpha_study.parent / "references"
    made = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert sum(n.endswith(".pt") for n in made) == 2 * 2  # object and pose encoders, per seed
    from analysis.references import config_of
    from ciper.reference import metrics_key, reference_metrics

    cfg = config_of(refs[refs.method == "untrained"].iloc[0])
    assert reference_metrics(cfg, "untrained", cache)["cached"]
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == made  # read, not computed again
    broken = cache / f"untrained-{metrics_key(cfg)}.json"
    broken.write_text("{not json")
    again = reference_metrics(cfg, "untrained", cache)
    assert not again["cached"] and json.loads(broken.read_text())["metrics"]["object_acc"] > 0


def test_a_control_that_nearly_matches_a_trained_model_is_flagged():
    summary = pd.DataFrame({"alpha": [0.0, 1.0], "object_acc": [0.60, 0.62], "pose_r2": [0.5, 0.7]})
    refs = pd.DataFrame({"kind": ["pixels", "colour"], "object_acc": [0.59, 0.2], "pose_r2": [0.3, 0.1]})
    flags = shortcut_flags(summary, refs, ["object_acc", "pose_r2"])
    assert len(flags) == 1 and "object_acc" in flags[0] and "pixel control" in flags[0]


def test_a_trained_condition_the_untrained_encoder_matches_is_named_though_the_best_beats_it():
    summary = pd.DataFrame({"alpha": [0.0, 1.0], "n": [3, 3], "aug_r2": [0.27, 0.58], "object_acc": [0.5, 0.5]})
    refs = pd.DataFrame({"kind": ["untrained", "pixels"], "aug_r2": [0.34, 0.25], "object_acc": [0.2, 0.15]})
    (flag,) = shortcut_flags(summary, refs, ["aug_r2", "object_acc"])
    assert "aug_r2" in flag and "untrained encoder scores 0.340" in flag and "alpha 0.0 (0.270)" in flag
    assert "alpha 1.0" not in flag and "best trained model" not in flag


def test_pose_gap_measures_the_rotation_to_the_nearest_training_pose(capsys):
    import torch

    from analysis.pose_gap import main as pose_gap
    from analysis.pose_gap import nearest_training_angle, rotation_angles
    from ciper.imageset import ImageSet

    half = math.sqrt(0.5)
    quarter_turns = torch.tensor([[1.0, 0, 0, 0], [half, half, 0, 0], [0.0, 1, 0, 0]])  # 0, 90, 180 degrees about x
    angles = rotation_angles(quarter_turns, quarter_turns[:1])[:, 0]
    assert torch.allclose(angles, torch.tensor([0.0, 90, 180]).double())
    # object 0: training sequences 0 and 1 at 0 and 90 degrees, a held-out frame at 180; object 1 held out nowhere
    train = ImageSet(
        images=torch.zeros(3, 3, 2, 2, dtype=torch.uint8),
        objects=torch.tensor([0, 0, 1]),
        sequences=torch.tensor([0, 1, 2]),
        rotations=quarter_turns,
    )
    test = ImageSet(
        images=torch.zeros(1, 3, 2, 2, dtype=torch.uint8),
        objects=torch.tensor([0]),
        sequences=torch.tensor([3]),
        rotations=quarter_turns[2:],
    )
    gaps = nearest_training_angle(train, test)
    assert torch.allclose(gaps["held-out"], torch.tensor([90.0]).double())
    assert torch.allclose(gaps["training"], torch.tensor([90.0, 90.0]).double())  # object 1 has no other sequence
    # on the smoke world the command prints both rows; a dataset without 3D rotations is one line and exit 2
    assert pose_gap(["--preset", "smoke"]) == 0 and "held-out | 160 |" in capsys.readouterr().out
    assert pose_gap(["--preset", "smoke", "--set", "dataset=flatworld"]) == 2
    assert "no 3D rotations" in capsys.readouterr().err


def test_each_world_is_compared_with_its_own_controls():
    """A trained world far above another world's best control, but near its own, is flagged, and the
    other way round: pooling the controls over worlds would flag the wrong one."""
    summary = pd.DataFrame(
        {"world_seed": [0.0, 0.0, 1.0, 1.0], "alpha": [0.0, 1.0, 0.0, 1.0], "rot_r2": [0.30, 0.32, 0.12, 0.40]}
    )
    refs = pd.DataFrame({"kind": ["colour", "colour"], "world_seed": [0.0, 1.0], "rot_r2": [0.10, 0.29]})
    (flag,) = shortcut_flags(summary, refs, ["rot_r2"])
    assert "world_seed 1 alpha 0.0 (0.120; the colour control (no learning) 0.290)" in flag
    assert "world_seed 0" not in flag and "alpha 1.0" not in flag


def test_a_claim_names_its_control_world_by_world_and_a_near_one_is_said():
    """The claim's control is the best no-learning reference of the trained models' own world; one
    within the shortcut margin blocks the claim, one just past it is named as near."""
    from analysis.claims import control_beside

    trained = pd.DataFrame(
        {
            "method": "ciper",
            "world_seed": [0.0, 0.0, 1.0, 1.0],
            "alpha": [0.0, 1.0, 0.0, 1.0],
            "rot_r2": [0.30, 0.32, 0.12, 0.40],
        }
    )
    controls = pd.DataFrame({"method": ["colour", "colour"], "world_seed": [0.0, 1.0], "rot_r2": [0.15, 0.0]})
    text, shortcut = control_beside(pd.concat([trained, controls]), "rot_r2")  # world 0's is the higher control
    assert not shortcut and text.startswith("on world_seed 1, the colour control (no learning) scores 0.000")
    assert "0.120 to 0.400" in text and "above it" not in text
    nearer = controls.assign(rot_r2=[0.15, 0.05])  # world 1's alpha 0 is 0.07 above: past the margin, near it
    text, shortcut = control_beside(pd.concat([trained, nearer]), "rot_r2")
    assert not shortcut and "0.070 above it: within twice the shortcut margin" in text
    closer = controls.assign(rot_r2=[0.15, 0.08])  # 0.04 above: within the margin, the claim is blocked
    assert control_beside(pd.concat([trained, closer]), "rot_r2")[1]
    pooled = pd.concat([trained.drop(columns="world_seed"), controls.drop(columns="world_seed").iloc[:1]])
    assert control_beside(pooled, "rot_r2")[0].startswith("the colour control")
