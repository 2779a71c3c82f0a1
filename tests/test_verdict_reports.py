"""The reports' verdicts on hand-made trial tables: planted effects, planted nulls, declared families,
Friedman for the order study, shared runs counted once, the paper's claims. No Ray, no training."""

import ast
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis import ablation, alpha, claims, families, latent, order, order_verdicts, removal, views
from analysis.families import MARGINS_FILE, read_margins, write_margins
from analysis.references import matched_everywhere, reference_summary
from analysis.shared import counted_once, run_of, shared_lines, shared_runs
from analysis.stats import block_table, friedman_test
from analysis.verdicts import seeds_for_equivalence, seeds_for_power
from ciper.study import Study
from ciper.study.spec import DEFAULT_MARGINS, margin_of
from studies.aug_order import conditions as order_conditions

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(
    r"^- (?P<label>.+?), (?P<metric>[\w/\[\]]+): (?P<diff>[+-]\d\.\d{3}) "
    r"\[(?P<lo>[+-]\d\.\d{3}), (?P<hi>[+-]\d\.\d{3})\], n=(?:(?P<worlds>\d+) worlds \()?(?P<n>\d+)(?: blocks\))?, "
    r"p_(?P<method>\w+?)=(?P<p>[^,]+), p_equiv_\w+=(?P<pe>[^:]+): (?P<state>.+)$"
)
NULL_WORDS = ("no difference", "no effect", "no cost", "does not differ", "within seed noise", "makes no difference")


def _alpha_table(seeds: int, rng, null_noise: float = 0.002) -> pd.DataFrame:
    """alpha 0, 1, 10: pose_r2 gains 0.1 (planted effect), object_acc does not move (planted null)."""
    rows = []
    for s in range(seeds):
        offset = rng.normal(0, 0.05)  # seeds differ far more than the effects: the pairing must remove it
        for a in (0.0, 1.0, 10.0):
            rows.append(
                {
                    "seed": s,
                    "alpha": a,
                    "object_acc": 0.7 + offset + rng.normal(0, null_noise),
                    "pose_r2": 0.4 + offset + 0.1 * (a > 0) + rng.normal(0, 0.01),
                    "rot_r2": 0.1 + offset + rng.normal(0, 0.03),
                }
            )
    return pd.DataFrame(rows)


def _parsed(lines: list[str]) -> dict[tuple[str, str], dict]:
    return {(m["label"], m["metric"]): m.groupdict() for line in lines if (m := LINE.match(line))}


def _no_null_wording(lines: list[str]) -> None:
    text = "\n".join(lines).lower()
    assert not [w for w in NULL_WORDS if w in text], text


def test_the_alpha_report_says_differs_equivalent_and_inconclusive_where_each_is_planted():
    rng = np.random.default_rng(0)
    many = _parsed(alpha.verdict(_alpha_table(20, rng)))
    assert many[("alpha = 1 vs 0", "pose_r2")]["state"] == "differs"  # planted effect
    assert many[("alpha = 1 vs 0", "object_acc")]["state"] == "equivalent within ±0.02"  # planted null, 20 seeds
    assert many[("alpha = 10 vs 0", "object_acc")]["state"] == "equivalent within ±0.02"
    few = _parsed(alpha.verdict(_alpha_table(3, rng, null_noise=0.02)))
    assert few[("alpha = 1 vs 0", "object_acc")]["state"] == "inconclusive"  # the same null, 3 noisy seeds
    assert {v["method"] for v in many.values()} == {"holm"} and len(many) == 6  # the declared primary family
    _no_null_wording(alpha.verdict(_alpha_table(3, rng)))


def test_the_alpha_headline_numbers_recompute_from_the_trials_table():
    t = _alpha_table(5, np.random.default_rng(1), null_noise=0.01)
    found = _parsed(alpha.verdict(t))
    keys = [(f"alpha = {a:g} vs 0", m) for a in (1.0, 10.0) for m in ("object_acc", "pose_r2", "rot_r2")]
    assert set(found) == set(keys)
    raw = []
    for label, m in keys:
        a = float(label.split()[2])
        x = t[t.alpha == a].sort_values("seed")[m].to_numpy()
        y = t[t.alpha == 0].sort_values("seed")[m].to_numpy()
        r = stats.ttest_rel(x, y)
        ci = r.confidence_interval(0.95)
        got = found[(label, m)]
        assert float(got["diff"]) == pytest.approx((x - y).mean(), abs=5e-4)
        assert (float(got["lo"]), float(got["hi"])) == pytest.approx((ci.low, ci.high), abs=5e-4)
        assert int(got["n"]) == 5
        raw.append(r.pvalue)
    holm = multipletests(raw, method="holm")[1]  # Holm over the six primary contrasts, not per contrast
    for (label, m), p in zip(keys, holm):
        printed = found[(label, m)]["p"]
        assert printed == "<0.001" if p < 0.001 else float(printed) == pytest.approx(p, rel=0.05), (label, m)


def _orders(seeds: int, rng, control_effect: float = 0.1, noise: float = 0.01) -> pd.DataFrame:
    rows = []
    for s in range(seeds):
        offset = rng.normal(0, 0.05)
        for name, settings in order_conditions("cpu").items():
            effect = control_effect if name == "control rotation>crop" else 0.0
            rows.append(
                {
                    "seed": s,
                    "condition": name,
                    "order_kind": settings["order_kind"],
                    "aug_order": ">".join(settings["aug_order"]),
                    "object_acc": 0.7 + offset + rng.normal(0, noise),
                    "aug_r2": 0.5 + offset + effect + rng.normal(0, noise),
                }
            )
    return order_verdicts.conditions(pd.DataFrame(rows))


