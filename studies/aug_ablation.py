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
    other metrics are secondary (Benjamini-Hochberg). loss_pred is the mean over its target
    groups, so at alpha = 1 removing an op also weights the rest, the time pairs' pose targets
    included, more: the alpha = 0 contrasts are the ones free of that (no arm keeps the weights fixed).
Margins: ±0.02 accuracy, ±0.03 R² (as the alpha study: its alpha = 0 and 1 trials are
    this study's 'all ops').
Seeds: 10. SDs of the paired changes of the primaries over an earlier 3-seed run (fp32): object_acc
    0.008-0.038, pose_r2 0.013-0.026, rot_r2 0.016-0.025. An effect the size of the margin needs
    4-30 seeds at an unadjusted 0.05 and 6-50 at Holm's first threshold over 9
    (seeds_for_power(sd, margin, alpha=0.05 / 9)); at those SDs 10 seeds cover five of the nine
    primaries at Holm's level. SDs from 3 seeds are themselves uncertain (2 df), so the number is a
    budget checked against them, not a power guarantee. Over the first 5 seeds of the committed run
    the object_acc SDs are 0.010-0.030, at which equivalence within ±0.02 needs 4-22 seeds (80 %
    power, before Holm, were the true change 0). Four of the nine primaries are within reach of 10
    (grayscale's three and blur's pose_r2); three estimates already lie at or beyond their margin
    (blur's object_acc, jitter's pose_r2 and rot_r2), where 10 seeds will not show equivalence
    unless the estimate shrinks.
Precision: every seed trains in one precision on one kind of machine (bf16 where the CPU has it):
    the alpha study's seeds 0-2 of 'all ops' in bf16 (another CPU) and in fp32 (an AVX2-only CPU)
    land up to 0.026 apart in object_acc, so mixing them would make precision a seed block.
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
