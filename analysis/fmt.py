"""How a report writes a mean with its confidence interval: one format for every table."""

from __future__ import annotations


def with_ci(mean: float, lo: float, hi: float, signed: bool = False) -> str:
    """'0.412 [0.398, 0.425]'; signed (a difference): '+0.012 [-0.003, +0.027]'."""
    f = "{:+.3f}" if signed else "{:.3f}"
    return f"{f.format(mean)} [{f.format(lo)}, {f.format(hi)}]"
