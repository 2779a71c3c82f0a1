"""Do natural view changes teach what 2D augmentations cannot? Time pairs against synthetic pairs.

The paper's central setting pairs two frames of a sequence (TDW, CORe50): the
object turns in depth between them, which no 2D augmentation produces. On the
built-in 3D world this study trains contrastive-only (alpha = 0) and CIPER
(alpha = 1) models from
  - time pairs (two frames of a sequence, plus the ops below on top), or
  - synthetic pairs only (two augmentations of one frame),
each with colour ops only (jitter, grayscale, blur) or with 2D geometry as well
(crop and in-plane rotation first, then the colour ops).
Measured: rot_r2 (the relative 3D rotation of two frames, read from their pair
    features) and view_r2 above all; the report gives CIPER's gain over
    contrastive-only, paired by seed, for each source of pairs.
Seeds: 3: the time-pair gain is several times its 3-seed CI.
"""

from ciper.study import Study
from studies import main

COLOUR = ["jitter", "grayscale", "blur"]
GEOMETRY_AND_COLOUR = ["crop", "rotation", *COLOUR]

STUDY = Study(
    name="view_source",
    question=__doc__.splitlines()[0],
    space=lambda preset: {
        "alpha": [0.0, 1.0],
        "pairs": ["time+synthetic", "synthetic"],
        "aug_order": [COLOUR, GEOMETRY_AND_COLOUR],
    },
    report="views",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
