"""The README's Results come from the committed trial table: recompute its headline numbers."""

from helpers import ROOT

from analysis.stats import mean_ci
from ciper.study import load_results

RESULTS = ROOT / "docs" / "findings" / "alpha_sweep"


def test_the_readme_results_table_and_primary_contrast_recompute_from_the_committed_trials():
    trials, _ = load_results(RESULTS)
    readme = " ".join((ROOT / "README.md").read_text().split())
    ciper = trials[(trials.method == "ciper") & (trials.status == "finished")]
    assert set(trials.image_size) == {48} and len(trials) == 120  # the cpu preset, the study's 10 seeds
    assert ciper.reused_from.notna().sum() == 21  # seeds 0-2, read back from make run's runs
    for alpha, metric in [(0.0, "object_acc"), (0.0, "pose_r2"), (10.0, "pose_r2"), (1.0, "quat_r2_mlp")]:
        mean, lo, hi = mean_ci(ciper[ciper.alpha == alpha][metric])
        assert f"{mean:.3f} [{lo:.3f}, {hi:.3f}]" in readme, (alpha, metric)
    pixels = trials[trials.method == "pixels"]
    mean, lo, hi = mean_ci(pixels.object_acc)
    assert f"| pixel control (no learning) | {mean:.3f} [{lo:.3f}, {hi:.3f}] |" in readme
    by_seed = ciper.pivot_table(index="seed", columns="alpha", values="pose_r2")
    mean, lo, hi = mean_ci(by_seed[10.0] - by_seed[0.0])
    assert len(by_seed) == 10 and f"pose_r2 +{mean:.3f} [+{lo:.3f}, +{hi:.3f}]" in readme


def test_the_32px_runs_on_two_cpus_recompute_from_their_committed_trials():
    trials, _ = load_results(ROOT / "docs" / "results" / "alpha_sweep_xeon")
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    other, _ = load_results(ROOT / "docs" / "results" / "alpha_sweep_32px")
    for table in (trials, other):
        ciper = table[(table.method == "ciper") & (table.status == "finished")]
        by_seed = ciper.pivot_table(index="seed", columns="alpha", values="pose_r2")
        assert len(by_seed) == 3 and len(table) == 36 and set(table.image_size) == {32}
        mean, lo, hi = mean_ci(by_seed[10.0] - by_seed[0.0])
        assert f"+{mean:.3f} [+{lo:.3f}, +{hi:.3f}]" in protocol
    # the references that train nothing agree across the two CPUs within what the doc says
    key = ["method", "seed"]
    for method in ("pixels", "colour", "untrained"):
        a = trials[trials.method == method].sort_values(key).object_acc.to_numpy()
        b = other[other.method == method].sort_values(key).object_acc.to_numpy()
        assert len(a) == 3 and abs(a - b).max() <= 0.0015 + 1e-9, method
    assert "agree within 0.0015 on every seed" in protocol


def _second_world(folder):
    trials, _ = load_results(ROOT / "docs" / "results" / folder)
    assert len(trials) == 21 and set(trials.world_seed) == {1} and set(trials.status) == {"finished"}
    ciper = trials[trials.method == "ciper"]
    contrasts = {}
    for metric in ("pose_r2", "object_acc", "rot_r2"):
        by_seed = ciper.pivot_table(index="seed", columns="alpha", values=metric)
        mean, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
        contrasts[metric] = f"{metric} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    return trials, ciper, contrasts


def test_the_second_worlds_protocol_checks_recompute_from_their_committed_trials():
    readme, protocol = (" ".join((ROOT / doc).read_text().split()) for doc in ("README.md", "docs/protocol.md"))
    trials, _, contrasts = _second_world("protocol_check_world1")  # at 32x32
    assert set(trials.image_size) == {32}
    assert contrasts["pose_r2"] in protocol and contrasts["object_acc"] in protocol
    trials, ciper, contrasts = _second_world("protocol_check_world1_48px")  # the cpu preset
    assert set(trials.image_size) == {48}
    assert contrasts["pose_r2"] in readme and contrasts["rot_r2"] in readme and contrasts["pose_r2"] in protocol
    supervised = mean_ci(trials[trials.method == "object_supervised"].object_acc)
    assert supervised[0] >= 0.6 and "{:.3f} [{:.3f}, {:.3f}]".format(*supervised) in protocol
    best_control = max(trials[trials.method == k].object_acc.mean() for k in ("pixels", "colour"))
    assert all(ciper[ciper.alpha == a].object_acc.mean() >= best_control + 0.15 for a in (0.0, 1.0))


