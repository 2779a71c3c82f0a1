"""Every metric a trial reports, defined once: its key, what it measures, its plot label and why it
can come out NaN. The probes (ciper/probes.py), the tables, the plots and the run summaries read
METRICS, LABELS and WHY_NAN from here; the README's metrics table names the same keys.

Kept free of torch so that a table or a plot can read it without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_ROTATIONS = "the data has no 3D rotations (the built-in 3D world has them)"
NOTHING_TO_FIT = "the probe had nothing to fit"


@dataclass(frozen=True)
class Metric:
    name: str  # the key in a trial's results and the column in its table
    about: str  # what it measures (ciper/probes.py computes it)
    label: str  # a plot's title for it
    why_nan: str  # why it can come out NaN: nothing to measure, not a failure


# in the order tables and plots show them
REGISTRY = (
    Metric(
        "object_acc",
        "object class from h, multinomial logistic regression",
        "object accuracy (linear probe)",
        NOTHING_TO_FIT,
    ),
    Metric(
        "session_acc",
        "session (lighting/background) from h, where the data has sessions",
        "session accuracy (linear probe)",
        "the data has one session or none",
    ),
    Metric(
        "pose_r2",
        "pose parameters from h, ridge R² (mean over the columns; pose_r2/<column> each)",
        "pose-parameter R² (linear read-out)",
        "the data has no pose labels, or the held-out poses do not vary",
    ),
    Metric(
        "rot_r2",
        "the relative 3D rotation of two frames within time_window, from their pair features",
        "relative 3D rotation R² (pair features, ridge)",
        NO_ROTATIONS,
    ),
    Metric(
        "quat_r2_linear",
        "the 3DIEBench read-out: [h1, h2] -> relative rotation quaternion, a linear head",
        "relative rotation quaternion R² (3DIEBench, linear)",
        NO_ROTATIONS,
    ),
    Metric(
        "quat_r2_mlp",
        "the 3DIEBench read-out: [h1, h2] -> relative rotation quaternion, an MLP head",
        "relative rotation quaternion R² (3DIEBench, MLP)",
        NO_ROTATIONS,
    ),
    Metric(
        "azimuth_change_r2",
        "on a turntable: the azimuth change between two frames (sin, cos), from their pair features",
        "azimuth change R² (pair features, turntable)",
        "the data is not a turntable with azimuth labels (dataset=coil100 or turntable is)",
    ),
    Metric(
        "aug_r2",
        "the parameter change of two fresh augmentations of an image, from their pair features",
        "augmentation-parameter R² (linear)",
        "aug_order is empty, or the held-out augmentation parameters do not vary",
    ),
    Metric(
        "knn_acc",
        "object class from h, cosine k-nearest neighbours",
        "object accuracy (kNN)",
        NOTHING_TO_FIT,
    ),
)

METRICS = tuple(m.name for m in REGISTRY)
LABELS = {m.name: m.label for m in REGISTRY}
WHY_NAN = {m.name: m.why_nan for m in REGISTRY}
