"""Config's field groups: every field has one, and the keys derived from them hold what they must.

The reference cache keys a supervised encoder by every field outside the "objective",
"execution" and "evaluation" groups, so a field in those groups that changed supervised
training would reuse a stale encoder: the test here trains one for each such field changed
and finds the same weights.
"""

import dataclasses
import inspect

import pytest
import torch

from ciper import flatworld, world
from ciper.config import GROUPS, JITTER_OPS, Config, ConfigError, fields_in, preset
from ciper.datasets import FOLDER_FIELDS, _world_params
from ciper.reference import EVALUATION, NOT_MEASURED, metrics_key, train_supervised, training_key


def test_every_config_field_belongs_to_a_known_group():
    for f in dataclasses.fields(Config):
        assert f.metadata.get("group") in GROUPS, f"Config.{f.name} has no group of {', '.join(GROUPS)}"
    assert sorted(fields_in(*GROUPS)) == sorted(f.name for f in dataclasses.fields(Config))


def test_fields_in_refuses_an_unknown_group():
    with pytest.raises(ValueError, match="no config group optimiser"):
        fields_in("optimiser")


def test_the_world_parameters_are_what_the_world_generators_take():
    params = _world_params(Config(world_objects=7, image_size=24))
    for generate in (world.generate_world, flatworld.generate_world):
        taken = set(inspect.signature(generate).parameters) - {"device"}  # where to draw: not a world's content
        assert set(params) == taken
    assert params["objects"] == 7 and params["size"] == 24


def test_folder_cache_fields_are_the_data_fields_a_folder_reads():
    assert set(FOLDER_FIELDS) == {"dataset", "image_size", "pose_columns", "file_pattern", "max_objects"}
    assert set(FOLDER_FIELDS) <= set(fields_in("data"))


def test_reference_keys_leave_out_exactly_the_objective_execution_and_evaluation_groups():
    for f in dataclasses.fields(Config):
        cfg = preset("smoke", **FOLDER_BASES.get(f.name, {}))
        changed = cfg.replace(**{f.name: _other_value(cfg, f.name)})
        in_metrics = metrics_key(changed) != metrics_key(cfg)
        in_training = training_key(changed) != training_key(cfg)
        assert in_metrics == (f.name not in NOT_MEASURED), f.name
        assert in_training == (f.name not in NOT_MEASURED + EVALUATION), f.name


# fields a built-in world may not set: their keys are checked on a folder dataset
FOLDER_BASES = {
    "pose_columns": dict(dataset="folder", data_dir="/data"),
    "file_pattern": dict(dataset="coil100", data_dir="/data"),
    "max_objects": dict(dataset="coil100", data_dir="/data"),
}

# a valid value other than the smoke preset's for each field the supervised encoder's key
# leaves out: a field that joins those groups needs one here
LEFT_OUT = {
    "method": "object_supervised",
    "pairs": "synthetic",
    "time_pair_target": "frame_gap",
    "head_mode": "contrastive",
    "head_input": "concat",
    "alpha": 0.25,
    "temperature": 0.5,
    "device": "cpu",
    "threads": 1,
    "memory_format": "contiguous",
    "compile": True,
    "cuda_graphs": True,
    "eval_images": 7,
    "knn_k": 2,
    "probe_steps": 50,
}


def _tiny():
    """fp32: under bf16 autocast a memory layout moves the weights by more than reassociation."""
    return preset(
        "smoke",
        world_frames=8,
        image_size=8,
        width=0.25,
        epochs=1,
        batch_size=8,
        max_train_images=16,
        time_window=2,
        seed=3,
        precision="fp32",
    )


def test_a_field_that_changes_supervised_training_is_in_the_training_key():
    """Train the supervised encoder with every field its key leaves out changed: the weights
    must not move, beyond the last bits for the execution fields (and lr, which the key holds,
    does move them). On a change, each field alone names the one to regroup."""
    assert set(LEFT_OUT) == set(NOT_MEASURED + EVALUATION), "give each left-out field a value in LEFT_OUT"
    base = _tiny()
    threads = torch.get_num_threads()
    try:
        reference = train_supervised(base, "object")
        moved = train_supervised(base.replace(lr=base.lr * 4), "object")
        assert not _same(reference, moved, exact=True), "lr must change the weights"
        for exact, names in ((True, NOT_MEASURED + EVALUATION), (False, fields_in("execution"))):
            names = [n for n in names if exact != (n in fields_in("execution"))]
            if _same(reference, train_supervised(base.replace(**{n: LEFT_OUT[n] for n in names}), "object"), exact):
                continue
            for name in names:
                weights = train_supervised(base.replace(**{name: LEFT_OUT[name]}), "object")
                assert _same(reference, weights, exact), f"{name}={LEFT_OUT[name]!r} changes the supervised encoder"
            raise AssertionError(f"{', '.join(names)} together change the supervised encoder")
    finally:
        torch.set_num_threads(threads)


def _same(a: dict, b: dict, exact: bool) -> bool:
    """The same weights (exact), or the same up to reassociated float arithmetic."""
    if exact:
        return all(torch.equal(a[k], b[k]) for k in a)
    return all(torch.allclose(a[k].float(), b[k].float(), atol=1e-3) for k in a)


def _other_value(cfg: Config, name: str):
    """A valid value of `name` other than cfg's."""
    f = next(f for f in dataclasses.fields(Config) if f.name == name)
    value = getattr(cfg, name)
    candidates = {
        "dataset": ["flatworld"],
        "data_dir": ["/tmp/data"],
        "pose_columns": [["a"]],
        "file_pattern": ["x"],
        "max_objects": [3],
        "aug_order": [["jitter"]],
        "jitter_order": [list(reversed(JITTER_OPS))],
    }.get(name)
    if candidates is None and "choices" in f.metadata:
        candidates = [c for c in f.metadata["choices"] if c != value]
    if candidates is None:
        candidates = [not value] if isinstance(value, bool) else [value + 2, value * 0.5, value + 1]
    for candidate in candidates:
        try:
            cfg.replace(**{name: candidate})
            return candidate
        except ConfigError:
            continue
    raise AssertionError(f"no valid other value for {name}")