def test_the_order_report_tests_with_friedman_blocked_by_seed_and_its_positive_control_finds_an_effect():
    rng = np.random.default_rng(2)
    table = order_verdicts.judged(_orders(3, rng))
    primary = table[table.family == "primary"]
    assert set(primary.test) == {"Friedman"} and set(primary.label) == {"op orders (6)", "jitter orders (4)"}
    lines = order_verdicts.omnibus_lines(table)
    assert lines and all(re.search(r"Friedman blocked by seed, χ²\((5|3)\) = [\d.]+, p = ", line) for line in lines)
    assert all("picked from" in line and "so its CI is descriptive" in line for line in lines)
    assert "Kruskal" not in "\n".join(lines)
    # the p is the permutation p within seeds: exact over 24^3 arrangements of 4 orders, Monte Carlo over 720^3
    assert all("(exact permutation p), p_holm" in line for line in lines if line.startswith("- jitter orders (4)"))
    six = [line for line in lines if line.startswith("- op orders (6)")]
    assert six and all("(Monte Carlo permutation p, 99,999 resamples), p_holm" in line for line in six)
    for r in primary.itertuples():  # the printed p is friedman_test's on the seeds x orders table
        blocks = block_table(_orders(3, np.random.default_rng(2)), "condition", r.metric)
        group = blocks[[c for c in blocks if c.startswith("ops " if r.k == 6 else "jitter ") and "sample" not in c]]
        if r.k == 4:  # the jitter orders' group holds the canonical op order as its default jitter order
            group = blocks[[*group, r.canonical]]
        assert r.p == pytest.approx(friedman_test(group.to_numpy()).p)
    # 3 seeds, Holm over 4 (threshold 0.0125): orders ranked alike in every seed give 1/24^2 = 0.0017 over 4
    # orders and about 1/720^2 over 6, so both can pass it (0.029 and 0.0104 were the chi-square's floors)
    assert order_verdicts.floor_line(table) is None
    # 2 seeds: 4 orders cannot give less than 1/24 = 0.042, 6 orders can (1/720); the report names the first only
    floor = order_verdicts.floor_line(order_verdicts.judged(_orders(2, np.random.default_rng(5))))
    assert floor.startswith("Some of these Friedman tests cannot reach Holm's first threshold 0.05/4 = 0.0125")
    assert "0.0417 for 4 orders over 2 seeds" in floor and "6 orders" not in floor
    assert set(primary.verdict) == {"inconclusive"}  # no order effect planted; 3 seeds cannot show its absence
    control = table[(table.family == "positive control") & (table.metric == "aug_r2")].set_index("swapped")
    assert control.loc["crop / rotation", "verdict"] == "differs"  # the planted order effect is found
    assert control.loc["crop / rotation", "label"].endswith("(control rotation>crop vs control crop>rotation)")
    assert control.loc["crop / flip", "verdict"] != "differs"
    rows = table[table.family == "positive control"]
    assert order.control_summary(rows).startswith(f"The control is detected on 1 of its {len(rows)} contrasts, 1 of")
    none = rows.assign(verdict="inconclusive")  # a control never detected is counted too, and its nulls dismissed
    assert order.control_summary(none).startswith(f"The control is detected on 0 of its {len(rows)} contrasts: ")
    # the same null with many quiet seeds: every order is within the margin of the canonical one
    many = order_verdicts.judged(_orders(25, rng, noise=0.002))
    assert set(many[many.family == "primary"].verdict) == {"equivalent"}
    assert order_verdicts.floor_line(many) is None  # 25 seeds: the Friedman tests can reject
    _no_null_wording(lines)


def test_the_order_levels_sit_beside_the_best_no_learning_reference():
    t = _orders(3, np.random.default_rng(2), noise=0.0)  # every order of a seed alike: one level per seed
    level = f"{t[t.condition == t.condition.iloc[0]].object_acc.mean():.3f}"
    refs = pd.DataFrame(
        [{"kind": k, "seed": s, "object_acc": v, "aug_r2": v} for k, v in (("untrained", 0.3), ("pixels", 0.2))
         for s in range(3)]
    )  # fmt: skip
    line = order.levels_line(t, reference_summary(refs, ["object_acc", "aug_r2"]))
    assert f"op order, object_acc {level}-{level}" in line and f"jitter order, object_acc {level}-{level}" in line
    best = "object_acc 0.300 (the untrained encoder) (aug_r2 not compared: the references' is over other ops' targets)."
    assert line.endswith(f"The best no-learning reference: {best}")
    assert "best no-learning" not in order.levels_line(t, None)


def test_the_commutation_line_says_bf16_rounds_differences_near_its_step():
    t = _orders(2, np.random.default_rng(3))
    comm = pd.DataFrame(
        [
            {"pair": "crop / jitter", "as_configured": 3e-3},
            {"pair": "crop / rotation", "as_configured": 4e-2},  # the control's ops: not among the op orders'
            {"pair": "jitter.brightness / jitter.hue", "as_configured": 5e-4},
        ]
    )
    fp32 = order.commutation_line(t.assign(precision_ran="fp32"), comm)
    assert fp32.startswith("Among the op orders' ops, the pair that least commutes here is crop / jitter (3.00e-03")
    assert "at most 5.00e-04" in fp32 and "bf16" not in fp32
    bf16 = order.commutation_line(t.assign(precision_ran="bf16"), comm)
    assert bf16.startswith(fp32) and "steps there (2.0e-03 to 3.9e-03)" in bf16 and "do not speak for fp32" in bf16


def test_the_controls_aug_r2_change_splits_into_the_swapped_ops_own_targets_and_the_rest():
    def trials(own: float, other: float) -> pd.DataFrame:
        t = _orders(6, np.random.default_rng(4), control_effect=0.0)
        swapped = (t.condition == "control rotation>crop").to_numpy()
        rng = np.random.default_rng(9)
        t["aug_r2/crop_x"] = 0.4 + own * swapped + rng.normal(0, 0.005, len(t))
        t["aug_r2/rotation_angle"] = 0.6 + rng.normal(0, 0.005, len(t))
        t["aug_r2/blur_sigma"] = 0.5 + other * swapped + rng.normal(0, 0.005, len(t))
        return t.assign(aug_r2=t[["aug_r2/crop_x", "aug_r2/rotation_angle", "aug_r2/blur_sigma"]].mean(axis=1))

    t = trials(own=0.3, other=-0.03)
    (rotation,) = [s for s in order_verdicts.aug_r2_shares(t) if s["swapped"] == "crop / rotation"]
    assert rotation["targets"] == 3 and rotation["aug_r2"] == pytest.approx(rotation["own"] + rotation["other"])
    assert rotation["own"] == pytest.approx(0.1, abs=0.01) and rotation["other"] == pytest.approx(-0.01, abs=0.01)
    table = order_verdicts.judged(t)
    said = order.control_summary(table[table.family == "positive control"], t)
    assert "crop and rotation +0.09" in said and "from the swapped ops' own targets and -0.01" in said
    assert "every detection is on targets the order itself redefines" in said
    # where the other ops' targets move too, the control shows something learned: no such sentence
    t = trials(own=0.3, other=0.3)
    table = order_verdicts.judged(t)
    said = order.control_summary(table[table.family == "positive control"], t)
    assert "from the swapped ops' own targets and +0.1" in said
    assert "every detection is on targets the order itself redefines" not in said