def test_the_coil_tables_in_the_datasets_doc_recompute_from_their_committed_trials():
    trials, _ = load_results(ROOT / "docs" / "findings" / "coil" / "coil_alpha")
    doc = (ROOT / "docs" / "datasets.md").read_text()
    ciper = trials[(trials.method == "ciper") & (trials.status == "finished")]
    assert len(trials) == 35 and ciper.seed.nunique() == 5 and set(trials.dataset) == {"coil100"}
    for metric in ("object_acc", "pose_r2", "azimuth_change_r2", "aug_r2"):
        by_seed = ciper.pivot_table(index="seed", columns="alpha", values=metric)
        cells = [f"{m:.3f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in (mean_ci(by_seed[0.0]), mean_ci(by_seed[1.0]))]
        m, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
        assert f"| {metric} | {cells[0]} | {cells[1]} | {m:+.3f} [{lo:+.3f}, {hi:+.3f}] |" in doc, metric
    untrained = mean_ci(trials[trials.method == "untrained"].object_acc)
    assert "| untrained encoder | {:.3f} [{:.3f}, {:.3f}] |".format(*untrained) in doc
    assert f"| colour control (no learning) | {trials[trials.method == 'colour'].object_acc.iloc[0]:.3f} |" in doc


def test_the_grey_coil_tables_in_the_datasets_doc_recompute_from_their_committed_trials():
    trials, _ = load_results(ROOT / "docs" / "findings" / "coil_grey" / "coil_alpha")
    doc = (ROOT / "docs" / "datasets.md").read_text()
    ciper = trials[(trials.method == "ciper") & (trials.status == "finished")]
    assert len(trials) == 21 and set(trials.image_colour) == {"grey"} and set(trials.split_blocks) == {2}
    for metric in ("object_acc", "aug_r2"):
        by_seed = ciper.pivot_table(index="seed", columns="alpha", values=metric)
        m, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
        assert f"| {metric} | " in doc and f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}] |" in doc, metric
    best_encoder = max(mean_ci(trials[trials.method == k].object_acc)[0] for k in ("ciper", "object_supervised"))
    pixels = trials[trials.method == "pixels"].object_acc.iloc[0]
    assert best_encoder < pixels and f"| pixel control (no learning) | {pixels:.3f} |" in doc


def test_the_coil_view_source_table_recomputes_from_its_committed_trials():
    trials, _ = load_results(ROOT / "docs" / "findings" / "coil" / "view_source")
    doc = (ROOT / "docs" / "datasets.md").read_text()
    ciper = trials[trials.method == "ciper"].copy()
    assert len(trials) == 51 and set(trials.status) == {"finished"} and ciper.seed.nunique() == 3
    ciper["ops"] = ["geometry + colour" if "crop" in str(a) else "colour only" for a in ciper.aug_order]
    for (condition, ops), rows in ciper.groupby(["condition", "ops"]):
        by_seed = rows.pivot_table(index="seed", columns="alpha", values="object_acc")
        m, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
        assert f"| {condition} | {ops} | " in doc and f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}] |" in doc, (condition, ops)


def test_the_view_source_contrasts_in_the_readme_recompute_from_the_committed_trials():
    trials, _ = load_results(RESULTS.parent / "view_source")
    readme = " ".join((ROOT / "README.md").read_text().split())
    ciper = trials[(trials.method == "ciper") & (trials.alpha == 1.0)].copy()
    assert len(trials) == 51 and set(trials.status) == {"finished"} and set(trials.image_size) == {48}
    ciper["ops"] = ["geometry" if "crop" in str(a) else "colour" for a in ciper.aug_order]
    by_seed = ciper.pivot_table(index="seed", columns=["ops", "condition"], values="rot_r2")
    assert len(by_seed) == 3
    for ops in ("geometry", "colour"):
        for time_pairs in ("time pairs, no pose labels", "time pairs, pose labels"):
            m, lo, hi = mean_ci(by_seed[(ops, time_pairs)] - by_seed[(ops, "synthetic pairs")])
            assert f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" in readme, (ops, time_pairs)


