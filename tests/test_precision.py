"""The training step's precision: `auto` follows the hardware, the choice is recorded, and a
bf16 run is as deterministic as an fp32 one."""

import pytest
import torch

from ciper.config import preset
from ciper.device import autocast, native_bf16, resolve_precision
from ciper.reference import training_key
from ciper.train import train

CPU = torch.device("cpu")
DTYPE = {"fp32": torch.float32, "bf16": torch.bfloat16}


CUDA = pytest.param(torch.device("cuda"), marks=pytest.mark.gpu, id="cuda")


@pytest.mark.parametrize("device", [pytest.param(CPU, id="cpu"), CUDA])
def test_auto_follows_the_hardware_and_the_step_computes_in_what_was_resolved(device):
    auto = resolve_precision("auto", device)
    assert auto == ("bf16" if native_bf16(device) else "fp32")
    assert resolve_precision("fp32", device) == "fp32" and resolve_precision("bf16", device) == "bf16"
    for precision in ("fp32", "bf16", "auto"):
        with autocast(precision, device):  # what a training step's forward computes in
            out = torch.nn.functional.linear(torch.ones(2, 8, device=device), torch.ones(4, 8, device=device))
        assert out.dtype == DTYPE[resolve_precision(precision, device)], precision
    if device.type == "cpu" and native_bf16(device):  # native bf16 comes only with AVX-512 (or AMX) CPUs
        assert torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def test_a_device_that_is_neither_cpu_nor_cuda_never_computes_bf16_natively():
    meta = torch.device("meta")
    assert not native_bf16(meta) and resolve_precision("auto", meta) == "fp32"


@pytest.mark.slow  # bf16 is emulated, and slow, on most CPUs
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


def test_the_machine_line_names_the_bf16_instructions_the_cpu_has():
    from ciper.device import cpu_flags, machine

    line, flags = machine(), cpu_flags()
    assert ("AVX-512 BF16" in line) == ("avx512_bf16" in flags) and ("AMX" in line) == ("amx_bf16" in flags)
    assert "cores, torch" in line