def test_the_order_seeds_plan_is_what_its_least_precise_order_needs_for_equivalence():
    table = order_verdicts.judged(_orders(3, np.random.default_rng(2)))
    plan = order_verdicts.seeds_line(table)
    inconclusive = table[(table.family == "primary") & (table.verdict == "inconclusive")]
    assert len(inconclusive) == 4 and plan.startswith("Seeds for an equivalence verdict on the inconclusive ones")
    for r in inconclusive.itertuples():  # every order must pass its TOST: the largest SD of its kind decides
        prefix = "ops " if r.k == 6 else "jitter "
        pairs = table[(table.family == "secondary") & (table.metric == r.metric) & table.label.str.startswith(prefix)]
        sd = pairs[~pairs.label.str.contains("per sample")].sd.max()
        assert f"{r.label}, {r.metric}: at least {seeds_for_equivalence(sd, r.margin)} (SD {sd:.3f} over 3" in plan
    assert "more than 1000" in order_verdicts.seeds_line(table.assign(sd=table.sd * 100))  # beyond any plan
    assert "no seeds suffice" not in plan  # every shift within the margin here; a shift beyond it is said
    wide = order_verdicts.seeds_line(table.assign(diff=-0.05))
    assert "a shift of 0.050 was measured, at or beyond ±0.02: at that shift no seeds suffice" in wide
    quiet = order_verdicts.judged(_orders(25, np.random.default_rng(2), noise=0.002))
    assert order_verdicts.seeds_line(quiet) is None  # every primary equivalent: nothing left to decide


def test_the_order_report_reads_each_conditions_kind_from_its_order_kind_never_its_name():
    t = _orders(3, np.random.default_rng(2))
    names = {n: f"condition {i}" for i, n in enumerate(t.condition.unique())}
    renamed = order_verdicts.judged(t.assign(condition=t.condition.map(names)))
    table = order_verdicts.judged(t)
    assert set(renamed[renamed.family == "primary"].label) == {"op orders (6)", "jitter orders (4)"}
    assert sorted(renamed.family) == sorted(table.family)
    assert np.allclose(sorted(renamed["diff"]), sorted(table["diff"]), equal_nan=True)  # the same contrasts
    random = names["jitter order per sample"]
    assert any(label.startswith(f"{random} vs ") for label in renamed.label)
    # a jitter order per sample adds the order to the head's targets: its aug_r2 is not compared
    per_sample = renamed[renamed.label.str.startswith(f"{random} vs ")]
    assert "object_acc" in set(per_sample.metric) and "aug_r2" not in set(per_sample.metric)
    with pytest.raises(ValueError, match="order_kind 'shuffled'"):
        order_verdicts.conditions(t.assign(order_kind="shuffled"))


def test_latent_slopes_are_judged_against_the_untrained_encoder():
    rng = np.random.default_rng(3)
    rows, refs = [], []
    for s in range(6):
        for d in (16, 32, 64, 128, 256):
            x = math.log2(d)
            for a in (0.0, 1.0):  # object_acc: alpha 1 gains 0.03 more per doubling than the untrained encoder
                rows.append({"seed": s, "latent_dim": d, "alpha": a, "object_acc": 0.3 + (0.06 + 0.03 * a) * x})
            refs.append({"seed": s, "latent_dim": d, "kind": "untrained", "object_acc": 0.1 + 0.06 * x})
    trials = pd.DataFrame(rows).assign(object_acc=lambda t: t.object_acc + rng.normal(0, 0.005, len(t)))
    refs = pd.DataFrame(refs).assign(object_acc=lambda t: t.object_acc + rng.normal(0, 0.005, len(t)))
    table = latent.judged(trials, refs).set_index("label")
    assert table.loc["slope, alpha = 1 minus untrained encoder", "verdict"] == "differs"
    assert table.loc["slope, alpha = 1 minus untrained encoder", "diff"] == pytest.approx(0.03, abs=0.005)
    assert table.loc["slope, alpha = 0 minus untrained encoder", "verdict"] == "equivalent"  # as steep as random
    assert (table.loc[table.family == "primary"].n == 6).all()  # n counts seeds
    assert table.loc["slope, untrained encoder", "diff"] == pytest.approx(0.06, abs=0.005)
    lines = latent.verdict(trials, ref_rows=refs)
    assert any("slope, alpha = 1 minus untrained encoder, object_acc: +0.03" in line for line in lines)
    assert "cannot be computed" in "\n".join(latent.verdict(trials))  # without the reference trials, said so


