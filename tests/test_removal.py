"""The removal report's sentence against hand-made verdict rows."""

import pandas as pd

from analysis.removal import sentence


def _row(low, high):
    def change(op, d, state):
        return pd.Series({"op": op, "diff": d, "sentence": f"{d:+.3f} [..], n=10, p_holm=..: {state}"})

    return pd.Series({"helps": change(*low), "hurts": change(*high)})


def test_a_removal_that_lowers_and_one_that_raises_are_both_named_with_their_verdicts():
    text = sentence(_row(("blur", -0.001, "inconclusive"), ("jitter", 0.081, "differs")))
    assert text == (
        "removing blur lowers it most (-0.001 [..], n=10, p_holm=..: inconclusive), "
        "and removing jitter raises it most (+0.081 [..], n=10, p_holm=..: differs)"
    )


def test_only_raises_or_only_lowers():
    assert sentence(_row(("crop", -0.05, "differs"), ("crop", -0.05, "differs"))) == (
        "removing crop lowers it most (-0.050 [..], n=10, p_holm=..: differs)"
    )
    assert sentence(_row(("blur", 0.01, "inconclusive"), ("jitter", 0.03, "inconclusive"))) == (
        "every removal raises its mean; removing jitter raises it most (+0.030 [..], n=10, p_holm=..: inconclusive)"
    )
