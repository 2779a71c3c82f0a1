"""Known answers for the verdict statistics (analysis/stats.py, linear.py, verdicts.py): no Ray, no training."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.linear import blocked_model, seed_slopes
from analysis.stats import (
    across_conditions,
    friedman,
    friedman_floor,
    friedman_test,
    paired_contrast,
    per_world,
    these_worlds_contrast,
    tost_paired,
    world_contrast,
    world_interaction,
)
from analysis.verdicts import (
    adjust,
    adjust_p,
    format_verdict,
    paired_t_power,
    seeds_for_equivalence,
    seeds_for_power,
    tost_power,
    verdict,
    verdicts,
)


def _long(table: dict[int, list[float]], conditions=("a", "b", "c")) -> pd.DataFrame:
    """seed -> one value per condition, as trial rows (in a shuffled order)."""
    rows = [{"seed": s, "cond": c, "m": v} for s, vals in table.items() for c, v in zip(conditions, vals)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_friedman_matches_the_textbook_formula():
    # ranks within blocks: (1,2,3) (1,3,2) (1,2,3) (2,1,3) -> rank sums R = 5, 8, 11; n = 4, k = 3
    # chi2 = 12 / (n k (k+1)) * sum R^2 - 3 n (k+1) = 12/48 * 210 - 48 = 4.5 (chi-square p exp(-2.25), not used)
    t = _long({0: [1.0, 2.0, 3.0], 1: [10.0, 30.0, 20.0], 2: [0.1, 0.2, 0.3], 3: [5.0, 4.0, 6.0]})
    t = pd.concat([t, pd.DataFrame({"seed": [9, 9], "cond": ["a", "b"], "m": [0.0, 9.0]})])  # block 9 lacks c
    r = friedman(t, "cond", "m")
    assert (r.n_blocks, r.k) == (4, 3)
    # the p is the exact permutation p over the 6^4 arrangements: 162 reach 4.5 (Friedman's table: 0.125)
    assert r.statistic == pytest.approx(4.5) and r.p == pytest.approx(162 / 1296) and r.method == "exact permutation p"
    assert across_conditions(t, "cond", "m", block="seed") == ("Friedman", r.statistic, r.p, r.method)


def test_blocking_by_seed_finds_what_kruskal_wallis_misses():
    # seeds differ by 10, the conditions by 0.1 in every seed: every block ranks a < b < c
    t = _long({s: [10.0 * s, 10.0 * s + 0.1, 10.0 * s + 0.2] for s in range(8)})
    r = friedman(t, "cond", "m")
    assert r.statistic == pytest.approx(16.0)  # 12/96 * 896 - 96
    # 6^8 arrangements: Monte Carlo, whose p estimates the exact 1 / 6^7 (= 3.6e-6)
    assert r.p < 1e-4 and r.method == "Monte Carlo permutation p, 99,999 resamples"
    name, _, p, _ = across_conditions(t, "cond", "m")  # no block: the old test, which drops the pairing
    assert name == "Kruskal-Wallis" and p > 0.5


def test_two_conditions_blocked_use_the_signed_rank_test():
    t = _long({s: [float(s), s + 0.5 + 0.1 * s] for s in range(6)}, conditions=("a", "b"))
    name, _, p, _ = across_conditions(t, "cond", "m", block="seed")
    assert name == "Wilcoxon signed-rank" and p == pytest.approx(2 / 2**6)  # all 6 signs agree: exact p


def _friedman_by_hand(ranks: np.ndarray) -> float:
    """The textbook statistic from untied ranks (n blocks x k): 12 / (n k (k+1)) sum R_j^2 - 3 n (k+1)."""
    n, k = ranks.shape
    return 12 / (n * k * (k + 1)) * float((ranks.sum(axis=0) ** 2).sum()) - 3 * n * (k + 1)


def test_friedman_permutation_p_is_the_count_over_every_arrangement_within_blocks():
    # 3 blocks x 3 conditions: every block permuted on its own gives 6^3 = 216 arrangements
    blocks = np.array([[0.1, 0.5, 0.9], [2.0, 7.0, 3.0], [-1.0, -4.0, 5.0]])  # ranks (1,2,3) (1,3,2) (2,1,3)
    observed = _friedman_by_hand(np.array([[1, 2, 3], [1, 3, 2], [2, 1, 3]]))
    assert observed == pytest.approx(8 / 3)  # rank sums 4, 6, 8: 12/36 * 116 - 36
    perms = list(itertools.permutations(range(3)))
    count = sum(
        _friedman_by_hand(blocks[np.arange(3)[:, None], np.array(arrangement)].argsort(axis=1).argsort(axis=1) + 1)
        >= observed - 1e-9
        for arrangement in itertools.product(perms, repeat=3)
    )
    assert count == 78  # Friedman's exact table, k = 3, n = 3: P(chi2 >= 2.667) = 0.361
    r = friedman_test(blocks)
    assert r.statistic == pytest.approx(observed) and r.p == pytest.approx(count / 216)
    assert r.method == "exact permutation p" and stats.chi2.sf(observed, 2) == pytest.approx(0.264, abs=1e-3)
    # ties within a block: the statistic is scipy's tie-corrected one, permuted the same way
    tied = np.array([[1.0, 1.0, 2.0], [3.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    assert friedman_test(tied).statistic == pytest.approx(stats.friedmanchisquare(*tied.T).statistic)


@pytest.mark.parametrize("n, k", [(3, 3), (2, 4), (3, 4), (2, 5)])
def test_blocks_ranked_alike_give_the_permutation_floor(n, k):
    # every block ranks the conditions the same way: k! of the (k!)^n arrangements are as extreme
    same = np.array([[10.0 * b + j for j in range(k)] for b in range(n)])
    r = friedman_test(same)
    assert r.method == "exact permutation p" and r.statistic == pytest.approx(n * (k - 1))
    assert r.p == pytest.approx(1 / math.factorial(k) ** (n - 1)) and friedman_floor(n, k) == pytest.approx(r.p)


def test_friedman_floor_blocks_holm_only_in_tiny_designs():
    # 3 seeds: 4 orders can give 1/24^2 = 0.0017 and 6 orders 1/720^2, both below Holm's first threshold over 6
    assert friedman_floor(3, 4) == pytest.approx(1 / 576) and friedman_floor(3, 4) < 0.05 / 6
    assert friedman_floor(3, 6) == pytest.approx(1 / 720**2)
    assert friedman_floor(2, 4) > 0.05 / 6 and friedman_floor(3, 3) > 0.05 / 6  # 1/24, 1/36
    assert math.isnan(friedman_floor(1, 6)) and math.isnan(friedman_floor(3, 2))


def test_the_monte_carlo_permutation_p_is_deterministic_and_near_the_exact_one():
    rng = np.random.default_rng(4)
    blocks = rng.normal(size=(3, 6)) + np.linspace(0, 1, 6)  # 720^3 arrangements: Monte Carlo
    first, second = friedman_test(blocks), friedman_test(blocks)
    assert first == second and first.method == "Monte Carlo permutation p, 99,999 resamples"
    assert 1 / 100_000 <= first.p <= 1
    small = rng.normal(size=(3, 4)) + np.linspace(0, 1, 4)  # 24^3 = 13,824 arrangements
    exact, sampled = friedman_test(small), friedman_test(small, n_resamples=2_000)
    assert exact.method == "exact permutation p" and sampled.method == "Monte Carlo permutation p, 2,000 resamples"
    assert abs(sampled.p - exact.p) < 4 * math.sqrt(exact.p * (1 - exact.p) / 2_000) + 1e-3
    assert friedman_test(small, n_resamples=2_000, seed=1) == friedman_test(small, n_resamples=2_000, seed=1)


@pytest.mark.parametrize(
    "blocks, message",
    [
        (np.array([[1.0, 2.0, 3.0]]), "at least 2 complete blocks: run more seeds"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "at least 3: compare two conditions with the Wilcoxon"),
        (np.array([[1.0, 2.0, math.nan], [2.0, 1.0, 3.0]]), "NaN or infinite values; drop the incomplete blocks"),
        (np.array([1.0, 2.0, 3.0]), "must be a 2-D array"),
    ],
)
def test_friedman_test_rejects_what_it_cannot_test(blocks, message):
    with pytest.raises(ValueError, match=message):
        friedman_test(blocks)


def test_friedman_cannot_test_two_conditions_or_one_block():
    assert math.isnan(friedman(_long({0: [1.0, 2.0], 1: [2.0, 3.0]}, ("a", "b")), "cond", "m").p)
    assert math.isnan(friedman(_long({0: [1.0, 2.0, 3.0]}), "cond", "m").p)


def test_paired_contrast_known_values():
    # differences 1, 2, 3 (paired by seed and world, rows out of order, one unpaired row)
    t = pd.DataFrame(
        {
            "cond": ["base"] * 3 + ["new"] * 4,
            "seed": [0, 1, 2, 2, 1, 0, 7],
            "world_seed": [5, 5, 5, 5, 5, 5, 5],
            "m": [1.0, 1.0, 1.0, 4.0, 3.0, 2.0, 100.0],
        }
    )
    c = paired_contrast(t, "cond", "new", "base", "m", pair_on=["seed", "world_seed"])
    # mean 2, sd 1, t = 2 sqrt(3); df 2: two-sided p = 1 - t / sqrt(t^2 + 2); CI half = t(0.975, 2) / sqrt(3)
    assert (c.n, c.diff, c.sd, c.dz) == (3, 2.0, 1.0, 2.0)
    assert c.t == pytest.approx(2 * math.sqrt(3)) and c.p == pytest.approx(1 - c.t / math.sqrt(c.t**2 + 2))
    assert c.lo == pytest.approx(2 - 2.484138, abs=1e-6) and c.hi == pytest.approx(2 + 2.484138, abs=1e-6)
    assert math.isnan(c.p_equiv)


def test_tost_accepts_equivalence_on_near_identical_samples_and_rejects_it_on_shifted_ones():
    rng = np.random.default_rng(0)
    base = rng.normal(0.8, 0.05, 20)
    same = base + rng.normal(0, 0.001, 20)
    shifted = base + 0.02 + rng.normal(0, 0.001, 20)
    assert tost_paired(same - base, margin=0.01) < 1e-6
    assert tost_paired(shifted - base, margin=0.01) > 0.99
    assert tost_paired(np.zeros(5), margin=0.01) == 0.0  # identical: the difference is exactly 0
    d = np.array([0.004, -0.002, 0.006, 0.001, 0.003])  # by hand: the larger of the two one-sided p
    se, df = d.std(ddof=1) / math.sqrt(5), 4
    by_hand = max(stats.t.sf((d.mean() + 0.01) / se, df), stats.t.cdf((d.mean() - 0.01) / se, df))
    assert tost_paired(d, 0.01) == pytest.approx(by_hand)
    with pytest.raises(ValueError, match="margin must be a positive"):
        tost_paired(d, 0.0)


def test_holm_and_bh_on_known_p_values():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> 0.02, 0.03, 0.06, max(0.04, 0.06)
    assert adjust_p(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: 0.005*4/1, 0.01*4/2, 0.03*4/3, 0.04*4/4 -> 0.02, 0.02, 0.04, 0.04 (running minimum from the top)
    assert adjust_p(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(adjust_p([0.01, math.nan], "holm")[1]) and adjust_p([0.01, math.nan], "holm")[0] == 0.01


def test_adjust_works_family_by_family():
    table = pd.DataFrame(
        {
            "family": ["primary"] * 4 + ["secondary"] * 3,
            "p": [0.01, 0.04, 0.03, 0.005, 0.01, 0.02, math.nan],
            "p_equiv": [0.5, 0.01, 0.2, 0.9, math.nan, math.nan, math.nan],
        }
    )
    out = adjust(table)
    assert out.method.tolist() == ["holm"] * 4 + ["bh"] * 3
    assert out.p_adj[:4].tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert out.p_adj[4:6].tolist() == pytest.approx([0.02, 0.02]) and math.isnan(out.p_adj[6])
    assert out.p_equiv_adj[:4].tolist() == pytest.approx([1.0, 0.04, 0.6, 1.0])  # Holm over the four TOSTs
    with pytest.raises(ValueError, match="unknown method"):
        adjust(table, default="sidak-ish")


def _design(shift: float, noise: float, seeds: int, rng) -> pd.DataFrame:
    base = rng.normal(0.7, 0.1, seeds)  # seeds differ a lot; pairing removes it
    new = base + shift + rng.normal(0, noise, seeds)
    return pd.DataFrame({"cond": ["base"] * seeds + ["new"] * seeds, "seed": [*range(seeds)] * 2, "m": [*base, *new]})


def test_verdict_states_on_constructed_data():
    rng = np.random.default_rng(1)
    designs = {
        "clear shift": _design(0.1, 0.01, 10, rng),
        "tiny noise around 0": _design(0.0, 0.002, 30, rng),
        "three noisy seeds": _design(0.01, 0.05, 3, rng),
        "one seed": _design(0.1, 0.0, 1, rng),
    }
    rows = [
        {"label": k, "family": "primary", **paired_contrast(t, "cond", "new", "base", "m", margin=0.01)._asdict()}
        for k, t in designs.items()
    ]
    out = verdicts(adjust(pd.DataFrame(rows))).set_index("label")
    assert out.verdict.to_dict() == {
        "clear shift": "differs",
        "tiny noise around 0": "equivalent",
        "three noisy seeds": "inconclusive",
        "one seed": "inconclusive",
    }
    one = out.loc["one seed"]
    assert one.n == 1 and math.isnan(one.lo) and math.isnan(one.hi)
    assert one.sentence == "+0.100 [no interval], n=1: inconclusive"
    assert out.loc["tiny noise around 0"].sentence.endswith(": equivalent within ±0.01")


def test_verdict_thresholds():
    state = lambda p_adj, p_equiv_adj, margin=0.01: verdict(0.0, -0.1, 0.1, 5, p_adj, p_equiv_adj, margin).state
    assert state(0.049, 0.01) == "differs"  # a difference takes precedence
    assert (state(0.05, 0.2), state(0.3, 0.049), state(0.3, 0.05)) == ("inconclusive", "equivalent", "inconclusive")
    assert state(0.3, 0.01, margin=math.nan) == "inconclusive"  # no margin, no equivalence


def test_format_verdict():
    v = verdict(0.031, 0.012, 0.050, 10, p_adj=0.004, method="holm")
    assert format_verdict(v) == "+0.031 [+0.012, +0.050], n=10, p_holm=0.004: differs"
    v = verdict(-0.001, -0.004, 0.002, 12, p_adj=0.62, p_equiv_adj=0.0004, margin=0.01, method="bh")
    assert v.sentence() == "-0.001 [-0.004, +0.002], n=12, p_bh=0.62, p_equiv_bh=<0.001: equivalent within ±0.01"
    v = verdict(0.5, 0.4, 0.6, 1, p_adj=0.0)  # one pair never gives an interval or a verdict
    assert v.state == "inconclusive" and math.isnan(v.lo) and math.isnan(v.hi)


def _dims(seeds=3, dims=(2, 4, 8, 16, 32)) -> pd.DataFrame:
    return pd.DataFrame(list(itertools.product(range(seeds), dims)), columns=["seed", "latent_dim"])


def test_seed_slopes_on_exact_linear_data():
    t = _dims()
    t["m"] = 0.3 + 0.07 * np.log2(t.latent_dim) + 0.05 * t.seed  # a seed's offset does not move its slope
    s = seed_slopes(t, "latent_dim", "m")
    assert list(s.index) == [0, 1, 2] and np.allclose(s, 0.07)
    t["y"] = 2.0 * t.latent_dim + 1.0 + t.seed * t.latent_dim  # seed k: slope 2 + k on the raw scale
    assert np.allclose(seed_slopes(t, "latent_dim", "y", log2=False), [2.0, 3.0, 4.0])
    one_x_per_seed = pd.DataFrame({"seed": [0, 1, 2], "latent_dim": [2, 4, 8], "m": [0.1, 0.2, 0.3]})
    assert seed_slopes(one_x_per_seed, "latent_dim", "m").isna().all()  # no slope within a seed
    with pytest.raises(ValueError, match="values <= 0"):
        seed_slopes(t.assign(latent_dim=0), "latent_dim", "m")


def test_blocked_model_with_seeds_crossed_with_worlds():
    rng = np.random.default_rng(2)
    t = pd.DataFrame(list(itertools.product(range(4), range(3), "abc")), columns=["seed", "world_seed", "cond"])
    t["m"] = 0.5 * t.seed + 0.3 * t.world_seed + np.where(t.cond == "b", 0.2, 0.0) + rng.normal(0, 0.02, len(t))
    fit = blocked_model(t, "cond", "m", baseline="a", blocks=["seed", "world_seed"])
    e = fit.effects.set_index("condition")
    means = t.groupby("cond").m.mean()
    assert e.loc["b", "effect"] == pytest.approx(means["b"] - means["a"])  # balanced: a difference of means
    assert e.loc["b", "lo"] > 0.15 and e.loc["b", "hi"] < 0.25 and e.loc["c", "lo"] < 0 < e.loc["c", "hi"]
    assert fit.p < 1e-6 and (fit.df_num, fit.df_den, fit.n) == (2, 36 - 8, 36)
    unblocked = blocked_model(t, "cond", "m", baseline="a", blocks=None).effects.set_index("condition")
    assert unblocked.loc["b", "hi"] - unblocked.loc["b", "lo"] > 5 * (e.loc["b", "hi"] - e.loc["b", "lo"])
    with pytest.raises(ValueError, match="no column 'world'"):
        blocked_model(t, "cond", "m", blocks=["seed", "world"])


def test_seeds_for_power_against_textbook_values():
    # paired t, two-sided alpha 0.05, 80 % power: dz = 0.5 -> 34 pairs, dz = 1 -> 10 (Cohen; G*Power)
    assert seeds_for_power(sd_diff=0.02, effect=0.01) == 34
    assert seeds_for_power(sd_diff=1.0, effect=-1.0) == 10
    for n, ok in ((10, True), (9, False)):  # the noncentral t, without statsmodels
        crit = stats.t.ppf(0.975, n - 1)
        power = stats.nct.sf(crit, n - 1, math.sqrt(n)) + stats.nct.cdf(-crit, n - 1, math.sqrt(n))
        assert (power >= 0.8) == ok
    with pytest.raises(ValueError, match="non-zero effect"):
        seeds_for_power(1.0, 0.0)
    # an effect 30 SDs wide: two pairs are enough (statsmodels' root finder returns NaN below 2)
    assert seeds_for_power(sd_diff=0.001, effect=0.03) == 2


def test_seeds_for_equivalence_against_a_simulated_tost():
    n = seeds_for_equivalence(sd_diff=1.0, margin=1.0)
    assert n == 11 and tost_power(n, 1.0, 1.0) >= 0.8 > tost_power(n - 1, 1.0, 1.0)
    rng = np.random.default_rng(3)
    d = rng.normal(0.0, 1.0, (4000, n))
    se, crit = d.std(axis=1, ddof=1) / math.sqrt(n), stats.t.ppf(0.95, n - 1)
    simulated = np.mean((d.mean(axis=1) - crit * se > -1.0) & (d.mean(axis=1) + crit * se < 1.0))
    assert abs(simulated - tost_power(n, 1.0, 1.0)) < 0.02


def _exact_paired_t_power(n, dz, alpha=0.05):
    """P(|t| > crit) by integrating the normal over the chi-square of the SD (no noncentral t)."""
    from scipy import integrate

    df, nc = n - 1, dz * math.sqrt(n)
    crit = stats.t.ppf(1 - alpha / 2, df)
    scale = lambda v: crit * math.sqrt(v / df)
    tails = lambda v: (stats.norm.sf(scale(v) - nc) + stats.norm.cdf(-scale(v) - nc)) * stats.chi2.pdf(v, df)
    return integrate.quad(tails, 0, math.inf, limit=200)[0]


def test_power_where_scipys_noncentral_t_gives_nan_in_one_tail():
    # 2 or 3 pairs and a large effect: scipy's nct.cdf of the far tail is NaN, its sf is right
    for n, dz in ((2, 8.0), (2, 11.0), (3, 7.5), (10, 1.0)):
        assert abs(paired_t_power(n, dz) - _exact_paired_t_power(n, dz)) < 1e-3, (n, dz)
    assert seeds_for_power(sd_diff=1.0, effect=11.0) == 3  # 2 pairs give only 0.78
    assert seeds_for_power(sd_diff=0.004, effect=0.03) == 3
    # the TOST at 1000 seeds (SD 0.0245, margin 0.03): scipy's nct.cdf is NaN there; the power is ~1
    powers = [tost_power(n, 0.0245, 0.03) for n in (10, 100, 999, 1000, 1001, 5000)]
    assert all(math.isfinite(p) for p in powers) and powers == sorted(powers) and powers[-1] > 0.999
    with pytest.raises(ValueError, match="at least 2 pairs"):
        paired_t_power(1, 1.0)
    with pytest.raises(ValueError, match="more than"):
        seeds_for_power(sd_diff=1.0, effect=1e-6)


def test_the_seeds_to_decide_an_inconclusive_primary_follow_its_sd_and_margin():
    from analysis import families

    rows = pd.DataFrame(
        {
            "label": ["a vs b", "c vs d", "e vs f"],
            "metric": ["object_acc", "pose_r2", "object_acc"],
            "family": families.PRIMARY,
            "verdict": ["inconclusive", "inconclusive", "differs"],
            "sd": [1.0, 0.5, 1.0],
            "margin": [1.0, 1.0, 1.0],
            "n": [3, 3, 3],
        }
    )
    plan = families.seeds_to_decide(rows)
    assert plan.count(" for equivalence within") == 2 and "e vs f" not in plan  # only the inconclusive ones
    assert f"a vs b, object_acc (SD 1.000 over 3 seeds): {seeds_for_equivalence(1.0, 1.0)} for equivalence" in plan
    assert f"{seeds_for_power(1.0, 1.0)} to detect a difference of 1" in plan
    assert families.seeds_to_decide(rows[rows.verdict == "differs"]) is None
    assert "more than 1000" in families.seeds_to_decide(rows.assign(sd=[20.0, 0.5, 1.0]))


def _worlds(gain_by_world, noise, seeds=4, seed=0) -> pd.DataFrame:
    """alpha 0 and 1 trials on each world, the alpha-1 gain of world w gain_by_world[w] plus noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for w, gain in enumerate(gain_by_world):
        for s in range(seeds):
            base = rng.normal(0.5, 0.05)
            rows.append({"alpha": 0.0, "world_seed": w, "seed": s, "m": base})
            rows.append({"alpha": 1.0, "world_seed": w, "seed": s, "m": base + gain + noise[w * seeds + s]})
    return pd.DataFrame(rows)