def test_heads_removal_and_views_declare_their_primary_families():
    rng = np.random.default_rng(4)
    heads = pd.DataFrame(
        [
            {"head_mode": m, "head_input": i, "seed": s, "object_acc": rng.normal(0.7, 0.01), "pose_r2": 0.5}
            for m in ("contrastive", "predictive", "both")
            for i in ("diff", "concat")
            for s in range(4)
        ]
    )
    h = ablation.judged(heads)
    assert set(h[h.family == "primary"].label) == {
        "predictive / diff vs contrastive / diff",
        "both / diff vs contrastive / diff",
    }
    assert "both / concat vs both / diff" in set(h[h.family == "secondary"].label)
    # what the contrastive head adds: both heads against the prediction head alone, a secondary contrast
    planted = heads.assign(object_acc=heads.object_acc + 0.1 * (heads.head_mode == "both"))
    added = ablation.judged(planted).set_index(["label", "metric"])
    assert added.loc[("both / diff vs predictive / diff", "object_acc"), "verdict"] == "differs"
    assert added.loc[("both / diff vs predictive / diff", "object_acc"), "family"] == "secondary"
    assert "what the contrastive head adds" in "\n".join(ablation.verdict(planted))
    # what a condition removes is in its columns, never in its name: these names mean nothing to the report
    ops = {"A": ("none", None), "B": ("one op", "jitter"), "C": ("one op", "blur"), "D": ("synthetic ops", None)}
    rm = pd.DataFrame(
        [
            {"condition": c, "removal": ops[c][0], "removed_op": ops[c][1], "alpha": a, "seed": s}
            | {"object_acc": rng.normal(0.7, 0.01), "pose_r2": 0.5, "aug_r2": 0.3}
            for c in ops
            for a in (0.0, 1.0)
            for s in range(4)
        ]
    )
    r = removal.judged(rm)
    assert set(r[r.family == "primary"].label) == {"B vs A, alpha = 1", "C vs A, alpha = 1"}
    assert set(r[r.removal == "synthetic ops"].family) == {"secondary"}
    assert set(removal.extremes(r).iloc[0][["helps", "hurts"]].map(lambda row: row.op)) <= {"jitter", "blur"}
    assert "aug_r2" not in set(r.metric)  # not comparable across op sets
    with pytest.raises(ValueError, match="removal"):  # a table without the columns is refused, in one line
        removal.judged(rm.drop(columns="removal"))
    src = pd.DataFrame(
        [
            {
                "condition": c,
                "pairs": "synthetic" if c == "synthetic pairs" else "time+synthetic",
                "aug_order": "jitter>grayscale>blur",
                "alpha": a,
                "seed": s,
                "rot_r2": 0.1 + 0.2 * a * (c != "synthetic pairs") + rng.normal(0, 0.01),
                "object_acc": 0.7,
            }
            for c in ("time pairs, pose labels", "synthetic pairs")
            for a in (0.0, 1.0)
            for s in range(4)
        ]
    )
    v = views.judged(src).set_index(["label", "metric"])
    gain = ("time pairs, pose labels, colour ops only: alpha = 1 vs 0", "rot_r2")
    assert v.loc[gain].family == "primary" and v.loc[gain].verdict == "differs"
    assert v.loc[(gain[0], "object_acc")].family == "secondary"
    between = "alpha = 1: time pairs, pose labels, colour ops only vs synthetic pairs, colour ops only"
    assert v.loc[(between, "rot_r2")].family == "secondary" and v.loc[(between, "rot_r2")].verdict == "differs"
    # the open question, said as a hypothesis from that contrast, whichever way it falls
    [said] = claims.views_claims(claims.views_verdicts(src))
    assert "time pairs, pose labels, colour ops only vs synthetic pairs" in said and "**shown**" in said
    flat = src.assign(rot_r2=0.1 + rng.normal(0, 0.01, len(src)))
    assert "**contradicted**, equivalent within ±0.03" in claims.views_claims(claims.views_verdicts(flat))[0]
    assert (
        "**not tested** (the data has no 3D rotations"
        in claims.views_claims(views.judged(src.drop(columns="rot_r2")))[0]
    )
    assert "**not tested**" in claims.views_claims(None)[0]


def test_margins_are_declared_by_the_study_and_applied_by_metric_suffix(tmp_path):
    assert margin_of(DEFAULT_MARGINS, "object_acc") == 0.02 and margin_of(DEFAULT_MARGINS, "knn_acc") == 0.02
    assert margin_of(DEFAULT_MARGINS, "object_acc[E_perp]") == 0.02
    assert (
        margin_of(DEFAULT_MARGINS, "pose_r2/rotation") == 0.03 and margin_of(DEFAULT_MARGINS, "between_objects") == 0.03
    )
    study = Study(name="s", question="q", space=lambda p: {"alpha": [0.0]}, margins={"acc": 0.01, "r2": 0.05})
    assert study.margin("session_acc") == 0.01 and study.margin("rot_r2") == 0.05
    for bad in ({"acc": 0.01}, {"acc": -1.0, "r2": 0.03}, {"acc": 0.01, "r2": 0.03, "loss": 1.0}):
        with pytest.raises(ValueError, match="margins=.* must give a positive number"):
            Study(name="s", question="q", space=lambda p: {"alpha": [0.0]}, margins=bad)
    write_margins(tmp_path, study.margins)  # what a study's report records for the findings
    assert read_margins(tmp_path) == {"acc": 0.01, "r2": 0.05}
    (tmp_path / MARGINS_FILE).write_text('{"acc": "x"')  # corrupt: the defaults, no traceback
    assert read_margins(tmp_path) == DEFAULT_MARGINS and read_margins(tmp_path / "none") == DEFAULT_MARGINS


def test_every_seed_count_a_study_file_quotes_is_what_the_power_functions_give():
    functions = {"seeds_for_power": seeds_for_power, "seeds_for_equivalence": seeds_for_equivalence}
    quoted = 0
    for path in sorted((ROOT / "studies").glob("*.py")):
        text = re.sub(r"\s+", " ", ast.get_docstring(ast.parse(path.read_text())) or "")
        for name, args, n in re.findall(r"(seeds_for_power|seeds_for_equivalence)\(([^)]*)\) = (\d+)", text):
            call = ast.parse(f"f({args})", mode="eval").body
            pos = [ast.literal_eval(a) for a in call.args]
            kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
            assert functions[name](*pos, **kw) == int(n), f"{path.name}: {name}({args}) = {n}"
            quoted += 1
    assert quoted >= 10


