"""Where tensors live: the device a run uses, and moving small CPU tensors there in one copy."""

from __future__ import annotations

import torch


def pick_device(name: str) -> torch.device:
    """`auto` is CUDA when it is there, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


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
