"""What a study is: a question, the space of configs it runs, what it holds fixed, its seeds.

`space(preset)` maps config keys to either lists (a grid: every combination, times
the seeds) or Optuna distributions (a search: Optuna proposes, ASHA stops weak
trials). A study is one or the other; a search also names its objectives.

`conditions(preset)` (grids only) names settings that go together, e.g.
{"without blur": {"aug_order": [...]}, "time pairs only": {"pairs": "time"}}:
each condition is crossed with the space and the seeds, and is recorded in the
trial's `condition` column with its settings in their own columns. A condition's name
is for people; what it means to a report is said by its `labels`: keys a study declares
that are no config field (e.g. labels=("removed_op",) and {"without blur": {...,
"removed_op": "blur"}}), each recorded as a column of its own (None where a condition
leaves it out), which the reports read instead of parsing names.

A grid study also runs, for every seed, its references and controls as trials of
their own (`references`, Config.method: untrained, object_supervised,
pose_supervised, pixels, colour; ciper/reference.py): at the study's base config,
once for each value of a varied field that changes the architecture or the data
(REFERENCE_AXES, e.g. latent_dim), never once per alpha. Ray schedules and resumes
them like any trial, and the reports read them from the same table.

`margins` are the study's equivalence margins: the largest difference that does not
matter, declared before the results (a report calls two conditions equivalent only
within them). A metric ending in `_acc` takes margins["acc"], any other metric
(R², variance shares) margins["r2"]; `margin(metric)` applies that rule.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ciper.config import Config

# every report, named after the study it was written for -> the analysis module that writes it
# (analysis/<module>.py); a study's report is its own name, the reports and the findings read this
REPORTS = {
    "alpha_sweep": "alpha",
    "coil_alpha": "alpha",
    "protocol_check": "alpha",
    "alpha_worlds": "alpha",
    "alpha_budget": "alpha",
    "aug_order": "order",
    "latent_dim": "latent",
    "head_ablation": "ablation",
    "aug_ablation": "removal",
    "view_source": "views",
    "search": "search",
}
REFERENCES = ("untrained", "object_supervised", "pose_supervised", "pixels", "colour")
# varied fields a reference follows (the architecture, the data, the budget); it ignores the others
REFERENCE_AXES = ("dataset", "data_dir", "pose_columns", "image_size", "world_objects", "world_sessions")
REFERENCE_AXES += ("world_frames", "world_seed", "split", "test_fraction", "encoder", "width", "latent_dim")
REFERENCE_AXES += ("epochs", "batch_size", "lr", "optimizer", "weight_decay", "max_train_images")
CONDITION_KEYS = ("name", "labels")  # a trial's keys (Study.trials) that are no config setting
DEFAULT_MARGINS = {"acc": 0.02, "r2": 0.03}  # 2 points of accuracy, 0.03 of R²


def margin_of(margins: dict[str, float], metric: str) -> float:
    """The margin of a metric: margins["acc"] for a name ending in _acc (object_acc, and
    object_acc[E_perp]: a bracketed qualifier is ignored), margins["r2"] for the rest."""
    return float(margins["acc"] if metric.split("[")[0].endswith("_acc") else margins["r2"])


@dataclass
class Study:
    name: str
    question: str  # what the study answers, in a sentence
    space: Callable[[str], dict]  # preset -> {config key: list (grid) | distribution (search)}
    fixed: dict = field(default_factory=dict)  # config held fixed on top of the preset
    seeds: int = 3
    objectives: dict[str, dict[str, float]] = field(default_factory=dict)  # search: name -> metric weights
    # the report it gets (a name in REPORTS): by default its own name where that is registered; a
    # study of its own may borrow one (report="alpha_sweep"); None: read by the config column it varies
    report: str | None = None
    metric: str = "object_acc"  # the main metric: its best value so far shows while the study runs
    conditions: Callable[[str], dict[str, dict]] | None = None  # preset -> {name: settings that go together}
    labels: tuple[str, ...] = ()  # condition keys that are no config field: columns saying what it means
    references: tuple[str, ...] = REFERENCES  # run beside a grid's trials, per seed (empty: none)
    margins: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MARGINS))  # equivalence margins

    def __post_init__(self):
        if self.report is None and self.name in REPORTS:
            self.report = self.name
        if self.report is not None and self.report not in REPORTS:
            raise ValueError(f"Study {self.name}: report={self.report!r} is not one of {', '.join(REPORTS)}")
        bad = {
            k: v for k, v in self.margins.items() if isinstance(v, bool) or not (isinstance(v, (int, float)) and v > 0)
        }
        if set(self.margins) != set(DEFAULT_MARGINS) or bad:
            raise ValueError(
                f"Study {self.name}: margins={self.margins!r} must give a positive number for exactly "
                f"{' and '.join(map(repr, DEFAULT_MARGINS))}, e.g. margins={DEFAULT_MARGINS!r}"
            )

    def margin(self, metric: str) -> float:
        """The equivalence margin of a metric (see margin_of)."""
        return margin_of(self.margins, metric)

    def is_search(self, preset: str) -> bool:
        """True when the space holds distributions (an Optuna search), False for a grid."""
        return any(not isinstance(v, list) for v in self.space(preset).values())

    def grid(self, preset: str) -> list[dict]:
        """Every combination of a grid space and its conditions (seeds not included)."""
        space = self.space(preset)
        keys = list(space)
        combos = [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]
        conditions = self.conditions(preset) if self.conditions else {}
        if not conditions:
            return combos
        out = []
        for c in combos:
            for name, settings in conditions.items():
                config = {k: v for k, v in settings.items() if k not in self.labels}
                labels = {"labels": {k: settings.get(k) for k in self.labels}} if self.labels else {}
                out.append({**c, "condition": name, **config, **labels})
        return out

    def trials(self, preset: str, references: tuple[str, ...] | None = None) -> list[dict]:
        """Every trial of a grid but its seed, as {"name": condition or None, **settings} (and
        "labels": {label: value} where the study declares labels; `trial_settings` drops both): the
        grid's combinations, then one per reference (or control) and value of the REFERENCE_AXES
        the grid varies. `references` defaults to the study's own."""
        combos = [
            {"name": c.get("condition"), **{k: v for k, v in c.items() if k != "condition"}} for c in self.grid(preset)
        ]
        axes = [k for k in REFERENCE_AXES if len({repr(c.get(k)) for c in combos}) > 1]
        points = []
        for c in combos:
            point = {k: c[k] for k in axes if k in c}
            if point not in points:
                points.append(point)
        kinds = self.references if references is None else references
        return combos + [{"name": kind, "method": kind, **point} for point in points for kind in kinds]

    def own_keys(self, preset: str) -> dict[str, str]:
        """Config keys that every trial takes from the study itself, so that a --set on them would be
        ignored: key -> where the study sets it (its grid, its search space, its conditions, --seeds)."""
        out = {}
        for key, values in self.space(preset).items():
            out[key] = f"its grid: {', '.join(map(_cell, values))}" if isinstance(values, list) else "its search space"
        conditions = self.conditions(preset) if self.conditions else {}
        for settings in conditions.values():
            for key in settings:
                if key not in self.labels:
                    out.setdefault(key, f"its {len(conditions)} conditions")
        if not self.is_search(preset):
            out["seed"] = "one trial per seed, from --seeds"
        return out

    def problems(self, preset: str) -> list[str]:
        """What is wrong with this study's space for a preset (empty when fine)."""
        space = self.space(preset)
        if not space:
            return [f"study {self.name} has an empty space for preset {preset}"]
        kinds = {isinstance(v, list) for v in space.values()}
        if len(kinds) > 1:
            return [f"study {self.name} mixes lists (a grid) and distributions (a search) in its space; use one"]
        if kinds == {True} and any(len(v) == 0 for v in space.values()):
            return [f"study {self.name} has an empty list in its space for preset {preset}"]
        if kinds == {False} and not self.objectives:
            return [f"search study {self.name} names no objectives"]
        unknown = [r for r in self.references if r not in REFERENCES]
        if unknown:
            return [f"study {self.name}: references {', '.join(unknown)} not among {', '.join(REFERENCES)}"]
        fields = set(Config.__dataclass_fields__)
        taken = sorted(set(self.labels) & (fields | {"condition", *CONDITION_KEYS}))
        if taken:
            return [f"study {self.name}: labels {', '.join(taken)} are config keys or a trial's own; rename them"]
        if self.conditions:
            if kinds == {False}:
                return [f"search study {self.name} has conditions; conditions are for grids"]
            conditions = self.conditions(preset)
            both = sorted({k for s in conditions.values() for k in s} & set(space))
            if both:
                return [f"study {self.name} sets {', '.join(both)} in both its space and its conditions; use one"]
            for name, settings in conditions.items():
                unknown = sorted(set(settings) - fields - set(self.labels))
                if unknown:
                    return [
                        f"study {self.name}: condition {name!r} sets {', '.join(unknown)}, neither a config key "
                        f"nor one of its labels; declare it with labels=(...) or fix the key"
                    ]
        elif self.labels:
            return [f"study {self.name} declares labels but has no conditions to set them"]
        return []