def test_a_run_two_studies_share_is_counted_once_and_named_where_it_appears_again():
    base = {"dataset": "world", "latent_dim": 128, "aug_order": "jitter>grayscale>blur", "method": "ciper"}
    alpha_sweep = pd.DataFrame(
        [{**base, "alpha": a, "head_mode": "both", "seed": s} for a in (0.0, 1.0) for s in range(3)]
    )
    heads = pd.DataFrame(
        [
            {**base, "alpha": 1.0, "head_mode": m, "seed": s}
            for m in ("contrastive", "both", "predictive")
            for s in range(3)
        ]
    )
    heads = pd.concat(
        [heads, pd.DataFrame([{**base, "method": "untrained", "alpha": 1.0, "head_mode": "both", "seed": 0}])]
    )
    alpha_sweep = pd.concat(
        [alpha_sweep, pd.DataFrame([{**base, "method": "untrained", "alpha": 1.0, "head_mode": "both", "seed": 0}])]
    )
    tables = {"alpha_sweep": alpha_sweep, "head_ablation": heads}
    shared = shared_runs(tables)
    # both heads at alpha 1, contrastive-only (alpha = 0 with no head to train is the same model), the reference
    assert len(shared) == 7 and set(shared.study) == {"head_ablation"}
    lines = shared_lines(shared, "head_ablation")
    assert "- head_mode = both is alpha_sweep's alpha = 1 (3 trials, seeds 0-2)" in lines
    assert "- head_mode = contrastive is alpha_sweep's alpha = 0 (3 trials, seeds 0-2)" in lines
    assert any(line.startswith("- untrained reference is alpha_sweep's untrained reference") for line in lines)
    assert (
        f"hold {len(alpha_sweep) + len(heads)} finished trials (references and controls included) but 10 distinct"
        in counted_once(tables, shared)[2]
    )
    # the same runs trained again in another precision (another CPU) are still the same runs, and say how far
    # apart the copies landed; read back (gap 0), a line says nothing more
    tables = {
        "alpha_sweep": alpha_sweep.assign(precision_ran="bf16", object_acc=0.60),
        "head_ablation": heads.assign(precision_ran="fp32", object_acc=[0.61, 0.62, 0.60] * 3 + [0.60]),
    }
    lines = shared_lines(shared_runs(tables), "head_ablation")
    assert (
        "- head_mode = both is alpha_sweep's alpha = 1 (3 trials, seeds 0-2; computed again in fp32, there in bf16: "
        "same data, augmentations and initial weights, object_acc up to 0.020 from it)" in lines
    )
    assert any(
        line.startswith("- untrained reference is alpha_sweep's untrained reference (1 trials, seeds 0-0)")
        and line.endswith("0)")
        for line in lines
    )
    # a study run before a config field existed (its table has no column for it) still shares its runs
    newer = {"alpha_sweep": alpha_sweep.assign(probe_steps=600), "head_ablation": heads}
    assert len(shared_runs(newer)) == 7
    newer["head_ablation"] = heads.assign(probe_steps=600)  # both record it: it tells them apart where it differs
    newer["alpha_sweep"] = alpha_sweep.assign(probe_steps=100)
    assert shared_runs(newer).empty


def test_a_seeds_plan_for_a_contrast_of_another_studys_runs_says_whose_runs_they_are():
    base = {"dataset": "world", "latent_dim": 128, "method": "ciper", "alpha": 1.0}
    seed_acc = [0.61, 0.55, 0.63, 0.58]
    shift = {"contrastive": [0.0] * 4, "both": [0.03, -0.02, 0.01, 0.0], "predictive": [0.0, 0.03, -0.02, 0.01]}
    alpha_sweep = pd.DataFrame(
        [
            {**base, "alpha": a, "head_mode": "both", "seed": s, "trial_id": f"a{a:g}_{s}"}
            for a in (0.0, 1.0)
            for s in range(4)
        ]
    )
    heads = pd.DataFrame(
        [
            {**base, "head_mode": m, "seed": s, "trial_id": f"{m}_{s}", "object_acc": seed_acc[s] + shift[m][s]}
            for m in shift
            for s in range(4)
        ]
    )  # both contrasts inconclusive at 4 seeds

    def plan(trials):
        comparisons = [
            families.Comparison(f"{m} vs contrastive", "object_acc", "head_mode", m, "contrastive")
            for m in ("both", "predictive")
        ]
        return (
            families.seeds_to_decide(families.judge_comparisons(trials, comparisons)).split("result): ")[1].split("; ")
        )

    shared = shared_runs({"alpha_sweep": alpha_sweep, "head_ablation": heads})
    both, predictive = plan(heads.assign(run_of=run_of(heads, "head_ablation", shared)))
    # both sides of "both vs contrastive" are the alpha study's alpha 1 and 0 runs; "predictive" was trained here
    assert both.startswith("both vs contrastive, object_acc: its runs have the config and seeds of alpha_sweep's")
    assert "seeds for it belong there, and alpha_sweep's verdict is the one to cite" in both and "SD" not in both
    assert predictive.startswith("predictive vs contrastive, object_acc (SD") and "alpha_sweep" not in predictive
    # read back (reused_from) from another study marks it too; from this study's own earlier run it does not
    from_alpha = heads.assign(reused_from=np.where(heads.head_mode != "predictive", "alpha_sweep/x", None))
    assert "alpha_sweep" in plan(from_alpha.assign(run_of=run_of(from_alpha, "head_ablation")))[0]
    own = heads.assign(reused_from="head_ablation/x")
    assert all("alpha_sweep" not in line for line in plan(own.assign(run_of=run_of(own, "head_ablation"))))
    # a trial without an id is no shared run; a study in a folder is named as the findings name it
    unnamed = heads.assign(trial_id=[None] + list(heads.trial_id[1:]))
    assert run_of(unnamed, "head_ablation", shared.assign(trial_id=[None] + list(shared.trial_id[1:])))[0] == ""
    in_folder = run_of(from_alpha, "head_ablation", folder="coil")
    assert set(in_folder) == {"coil/alpha_sweep", ""}


def test_a_seeds_plan_on_a_metric_a_no_learning_control_matches_says_the_seeds_would_not_show_learning():
    seeds = range(4)
    trained = pd.DataFrame(
        [
            {
                "method": "ciper",
                "alpha": a,
                "seed": s,
                "object_acc": [0.61, 0.55, 0.63, 0.58][s] + a * [0.03, -0.02, 0.01, 0.0][s],
                "pose_r2": [0.10, 0.05, 0.12, 0.08][s] + a * [0.04, -0.03, 0.02, 0.0][s],
            }
            for a in (0.0, 1.0)
            for s in seeds
        ]
    )  # both contrasts inconclusive at 4 seeds

    def plan(colour_pose_r2: float) -> dict[str, str]:
        controls = pd.DataFrame(
            [{"kind": "colour", "seed": s, "object_acc": 0.30, "pose_r2": colour_pose_r2} for s in seeds]
        )
        said = alpha.verdict(trained, reference_summary(controls, ["object_acc", "pose_r2"]))
        line = next(x for x in said if x.startswith("- Seeds to decide"))
        return {re.match(r"alpha = 1 vs 0, (\w+)", part)[1]: part for part in line.split("result): ")[1].split("; ")}

    matched = plan(colour_pose_r2=0.20)  # above every trained model's pose_r2
    assert matched["pose_r2"].startswith("alpha = 1 vs 0, pose_r2 (SD")  # the count stays, with what it can show
    assert matched["pose_r2"].endswith(
        "to detect a difference of 0.03, but the colour control (no learning) scores within 0.05 of or above "
        "every trained model on pose_r2 (its shortcut warning): these seeds would rank models that do not show "
        "learning there"
    )
    assert matched["object_acc"].startswith("alpha = 1 vs 0, object_acc (SD")  # the control is far below
    assert "shortcut" not in matched["object_acc"]
    below = plan(colour_pose_r2=-0.20)
    assert below["pose_r2"].startswith("alpha = 1 vs 0, pose_r2 (SD") and "shortcut" not in below["pose_r2"]
    # a control that reaches only one condition leaves the contrast a plan: the other side shows learning
    one_side = trained.assign(pose_r2=trained.pose_r2 + 0.2 * trained.alpha)
    controls = pd.DataFrame([{"kind": "colour", "seed": s, "pose_r2": 0.12} for s in seeds])
    assert matched_everywhere(one_side, reference_summary(controls, ["pose_r2"])) == {}
    assert set(matched_everywhere(trained, reference_summary(controls, ["pose_r2"]))) == {"pose_r2"}


