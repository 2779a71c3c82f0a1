"""The training step's precision: `auto` follows the hardware, the choice is recorded, and a
bf16 run is as deterministic as an fp32 one."""

from pathlib import Path

import torch

from ciper.config import preset
from ciper.device import native_bf16, resolve_precision
from ciper.reference import training_key
from ciper.train import train

CPU = torch.device("cpu")


def _flags() -> set[str]:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return set()
    return set(next((ln for ln in lines if ln.startswith("flags")), "").partition(":")[2].split())


def test_auto_is_bf16_exactly_where_the_cpu_computes_it_natively():
    native = bool({"avx512_bf16", "amx_bf16"} & _flags())
    assert native_bf16(CPU) is native
    assert resolve_precision("auto", CPU) == ("bf16" if native else "fp32")
    assert resolve_precision("fp32", CPU) == "fp32" and resolve_precision("bf16", CPU) == "bf16"


def test_bf16_training_is_deterministic_recorded_and_differs_from_fp32():
    cfg = preset("smoke", epochs=1, max_train_images=256, device="cpu")
    a, b = train(cfg.replace(precision="bf16")), train(cfg.replace(precision="bf16"))
    fp32 = train(cfg.replace(precision="fp32"))
    assert a.history[-1]["precision"] == "bf16" and fp32.history[-1]["precision"] == "fp32"
    assert a.history[-1]["loss"] == b.history[-1]["loss"]
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        assert torch.equal(x, y)
    assert a.history[-1]["loss"] != fp32.history[-1]["loss"]  # autocast really ran in bf16
    assert all(p.dtype == torch.float32 for p in a.model.parameters())  # weights stay fp32


def test_the_supervised_reference_is_keyed_by_its_precision():
    cfg = preset("smoke")
    assert training_key(cfg.replace(precision="fp32")) != training_key(cfg.replace(precision="bf16"))