def _cell(value) -> str:
    return ">".join(value) if isinstance(value, (list, tuple)) else str(value)


def trial_settings(trial: dict) -> dict:
    """The config settings of one of Study.trials (or of the condition Ray hands a trial): its
    name and labels left out."""
    return {k: v for k, v in trial.items() if k not in CONDITION_KEYS}


def condition_labels(config: dict) -> dict:
    """The labels of a trial's condition ({} for a trial without)."""
    condition = config.get("condition")
    return dict(condition.get("labels") or {}) if isinstance(condition, dict) else {}


def with_condition(config: dict) -> dict:
    """A trial's config as its table row has it: its condition's settings in place, `condition`
    holding the name and each of the condition's labels a key of its own."""
    config = dict(config)
    condition = config.pop("condition", None)
    if isinstance(condition, dict):
        config["condition"] = condition.get("name")
        config.update(trial_settings(condition))
        config.update(condition_labels({"condition": condition}))
    elif condition is not None:
        config["condition"] = condition
    return config


def trial_config(config: dict) -> dict:
    """A trial's config as Config.from_dict takes it: its condition's settings in place, no name
    and no labels."""
    condition = config.get("condition")
    out = {k: v for k, v in config.items() if k != "condition"}
    if isinstance(condition, dict):
        out.update(trial_settings(condition))
    return out


def permutations_sample(ops: list[str], k: int | None, seed: int = 0) -> list[list[str]]:
    """All orderings of ops, or a seeded sample of k of them (always including the given order)."""
    every = [list(p) for p in itertools.permutations(ops)]
    if k is None or k >= len(every):
        return every
    rest = random.Random(seed).sample(every[1:], k - 1)
    return [every[0], *rest]