@pytest.mark.parametrize("report", ["removal", "views"])
def test_every_report_with_controls_hands_them_to_its_seeds_plan(report):
    rng = np.random.default_rng(6)
    if report == "removal":
        ops = {"A": ("none", None), "B": ("one op", "jitter")}
        trials = pd.DataFrame(
            [
                {"condition": c, "removal": ops[c][0], "removed_op": ops[c][1], "alpha": a, "seed": s,
                 "object_acc": rng.normal(0.5, 0.02)}
                for c in ops for a in (0.0, 1.0) for s in range(4)
            ]
        )  # fmt: skip
        module, metric = removal, "object_acc"
    else:
        trials = pd.DataFrame(
            [
                {"condition": "time pairs, pose labels", "pairs": "time+synthetic",
                 "aug_order": "jitter>grayscale>blur", "alpha": a, "seed": s, "rot_r2": rng.normal(0.1, 0.02)}
                for a in (0.0, 1.0) for s in range(4)
            ]
        )  # fmt: skip
        module, metric = views, "rot_r2"
    controls = pd.DataFrame([{"kind": "colour", "seed": s, metric: 0.9} for s in range(4)])
    plan = next(x for x in module.verdict(trials, reference_summary(controls, [metric])) if "Seeds to decide" in x)
    assert f"every trained model on {metric} (its shortcut warning)" in plan
    plan = next(x for x in module.verdict(trials, reference_summary(controls.assign(**{metric: -0.9}), [metric]))
                if "Seeds to decide" in x)  # fmt: skip
    assert "shortcut warning" not in plan


def test_the_removal_verdict_names_levels_near_a_control_and_the_ops_it_never_trained_with():
    rng = np.random.default_rng(7)
    ops = {"all ops": ("none", None, "jitter>blur"), "without blur": ("one op", "blur", "jitter")}
    level = {"all ops": 0.12, "without blur": 0.30}  # 0.07 and 0.25 above a control at 0.05
    trials = pd.DataFrame(
        [
            {"condition": c, "removal": ops[c][0], "removed_op": ops[c][1], "aug_order": ops[c][2], "alpha": a,
             "seed": s, "rot_r2": level[c] + rng.normal(0, 0.005)}
            for c in ops for a in (0.0, 1.0) for s in range(4)
        ]
    )  # fmt: skip
    controls = pd.DataFrame([{"kind": "colour", "seed": s, "rot_r2": 0.05} for s in range(4)])
    said = "\n".join(removal.verdict(trials, reference_summary(controls, ["rot_r2"])))
    near = next(x for x in said.split("\n") if x.startswith("Within twice the 0.05 shortcut margin"))
    assert "rot_r2: all ops 0.12" in near and "(+0.07" in near and "without blur" not in near
    assert (
        "The preset's synthetic ops: jitter, blur. Not in it, so untested here: crop, flip, grayscale, rotation."
        in said
    )
    far = "\n".join(removal.verdict(trials, reference_summary(controls.assign(rot_r2=-0.5), ["rot_r2"])))
    assert "shortcut margin" not in far


def test_the_removal_verdict_says_how_removing_an_op_reweights_the_prediction_loss():
    from ciper.config import preset

    base = {k: ">".join(v) if isinstance(v, list) else v for k, v in preset("smoke").to_dict().items()}
    conditions = {
        "all ops": ("none", None, "jitter>grayscale>blur", "time+synthetic"),
        "without blur": ("one op", "blur", "jitter>grayscale", "time+synthetic"),
        "no synthetic ops": ("synthetic ops", None, "jitter>grayscale>blur", "time"),
    }
    trials = pd.DataFrame(
        [
            {**base, "condition": c, "removal": r, "removed_op": op, "aug_order": order, "pairs": pairs,
             "alpha": a, "seed": s, "object_acc": 0.5 + 0.01 * s}
            for c, (r, op, order, pairs) in conditions.items() for a in (0.0, 1.0) for s in range(3)
        ]
    )  # fmt: skip
    # the smoke world's time pairs give two pose groups (the 3D turn and the rest), each op one more
    assert removal.pose_shares(trials) == {"all ops": (2, 5), "without blur": (2, 4), "no synthetic ops": (2, 2)}
    said = "\n".join(removal.verdict(trials))
    assert "is all ops 2 of 5, without blur 2 of 4, no synthetic ops 2 of 2 groups" in said
    assert removal.reweighting(trials.assign(pairs="synthetic")) == ""  # no time pairs: no pose targets to re-weight


def test_a_claim_with_no_gain_or_a_loss_is_contradicted_and_only_a_gain_reproduces_it():
    rows = pd.DataFrame(
        {
            "alpha": [0.0, 1.0] * 4,
            "seed": [0, 0, 1, 1, 2, 2, 3, 3],
            "between_objects": [0.18, 0.19, 0.17, 0.16, 0.20, 0.21, 0.18, 0.18],  # no change
            "pose_r2[E]": [0.50, 0.65, 0.45, 0.61, 0.48, 0.64, 0.52, 0.66],
            "pose_r2[E_perp]": [0.47, 0.64, 0.43, 0.60, 0.45, 0.62, 0.49, 0.66],
        }
    )
    table = claims.structure_verdicts(rows)
    assert set(table[table.family == "primary"].metric) == {"between_objects", "separation"}
    said = claims.structure_claims(table)
    hierarchy, within, subspace, removal = said
    assert "**reproduced**" not in hierarchy and "**reproduced**" not in subspace  # no change is no gain
    assert "**not tested**" in within and "**not tested**" in removal  # the rows lack these two measures
    assert "**contradicted**, equivalent within ±0.03: no gain of the margin's size" in said[0]  # within ±0.03
    loss = rows.assign(between_objects=rows.between_objects - 0.1 * rows.alpha + 0.001 * rows.seed)
    assert "**contradicted**, the opposite differs" in claims.structure_claims(claims.structure_verdicts(loss))[0]
    gain = rows.assign(between_objects=rows.between_objects + 0.1 * rows.alpha + 0.001 * rows.seed)
    assert "**reproduced**" in claims.structure_claims(claims.structure_verdicts(gain))[0]
    labelled = claims.structure_claims(claims.structure_verdicts(gain), words=claims.with_pose_labels(claims.PAPER))
    assert "**reproduced with pose labels**" in labelled[0]
    assert "**not tested**" in claims.alpha_claims(None)[0]


