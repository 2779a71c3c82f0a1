"""Open question 5: what does each augmentation contribute? Remove one op at a time.

Varied (scientific): the augmentation ops -- all of the preset's ops, each op
    removed in turn (leave-one-out), and none (time pairs only, where the data
    has sequences) -- crossed with alpha in {0 (contrastive only), 1 (CIPER)}.
Held fixed: the rest of the preset (on the built-in world: time pairs with
    jitter, grayscale and blur on top; the conditions, which the preset's ops
    define, set aug_order and pairs, so `--set aug_order=...` is refused).
Measured: all metrics; the report gives, for each op, the paired change when it
    is removed (by seed, with a 95 % CI and a verdict), and names the op whose removal
    lowers and the one whose removal raises each metric most. Primary contrasts
    (analysis/removal.py, Holm within them): each op removed against all ops for CIPER
    (alpha = 1) on object_acc, pose_r2 and rot_r2; time pairs alone, alpha = 0 and the
    other metrics are secondary (Benjamini-Hochberg).
Margins: ±0.02 accuracy, ±0.03 R² (as the alpha study: its alpha = 0 and 1 trials are
    this study's 'all ops').
Seeds: 10. SDs of the paired changes over 3 seeds (docs/findings at 0ff7bb8): object_acc
    up to 0.021, pose_r2 0.028, rot_r2 0.023. An effect the size of the margin needs
    seeds_for_power(0.021, 0.02) = 11, seeds_for_power(0.028, 0.03) = 9 and
    seeds_for_power(0.023, 0.03) = 7; 10 seeds cover the R² read-outs and an object_acc
    change of about 0.021 (the +0.073 of removing jitter needs seeds_for_power(0.021, 0.073) = 3).
"""

from ciper.config import preset as preset_config
from ciper.study import Study
from studies import main


def conditions(preset: str) -> dict[str, dict]:
    """all ops; without each op; no synthetic ops (time pairs only, if the preset has them).
    `removal` says what a condition removes (none, one op, synthetic ops), `removed_op` which op."""
    cfg = preset_config(preset)
    ops = list(cfg.aug_order)
    out = {"all ops": {"aug_order": ops, "pairs": cfg.pairs, "removal": "none"}}
    for op in ops:
        rest = [o for o in ops if o != op]
        if rest:
            out[f"without {op}"] = {"aug_order": rest, "pairs": cfg.pairs, "removal": "one op", "removed_op": op}
    if cfg.time_pairs:
        out["no synthetic ops"] = {"aug_order": ops, "pairs": "time", "removal": "synthetic ops"}
    return out


STUDY = Study(
    name="aug_ablation",
    question=__doc__.splitlines()[0],
    space=lambda preset: {"alpha": [0.0, 1.0]},
    conditions=conditions,
    labels=("removal", "removed_op"),
    seeds=10,
    margins={"acc": 0.02, "r2": 0.03},
)

if __name__ == "__main__":
    main(STUDY)