def test_world_contrast_on_worlds_that_differ_is_the_t_test_on_the_world_means():
    noise = np.random.default_rng(1).normal(0, 0.01, 12)
    t = _worlds([0.05, -0.02, 0.10], noise)
    c = world_contrast(t, "alpha", 1.0, 0.0, "m", margin=0.03)
    d = t.pivot_table(index=["world_seed", "seed"], columns="alpha", values="m").pipe(lambda p: p[1.0] - p[0.0])
    ref = stats.ttest_1samp(d.groupby(level=0).mean(), 0.0)
    assert c.n == 12 and c.diff == pytest.approx(d.mean())
    assert c.p == pytest.approx(ref.pvalue, rel=1e-3) and c.lo == pytest.approx(ref.confidence_interval().low, rel=1e-3)
    # the blocks alone (world ignored) would call it a difference; with world random it is not one
    assert paired_contrast(t, "alpha", 1.0, 0.0, "m", pair_on=["world_seed", "seed"]).p < 0.05 < c.p
    assert c.p_equiv > 0.05  # nor equivalent within 0.03
    # over these three worlds only (world a fixed block): the intercept of an OLS with sum-coded worlds
    import statsmodels.formula.api as smf

    blocks = d.rename("d").reset_index()
    fit = smf.ols("d ~ C(world_seed, Sum)", blocks).fit()
    mu, lo, hi, n, df = these_worlds_contrast(t, "alpha", 1.0, 0.0, "m")
    assert (mu, lo, hi) == pytest.approx((fit.params["Intercept"], *fit.conf_int().loc["Intercept"]))
    assert (n, df) == (12, 9) and lo > 0  # these worlds gain; worlds in general are not shown to
    by_world = per_world(t, "alpha", 1.0, 0.0, "m")
    assert list(by_world) == [0, 1, 2] and by_world[1].diff < 0 < by_world[2].diff and by_world[0].n == 4