def test_the_alpha_report_across_worlds_makes_world_a_random_factor():
    rng = np.random.default_rng(4)
    rows = []
    for w, rot_gain in enumerate([-0.08, 0.07, 0.0]):  # rot_r2: the gain changes sign between worlds
        for s in range(4):
            offset = rng.normal(0, 0.05)
            for a in (0.0, 1.0):
                rows.append(
                    {
                        "world_seed": w,
                        "seed": s,  # the same seed numbers on every world: the blocks are (world, seed)
                        "alpha": a,
                        "object_acc": 0.6 + offset + rng.normal(0, 0.01),
                        "pose_r2": 0.3 + offset + 0.08 * a + rng.normal(0, 0.01),
                        "rot_r2": 0.1 + offset + rot_gain * a + rng.normal(0, 0.01),
                    }
                )
    t = pd.DataFrame(rows)
    lines = alpha.verdict(t)
    found = _parsed(lines)
    assert set(found) == {("alpha = 1 vs 0", m) for m in ("object_acc", "pose_r2", "rot_r2")}
    assert {int(v["n"]) for v in found.values()} == {12}  # twelve blocks, not four seeds
    assert {int(v["worlds"]) for v in found.values()} == {3}  # said beside them: the worlds are the replicates
    assert found[("alpha = 1 vs 0", "pose_r2")]["state"] == "differs"  # the same gain on every world
    assert found[("alpha = 1 vs 0", "rot_r2")]["state"] == "inconclusive"  # one world's gain is no general one
    text = "\n".join(lines)
    assert "world a random factor" in text and "World by world" in text
    assert "alpha = 1 vs 0, rot_r2: world 0 -0.09" in text and "the sign changes between worlds" in text
    assert "alpha = 1 vs 0, pose_r2:" in text and "same sign in every world" in text
    (between,) = [line for line in lines if line.startswith("Does the gain differ between worlds")]
    cells = dict(cell.split(": ", 1) for cell in between.removesuffix(".").split(": ", 1)[1].split("; "))
    assert "F(2, 9)" in cells["alpha = 1, rot_r2"] and "differs between worlds" in cells["alpha = 1, rot_r2"]
    assert "differs between worlds" not in cells["alpha = 1, pose_r2"]  # the same gain on every world


def test_a_claim_on_a_probe_a_control_matches_says_so_and_a_metric_the_data_lacks_is_named():
    rng = np.random.default_rng(3)
    rows = [
        {"method": "ciper", "alpha": a, "seed": s, "object_acc": 0.6 + 0.05 * a + rng.normal(0, 0.005),
         "session_acc": 0.2 + 0.05 * a + rng.normal(0, 0.005)}
        for s in range(4) for a in (0.0, 1.0)
    ]  # fmt: skip
    rows += [{"method": "pixels", "seed": s, "object_acc": 0.1, "session_acc": 0.7} for s in range(4)]
    trials = pd.DataFrame(rows)
    said = claims.alpha_claims(claims.alpha_verdicts(trials), trials, "From `x`")
    assert said[0] == "From `x`:"
    (acc,) = [line for line in said if "object_acc" in line]
    assert "**reproduced, post hoc**" in acc and "shows no learning" not in acc  # the control is far below
    (session,) = [line for line in said if "session_acc" in line]
    assert "the pixel control (no learning) scores 0.700 on it" in session and "Latin square" in session
    assert session.startswith(
        "- ... and classifies the session (the lighting) better: **untestable here**"
    )  # a gain, on a probe the split confounds and the control beats
    (rot,) = [line for line in said if "3D rotation" in line]
    assert "**not tested** (this data gives no rot_r2)" in rot


def test_an_exploratory_study_shows_a_claim_without_reproducing_it_and_rot_r2_is_split_by_axis():
    rng = np.random.default_rng(5)
    rows = []
    for s in range(4):
        for a in (0.0, 1.0):
            z = 0.1 + 0.2 * a + rng.normal(0, 0.005)  # the gain is all in-plane
            rows.append({"method": "ciper", "alpha": a, "seed": s, "rot_r2": (0.1 + 0.1 + z) / 3,
                         "rot_r2/drot_x": 0.1, "rot_r2/drot_y": 0.1, "rot_r2/drot_z": z})  # fmt: skip
    trials = pd.DataFrame(rows)
    said = claims.alpha_claims(claims.alpha_verdicts(trials), trials, "From `x`", claims.EXPLORATORY)
    (rot,) = [line for line in said if "3D rotation" in line]
    assert "**shown in this exploratory study (not confirmatory)**" in rot and "**reproduced**" not in rot
    assert "axis by axis (alpha 0 -> alpha 1 means, paired difference, 95 % CI" in rot
    assert re.search(r"x 0\.100 -> 0\.100, \+0\.000 \[\+0\.000, \+0\.000\]; y 0\.100 -> 0\.100, \+0\.000", rot)
    assert re.search(r"z 0\.\d{3} -> 0\.\d{3}, \+0\.(19|20)\d \[\+0\.(1[89]|20)\d, \+0\.(19|20|21)\d\]", rot)  # 4 pairs
    # the same in-plane gain where neither arm reads depth rotation says nothing of 3D rotation
    flat = trials.assign(**{"rot_r2/drot_x": -0.05, "rot_r2/drot_y": 0.01})
    (rot,) = [line for line in claims.alpha_claims(claims.alpha_verdicts(flat), flat) if "3D rotation" in line]
    assert "**not shown**, neither model reads depth rotation (R² of drot_x and drot_y at most 0.010" in rot


