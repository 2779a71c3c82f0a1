"""Does the leak-free protocol still answer? CIPER against contrastive-only beside the controls.

On the built-in world's default split (whole sequences held out; ciper/data.py) this
trains contrastive-only (alpha = 0) and CIPER (alpha = 1) models and runs the
references and no-learning controls beside them (per seed).
Varied (scientific): alpha in {0, 1}.
Held fixed: the preset (built-in world, time + colour pairs, small CNN, 12 epochs).
Measured: every metric; the report gives the paired change by seed and flags any metric
    on which a control comes within 0.05 of a trained model.
What must hold: the object-supervised encoder far above chance and the controls; both
    self-supervised models at least 0.15 above the best control in object accuracy; CIPER
    above contrastive-only on the pose read-outs with paired CIs that exclude 0.
Seeds: 3, the alpha study's, so its alpha = 0 and 1 trials are these.
"""

from ciper.study import Study
from studies import main

STUDY = Study(
    name="protocol_check",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [0.0, 1.0]},
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