def test_world_contrast_keeps_its_size_where_the_gain_varies_between_worlds():
    # no gain on average, but each world has its own (SD 1, as large as the seeds' noise): the t on
    # the world means rejects at its nominal rate, a pooled t over the 12 blocks far more often
    rng = np.random.default_rng(7)
    reps, hits, pooled_hits = 500, 0, 0
    for _ in range(reps):
        t = _worlds(rng.normal(0, 1.0, 3), rng.normal(0, 1.0, 12))
        hits += world_contrast(t, "alpha", 1.0, 0.0, "m").p < 0.05
        pooled_hits += paired_contrast(t, "alpha", 1.0, 0.0, "m", pair_on=["world_seed", "seed"]).p < 0.05
    assert 0.025 < hits / reps < 0.08 and pooled_hits / reps > 0.15  # 3 binomial SDs around 0.05


def test_world_contrast_needs_two_worlds():
    t = _worlds([0.02], np.zeros(4))
    c = world_contrast(t, "alpha", 1.0, 0.0, "m")
    assert c.n == 4 and math.isnan(c.lo) and math.isnan(c.p)


def test_world_interaction_is_the_anova_of_the_paired_differences_on_world():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    noise = np.random.default_rng(2).normal(0, 0.01, 12)
    t = _worlds([0.05, -0.02, 0.10], noise)
    f, df1, df2, p = world_interaction(t, "alpha", 1.0, 0.0, "m")
    d = t.pivot_table(index=["world_seed", "seed"], columns="alpha", values="m").pipe(lambda q: q[1.0] - q[0.0])
    anova = sm.stats.anova_lm(smf.ols("d ~ C(world_seed)", d.rename("d").reset_index()).fit())
    assert (df1, df2) == (2, 9) and f == pytest.approx(anova.F.iloc[0]) and p == pytest.approx(anova["PR(>F)"].iloc[0])
    assert p < 0.001  # the gains differ between worlds
    _, _, _, p_same = world_interaction(_worlds([0.05, 0.05, 0.05], noise), "alpha", 1.0, 0.0, "m")
    assert p_same > 0.05  # the same gain on every world
    assert math.isnan(world_interaction(_worlds([0.02], np.zeros(4)), "alpha", 1.0, 0.0, "m")[-1])