def test_a_gain_inside_the_margin_reproduces_no_claim():
    rows = pd.DataFrame(
        {
            "alpha": [0.0, 1.0] * 6,
            "seed": [s for s in range(6) for _ in (0, 1)],
            "between_objects": [v for s in range(6) for v in (0.30 + 0.01 * s, 0.31 + 0.01 * s + 0.0005 * (s % 2))],
        }
    )
    table = claims.structure_verdicts(rows)
    row = table.set_index("metric").loc["between_objects"]
    assert row.verdict == "differs" and row.p_equiv_adj < 0.05  # +0.01: real, and inside ±0.03
    said = claims.structure_claims(table)[0]
    assert "**not shown**, a gain inside the margin" in said


def test_no_cost_is_a_one_sided_test_against_the_margin():
    """A claim of no cost holds where the loss is shown smaller than the margin (non-inferiority), even
    where a gain beyond the margin is not ruled out; a wide interval reaching below -margin does not."""
    rng = np.random.default_rng(7)

    def trials(noise):
        return pd.DataFrame(
            [{"method": "ciper", "alpha": a, "seed": s, "object_acc": 0.6 + 0.01 * a + rng.normal(0, noise),
              "pose_r2": 0.3 + 0.1 * a + rng.normal(0, 0.005)}
             for s in range(10) for a in (0.0, 1.0)]
        )  # fmt: skip

    tight = trials(0.003)
    (acc,) = [line for line in claims.alpha_claims(claims.alpha_verdicts(tight), tight) if "object_acc" in line]
    assert "**reproduced, post hoc**, non-inferior: one-sided test that the loss is under 0.02: p_bonf=" in acc
    wide = tight.assign(
        object_acc=[0.6 if a == 0 else 0.59 + (0.05 if s % 2 else -0.05) for a, s in zip(tight.alpha, tight.seed)]
    )  # a mean loss of 0.01 whose interval reaches below -0.02
    (acc,) = [line for line in claims.alpha_claims(claims.alpha_verdicts(wide), wide) if "object_acc" in line]
    assert "**not shown**, the loss may exceed the margin" in acc
    row = claims.alpha_verdicts(tight).set_index(["label", "metric"]).loc[("alpha = 1 vs 0", "object_acc")]
    one = claims.noninferiority_p(row)
    assert 0 <= one < claims.noninferiority_p(row, primaries=2) == min(1.0, 2 * one)


def test_a_failed_probe_and_an_insensitive_measure_are_untestable_and_the_pose_claim_names_its_labels():
    rows = [
        {"method": "ciper", "alpha": a, "seed": s, "pose_r2": -1.5 + 0.1 * a + 0.01 * s, "object_acc": 0.5}
        for s in range(4) for a in (0.0, 1.0)
    ]  # fmt: skip
    trials = pd.DataFrame(rows)
    (pose,) = [line for line in claims.alpha_claims(claims.alpha_verdicts(trials), trials) if "pose_r2" in line]
    assert "**untestable here**: the probe fails: both arms' R² (alpha 0 and 1) are below -0.5" in pose
    structure = pd.DataFrame(
        [{"alpha": a, "seed": s, "pose_r2[E]": 0.40, "pose_r2[E_perp]": 0.40 - 0.001 * s} for s in range(4)
         for a in (0.0, 1.0)]
        + [{"alpha": 0.0, "seed": 0, "kind": "pose_supervised", "pose_r2[E]": 0.6, "pose_r2[E_perp]": 0.59}]
    )  # fmt: skip
    table = claims.structure_verdicts(structure).assign(sensitivity=claims.separation_sensitivity(structure))
    (subspace,) = [line for line in claims.structure_claims(table) if "subspace of its own" in line]
    assert "**untestable here**: no encoder measured separates pose by the ±0.03 margin" in subspace
    assert "pose-supervised encoder +0.010" in subspace
    separated = structure.assign(**{"pose_r2[E_perp]": structure["pose_r2[E_perp]"] - 0.2})
    assert claims.separation_sensitivity(separated) == ""
    # the label-free runs of the view-source study answer the pose claim without pose labels
    from analysis.findings import pose_labelled

    assert pose_labelled(pd.DataFrame({"pairs": ["time+synthetic"], "time_pair_target": ["pose_change"]}))
    assert not pose_labelled(pd.DataFrame({"pairs": ["time+synthetic"], "time_pair_target": ["none"]}))
    assert not pose_labelled(pd.DataFrame({"pairs": ["synthetic"], "time_pair_target": ["pose_change"]}))
    assert "**not tested**" in claims.label_free_claims(None)[0]


def test_a_claim_reproduced_with_pose_labels_says_so_on_its_verdict(tmp_path):
    from analysis.findings import paper_claims

    rng = np.random.default_rng(3)
    trials = pd.DataFrame(
        [{"method": "ciper", "alpha": a, "seed": s, "dataset": "world", "epochs": 12, "image_size": 48,
          "pairs": "time+synthetic", "time_pair_target": target, "status": "finished",
          "pose_r2": 0.3 + 0.1 * a + rng.normal(0, 0.005), "object_acc": 0.6 + rng.normal(0, 0.003)}
         for target in ("pose_change", "none") for s in range(10) for a in (0.0, 1.0)]
    )  # fmt: skip
    labelled, label_free = trials[trials.time_pair_target == "pose_change"], trials[trials.time_pair_target == "none"]
    said = "\n".join(paper_claims({"alpha_sweep": labelled}, tmp_path))
    pose = next(line for line in said.splitlines() if line.startswith("- CIPER (alpha = 1) keeps more pose"))
    assert "**reproduced with pose labels**" in pose
    acc = next(line for line in said.splitlines() if "without costing invariance" in line)
    assert "**reproduced with pose labels, post hoc**, non-inferior" in acc
    pose = next(
        line
        for line in paper_claims({"alpha_sweep": label_free}, tmp_path)
        if line.startswith("- CIPER (alpha = 1) keeps more pose")
    )
    assert "**reproduced** (pose_r2" in pose and "pose labels" not in pose
    # the structure claims read alpha_sweep's checkpoints, so they carry its labels' word
    from analysis.findings import structure_words

    assert structure_words({"alpha_sweep": labelled}) == "reproduced with pose labels"
    assert structure_words({"alpha_sweep": label_free}) == structure_words({}) == "reproduced"
    assert claims.with_pose_labels(claims.EXPLORATORY).startswith("shown with pose labels in this exploratory")
