"""Where tensors live and how they are computed: the device a run uses, the precision its
training step runs in, the images' memory layout, and moving small CPU tensors to the device
in one copy."""

from __future__ import annotations

import contextlib
import functools
import os
import platform
from pathlib import Path

import torch

from ciper.config import Config


def pick_device(name: str) -> torch.device:
    """`auto` is CUDA when it is there, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@functools.cache
def _cpuinfo(field: str) -> str:
    """The first `field` line's value in /proc/cpuinfo; "" where there is none (not Linux)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return ""
    line = next((ln for ln in lines if ln.partition(":")[0].strip() == field), "")
    return line.partition(":")[2].strip()


def cpu_flags() -> frozenset[str]:
    """The CPU's instruction-set flags (empty off Linux: no native bf16 is assumed there)."""
    return frozenset(_cpuinfo("flags").split())


def cpu_model() -> str:
    """The CPU's model name, e.g. for a benchmark's record ("" where it is unknown)."""
    return _cpuinfo("model name")


def machine() -> str:
    """This machine in one line, for a record of where a result was measured."""
    gpu = f"GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "no GPU"
    cpu = cpu_model() or platform.processor() or platform.machine()
    flags = cpu_flags()
    simd = [name for flag, name in (("avx512_bf16", "AVX-512 BF16"), ("amx_bf16", "AMX")) if flag in flags]
    simd = simd or (["AVX2"] if "avx2" in flags else [])  # what decides the bf16 kernels a CPU runs
    cpu += f" ({', '.join(simd)})" if simd else ""
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, Python {platform.python_version()}, {gpu}"


def native_bf16(device: torch.device) -> bool:
    """Whether `device` computes bf16 in hardware: a CUDA GPU that supports it, or a CPU
    with AVX-512 BF16 or AMX. Elsewhere bf16 is emulated, and slower than fp32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def resolve_precision(precision: str, device: torch.device) -> str:
    """The precision a training step runs in: `auto` is bf16 where `device` computes it
    natively (faster than fp32 there, slower where it is emulated: benchmarks/precision.py),
    else fp32; `fp32` and `bf16` are taken as they are."""
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def autocast(precision: str, device: torch.device):
    """The context a training step's forward runs in: bf16 autocast (matmuls and convolutions
    in bf16, reductions and losses in fp32), or nothing for fp32."""
    if resolve_precision(precision, device) == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def to_device(tensors: list[torch.Tensor], device: torch.device | str) -> list[torch.Tensor]:
    """Small CPU tensors (indices, sampled parameters) to `device` in one copy.

    On CUDA the copy goes through pinned memory and does not block: a plain
    `.to("cuda")` of pageable memory makes the host wait for the GPU's queue to
    drain, so the next step could not be queued while this one computes.
    Values travel as float64, exact for every integer below 2**53; the same
    packing runs on every device, so the CPU tests exercise it.
    """
    device = torch.device(device)
    if not tensors:
        return []
    flat = torch.cat([t.reshape(-1).to(torch.float64) for t in tensors])
    if device.type == "cuda":
        flat = flat.pin_memory().to(device, non_blocking=True)
    else:
        flat = flat.to(device)
    pieces = flat.split([t.numel() for t in tensors])
    return [piece.view(t.shape).to(t.dtype) for piece, t in zip(pieces, tensors)]


def memory_format(cfg: Config) -> torch.memory_format:
    """The encoder's image layout. channels_last measured fastest on the CPU as on the GPU
    (benchmarks/layout.py), so `auto` is channels_last; `contiguous` stays selectable for
    machines where it is not."""
    return torch.contiguous_format if cfg.memory_format == "contiguous" else torch.channels_last


def fast_kernels(device: torch.device) -> dict:
    """Optimiser options: one fused kernel per step on the GPU; multi-tensor ops
    (not a Python loop over parameters) on the CPU."""
    return {"fused": True} if device.type == "cuda" else {"foreach": True}


def graph_captured(fn, device: torch.device):
    """fn captured in CUDA graphs on a GPU (torch.compile mode="reduce-overhead": after a few
    warm-up calls each step replays its kernels in one launch, which small models need:
    their steps wait on kernel launches, not on the GPU). On the CPU fn is returned as it
    is: there is no launch overhead to save, and CPU results stay bit-identical."""
    if device.type != "cuda":
        return fn
    return torch.compile(fn, mode="reduce-overhead")