def test_the_48px_protocol_check_recomputes_from_its_committed_trials():
    trials, _ = load_results(ROOT / "docs" / "results" / "protocol_check_48px")
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    assert len(trials) == 21 and set(trials.image_size) == {48} and set(trials.status) == {"finished"}
    supervised = mean_ci(trials[trials.method == "object_supervised"].object_acc)
    assert supervised[0] >= 0.6 and "{:.3f} [{:.3f}, {:.3f}]".format(*supervised) in protocol
    ciper = trials[trials.method == "ciper"]
    by_seed = ciper.pivot_table(index="seed", columns="alpha", values="pose_r2")
    m, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
    assert lo > 0 and f"pose_r2 alpha 1 - 0 {m:+.3f} [{lo:+.3f}, {hi:+.3f}]" in protocol
    best_control = max(trials[trials.method == k].object_acc.mean() for k in ("pixels", "colour"))
    assert all(ciper[ciper.alpha == a].object_acc.mean() >= best_control + 0.15 for a in (0.0, 1.0))


def test_the_committed_findings_document_is_what_its_raw_tables_give(tmp_path):
    """FINDINGS.md, less its header line (code version, date, machine), comes out of the tables beside it."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "analysis.findings", "--preset", "cpu", "--storage", "docs/findings"]
    cmd += ["--no-run", "--coil", "data/coil-100", "--out", str(tmp_path)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    written = (tmp_path / "FINDINGS.md").read_text().splitlines()
    committed = (ROOT / "docs" / "findings" / "FINDINGS.md").read_text().splitlines()
    assert written[3:] == committed[3:] and written[0] == committed[0] == "# CIPER findings"
    # a photographs section's shared runs are those of the photographs' own alpha study, not the world's
    coil_views = "\n".join(committed).split("## Real photographs (COIL-100): time pairs")[1].split("\n## ")[0]
    assert "is coil/coil_alpha's alpha = 0" in coil_views and "alpha_sweep's" not in coil_views


def test_the_three_worlds_contrasts_in_the_readme_recompute_from_the_committed_trials():
    from analysis.stats import per_world, these_worlds_contrast, world_contrast

    trials, _ = load_results(ROOT / "docs" / "findings" / "alpha_worlds")
    readme = " ".join((ROOT / "README.md").read_text().split())
    ciper = trials[(trials.method == "ciper") & (trials.status == "finished")]
    assert len(ciper) == 24 and sorted(ciper.world_seed.unique()) == [0, 1, 2]
    assert ciper.groupby(["world_seed", "alpha"]).seed.nunique().eq(4).all()
    fmt = lambda c: f"{c.diff:+.3f} [{c.lo:+.3f}, {c.hi:+.3f}]"
    for metric in ["object_acc", "pose_r2", "rot_r2"]:
        general = world_contrast(ciper, "alpha", 1.0, 0.0, metric, margin=0.02)
        assert f"{metric} {fmt(general)}" in readme, metric
    mu, lo, hi, n, df = these_worlds_contrast(ciper, "alpha", 1.0, 0.0, "pose_r2")
    assert f"pose_r2 rises by {mu:+.3f} [{lo:+.3f}, {hi:+.3f}]" in readme and (n, df) == (12, 9)
    worlds = per_world(ciper, "alpha", 1.0, 0.0, "pose_r2")
    assert "every world (" + ", ".join(f"{c.diff:+.3f}" for c in worlds.values()) + ";" in readme


def test_the_budget_contrasts_in_the_readme_recompute_from_the_committed_trials():
    trials, epochs = load_results(ROOT / "docs" / "findings" / "alpha_budget")
    readme = " ".join((ROOT / "README.md").read_text().split())
    ciper = trials[(trials.method == "ciper") & (trials.status == "finished")]
    assert len(ciper) == 6 and set(ciper.epochs) == {48} and set(ciper.world_seed) == {0}
    assert epochs[epochs.trial_id.isin(ciper.trial_id)].groupby("trial_id").epoch.max().eq(48).all()  # the curves
    for alpha in (0.0, 1.0):
        mean, lo, hi = mean_ci(ciper[ciper.alpha == alpha].object_acc)
        assert f"{mean:.3f} [{lo:.3f}, {hi:.3f}] (alpha {alpha:g})" in readme, alpha
    for metric in ("pose_r2", "rot_r2", "object_acc", "rot_r2/drot_z"):
        by_seed = ciper.pivot_table(index="seed", columns="alpha", values=metric)
        mean, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
        assert f"{metric.split('/')[-1]} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]" in readme, metric
    # the change from 12 epochs (the alpha study's same seeds), paired by seed
    short, _ = load_results(RESULTS)
    short = short[short.method == "ciper"]

    def gain(t, metric):
        by_seed = t.pivot_table(index="seed", columns="alpha", values=metric)
        return by_seed[1.0] - by_seed[0.0]

    changes = []
    for metric in ("pose_r2", "rot_r2", "object_acc"):
        long = gain(ciper, metric)
        changes.append("{:+.3f} [{:+.3f}, {:+.3f}]".format(*mean_ci(long - gain(short, metric).loc[long.index])))
    assert f"they are {changes[0]}, {changes[1]} and {changes[2]})" in readme


def test_the_world_x_alpha_interaction_in_the_readme_recomputes_from_the_committed_trials():
    from statsmodels.stats.multitest import multipletests

    from analysis.stats import world_interaction

    trials, _ = load_results(ROOT / "docs" / "findings" / "alpha_worlds")
    readme = " ".join((ROOT / "README.md").read_text().split())
    ciper = trials[(trials.method == "ciper") & (trials.status == "finished")]
    tests = {m: world_interaction(ciper, "alpha", 1.0, 0.0, m) for m in ("object_acc", "pose_r2", "rot_r2")}
    adjusted = dict(zip(tests, multipletests([t[-1] for t in tests.values()], method="fdr_bh")[1]))
    for m, (f, df1, df2, _) in tests.items():
        assert f"{m} F({df1}, {df2}) = {f:.2f}, p_bh {adjusted[m]:.3f}" in readme, m


def test_the_structure_contrasts_in_the_readme_recompute_from_the_committed_structure_rows():
    import pandas as pd

    rows = pd.read_parquet(RESULTS / "structure.parquet")
    readme = " ".join((ROOT / "README.md").read_text().split())
    trials = rows[rows["kind"].isna()]  # the reference encoders' rows carry a kind
    assert trials.groupby("alpha").seed.nunique().eq(10).all()
    separation = trials.assign(separation=trials["pose_r2[E]"] - trials["pose_r2[E_perp]"])
    said_as = {
        "between_objects": "between objects, ",
        "pose_r2[within objects]": "pose_r2 within objects ",
        "separation": "contrastive-only ",
        "object_acc[pose removed - random]": "a difference of ",
    }
    for metric, said in said_as.items():
        by_seed = separation.pivot_table(index="seed", columns="alpha", values=metric)
        mean, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
        assert f"{said}{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]" in readme, metric
    supervised = rows[rows["kind"] == "pose_supervised"]
    gap = (supervised["pose_r2[E]"] - supervised["pose_r2[E_perp]"]).mean()
    assert f"the pose-supervised one included (separation {gap:+.3f};" in readme  # the measure's insensitivity
    sizes = trials.groupby("alpha").removed_directions.mean()
    assert f"takes {sizes[0.0]:.0f} (alpha 0) and {sizes[1.0]:.0f} (alpha 1) of h's 128 dimensions" in readme
    below = -trials.groupby("alpha")["object_acc[pose removed - random]"].mean()
    assert f"objects then read {below[0.0]:.3f} and {below[1.0]:.3f} below removing" in readme
    by_seed = trials.pivot_table(index="seed", columns="alpha", values="removed_directions")
    mean, lo, hi = mean_ci(by_seed[1.0] - by_seed[0.0])
    pose_only = supervised.removed_directions.mean()
    assert f"the pose-supervised encoder needs {pose_only:.0f} ({supervised.seed.nunique()} seeds)" in readme
    assert f"CIPER {sizes[1.0]:.0f} ({mean:+.1f} [{lo:+.1f}, {hi:+.1f}], paired, unadjusted)" in readme


def test_the_removal_contrasts_in_the_readme_recompute_from_the_committed_trials():
    from analysis.references import split_references
    from analysis.removal import judged

    trials, _ = load_results(RESULTS.parent / "aug_ablation")
    readme = " ".join((ROOT / "README.md").read_text().split())
    done, _ = split_references(trials)
    seeds = done.seed.nunique()
    assert len(trials) == 15 * seeds and set(trials.status) == {"finished"}  # 10 trained, 5 references a seed
    assert set(done.precision_ran) == {"bf16"} and done.code_version.nunique() == 1  # one precision, one code
    command = f"--seeds {seeds}`: {seeds} of its 10" if seeds < 10 else "`python studies/aug_ablation.py`: its 10"
    assert command in readme and f"code {done.code_version.iloc[0][:7]}" in readme
    paragraph = readme.split("- **Augmentation removal** (")[1].split("- **")[0]
    table = judged(done).set_index(["label", "metric"])
    primary = table[table.family == "primary"]
    assert len(primary) == 9 and primary.n.eq(seeds).all()
    for op in ("jitter", "grayscale", "blur"):
        r = table.loc[(f"without {op} vs all ops, alpha = 1", "object_acc")]
        assert f"{r['diff']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}] without {op}" in paragraph, op
    if set(primary.verdict) == {"inconclusive"}:
        assert "**every primary is inconclusive**" in paragraph
    for metric in ("object_acc", "pose_r2", "rot_r2"):
        r = table.loc[("no synthetic ops vs all ops, alpha = 1", metric)]
        assert f"{metric} {r['diff']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]" in paragraph, metric
    differ = (table[table.family == "secondary"].verdict == "differs").sum()
    assert f"{differ} secondaries differ" in paragraph


def test_the_claim_verdicts_in_the_readme_recompute_from_the_committed_trials():
    """No cost as non-inferiority, the depth axes neither arm reads, the pose gain without pose labels."""
    from analysis import claims
    from analysis.families import read_margins

    readme = " ".join((ROOT / "README.md").read_text().split())
    trials, _ = load_results(RESULTS)
    table = claims.alpha_verdicts(trials, read_margins(RESULTS)).set_index(["label", "metric"])
    p = claims.noninferiority_p(table.loc[("alpha = 1 vs 0", "object_acc")], primaries=6)
    assert f"margin with p_bonf {p:.2g} (Bonferroni over the six primaries)" in readme
    assert claims.noninferiority_p(table.loc[("alpha = 10 vs 0", "object_acc")], primaries=6) == 1.0
    ciper = trials[(trials.method == "ciper") & trials.alpha.isin([0.0, 1.0])]
    levels = ciper.groupby("alpha")[["rot_r2/drot_x", "rot_r2/drot_y", "rot_r2/drot_z"]].mean()
    for axis in "xyz":
        a0, a1 = levels.loc[0.0, f"rot_r2/drot_{axis}"], levels.loc[1.0, f"rot_r2/drot_{axis}"]
        assert f"drot_{axis} {a0:.3f} -> {a1:.3f}" in readme, axis
    assert (levels[["rot_r2/drot_x", "rot_r2/drot_y"]] <= 0.05).all().all()  # neither arm reads depth
    views, _ = load_results(RESULTS.parent / "view_source")
    free = claims.views_verdicts(views, read_margins(RESULTS.parent / "view_source")).set_index(["label", "metric"])
    for label in claims.LABEL_FREE:
        r = free.loc[(label, "pose_r2")]
        assert r.verdict == "inconclusive" and f"{r['diff']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}] with" in readme, label


def test_the_latent_dimension_contrasts_in_the_readme_recompute_from_the_committed_trials():
    from analysis import latent
    from analysis.families import read_margins
    from analysis.references import split_references

    study = RESULTS.parent / "latent_dim"
    trials, _ = load_results(study)
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert len(trials) == 105 and set(trials.status) == {"finished"}  # 7 seeds: 42 trained, 63 references
    done, refs = split_references(trials)
    assert len(done) == 42 and done.seed.nunique() == 7 and set(done.precision_ran) == {"bf16"}
    table = latent.judged(done, refs, read_margins(study)).set_index(["label", "metric"])
    primary = table[table.family == "primary"]
    assert len(primary) == 6 and primary.n.eq(7).all()  # n counts seeds: each seed's own slope
    expected = [
        (0, "object_acc", "differs"),
        (1, "object_acc", "equivalent"),
        (0, "pose_r2", "equivalent"),
        (1, "pose_r2", "differs"),
        (1, "rot_r2", "differs"),
    ]
    for alpha, metric, verdict in expected:
        r = table.loc[(f"slope, alpha = {alpha} minus untrained encoder", metric)]
        assert r.verdict == verdict and f"{r['diff']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]" in readme, (alpha, metric)
    for width in (16, 256):
        r = table.loc[(f"alpha = 1 vs 0 at latent_dim {width}", "object_acc")]
        assert r.verdict == "differs" and f"{r['diff']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}], p_bh {r.p_adj:.3f}" in readme
    own = table.loc[("slope, alpha = 1", "rot_r2")]
    assert own.verdict == "equivalent" and f"CIPER's own rot_r2 slope is {own['diff']:+.3f}" in readme
    bends = table[table.family == "exploratory"].reset_index()
    bent = bends[bends.verdict == "differs"]
    assert set(bent.metric) == {"pose_r2", "rot_r2", "object_acc"} and len(bent) == 7  # the README's list
    means = done.groupby(["alpha", "latent_dim"]).pose_r2.mean()
    assert "pose_r2 has its highest mean at 64 ({:.3f} / {:.3f} / {:.3f};".format(*means.loc[1.0]) in readme
    controls = refs[refs.kind.isin(["pixels", "colour"])]
    same = controls.groupby(["kind", "seed"]).object_acc.nunique().eq(1).all()  # the width changes nothing
    assert same and len(controls) == 42 and "(42 of the 63 reference trials, 28 of them repeats" in readme


def test_the_order_verdicts_in_the_readme_recompute_from_the_committed_trials():
    from analysis import order_verdicts
    from analysis.families import read_margins
    from analysis.fmt import with_ci
    from analysis.references import split_references
    from analysis.verdicts import format_p

    study = RESULTS.parent / "aug_order"
    trials, _ = load_results(study)
    readme = " ".join((ROOT / "README.md").read_text().split())
    done, refs = split_references(trials)
    seeds = done.seed.nunique()
    assert set(trials.status) == {"finished"} and len(trials) == 19 * seeds  # 14 orders and 5 references a seed
    command = "`python studies/aug_order.py`: its 11 seeds" if seeds == 11 else f"--seeds {seeds}`: {seeds} of its 11"
    assert done.code_version.nunique() == 1 and command in readme
    table = order_verdicts.judged(order_verdicts.conditions(done), read_margins(study)).set_index(["label", "metric"])
    paragraph = readme.split("- **Order** (")[1].split("- **")[0]
    said = dict(zip(("op orders (6)", "jitter orders (4)"), paragraph.split("Across the 4 jitter orders:")))
    for kind, text in said.items():  # each kind's figures in its own sentence
        for metric in order_verdicts.KEY_METRICS:
            r = table.loc[(kind, metric)]
            state = f"equivalent within ±{r.margin:g}" if r.verdict == "equivalent" else r.verdict
            quoted = f"{metric} p {format_p(r.p)} (p_holm {format_p(r.p_adj)}, {state}; largest shift "
            assert quoted + f"{with_ci(r['diff'], r.lo, r.hi, signed=True)})" in text, (kind, metric)
    code = done.code_version.iloc[0][:7]
    assert (
        f"code {code}" in paragraph
        and f"detected on {(table.verdict[table.family == 'positive control'] == 'differs').sum()}:" in paragraph
    )
    control = table[table.family == order_verdicts.CONTROL]
    for (label, metric), r in control.iterrows():
        swapped = label.split(" swapped")[0]
        quoted = f"{swapped}, {metric} {with_ci(r['diff'], r.lo, r.hi, signed=True)} (p_holm {format_p(r.p_adj)})"
        assert quoted in readme, (label, metric)
