"""The removal report's sentence against hand-made changes."""

import pandas as pd

from analysis.removal import sentence


def _row(low, high):
    def change(op, d, lo, hi):
        return pd.Series({"op": op, "change": d, "lo": lo, "hi": hi})

    return pd.Series({"helps": change(*low), "hurts": change(*high)})


def test_a_removal_that_costs_and_one_that_raises_are_both_named():
    text = sentence(_row(("blur", -0.001, -0.008, 0.006), ("jitter", 0.081, 0.016, 0.147)))
    assert text == (
        "removing blur costs most (-0.001 [-0.008, +0.006], within seed noise), "
        "and removing jitter raises it most (+0.081 [+0.016, +0.147])"
    )


def test_a_sure_cost_and_no_op_that_helps():
    assert sentence(_row(("crop", -0.05, -0.08, -0.02), ("crop", -0.05, -0.08, -0.02))) == (
        "removing crop costs most (-0.050 [-0.080, -0.020])"
    )
    assert sentence(_row(("blur", 0.01, -0.02, 0.04), ("jitter", 0.03, -0.01, 0.07))) == (
        "no single op helps: removing jitter raises it most (+0.030 [-0.010, +0.070], within seed noise)"
    )
