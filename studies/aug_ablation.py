"""Open question 5: what does each augmentation contribute? Remove one op at a time.

Varied (scientific): the augmentation ops -- all of the preset's ops, each op
    removed in turn (leave-one-out), and none (time pairs only, where the data
    has sequences) -- crossed with alpha in {0 (contrastive only), 1 (CIPER)}.
Held fixed: the rest of the preset (on the built-in world: time pairs with
    jitter, grayscale and blur on top; the conditions, which the preset's ops
    define, set aug_order and pairs, so `--set aug_order=...` is refused).
Measured: all metrics; the report gives, for each op, the paired change when it
    is removed (by seed, with a 95 % CI), and names the op whose removal costs
    most for each metric.
Seeds: 3. Removing one op moves object_acc by a few points; three seeds separate
    those changes from zero for the ops that matter (the report shows the CIs).
"""

from ciper.config import preset as preset_config
from ciper.study import Study
from studies import main


def conditions(preset: str) -> dict[str, dict]:
    """all ops; without each op; no synthetic ops (time pairs only, if the preset has them)."""
    cfg = preset_config(preset)
    ops = list(cfg.aug_order)
    out = {"all ops": {"aug_order": ops, "pairs": cfg.pairs}}
    for op in ops:
        rest = [o for o in ops if o != op]
        if rest:
            out[f"without {op}"] = {"aug_order": rest, "pairs": cfg.pairs}
    if cfg.time_pairs:
        out["no synthetic ops"] = {"aug_order": ops, "pairs": "time"}
    return out


STUDY = Study(
    name="aug_ablation",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [0.0, 1.0]},
    conditions=conditions,
    report="removal",
    seeds=3,
)

if __name__ == "__main__":
    main(STUDY)
