"""Open question 3: how does the latent dimension matter, with and without the prediction head?

Varied (scientific): latent_dim over powers of two (16..1024; 16..64 in smoke),
    crossed with alpha in {0, 1} so the interaction shows.
Held fixed: the rest of the preset.
Measured: all metrics against log2(latent_dim), one line per alpha.
Seeds: 3: the question is a trend over a 16x range, read from a line fit over all
    dimensions and seeds, not from neighbouring dimensions.
"""

from ciper.study import Study
from studies import main

DIMS = {"smoke": [16, 32, 64], "cpu": [16, 32, 64, 128, 256], "paper": [16, 32, 64, 128, 256, 512, 1024]}

STUDY = Study(
    name="latent_dim",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"latent_dim": DIMS.get(preset, DIMS["cpu"]), "alpha": [0.0, 1.0]},
    report="latent",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
