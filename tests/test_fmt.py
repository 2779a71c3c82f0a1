from analysis.fmt import with_ci


def test_a_mean_and_its_interval_read_alike_in_every_report():
    assert with_ci(0.41234, 0.398, 0.4251) == "0.412 [0.398, 0.425]"
    assert with_ci(0.012, -0.0031, 0.027, signed=True) == "+0.012 [-0.003, +0.027]"
    assert with_ci(float("nan"), float("nan"), float("nan")) == "nan [nan, nan]"
