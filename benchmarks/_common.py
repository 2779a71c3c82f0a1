"""Shared helpers: timing, peak memory, the printed table and the JSON record."""

from __future__ import annotations

import json
import platform
import resource
import time
from pathlib import Path

import torch

from ciper.device import cpu_model


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, warmup: int = 2, repeats: int = 5) -> float:
    """Median seconds of fn() over repeats, after warm-up."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    return median(times)


def side_by_side(
    fns: dict, device, rounds: int = 9, calls: int = 10, settle: int = 2, warmup: int = 3
) -> dict[str, list[float]]:
    """Seconds per call of each fn, one entry per round: each round runs a block
    of every fn in turn, so the ratio of two fns pairs blocks run moments apart
    (these machines are shared, and their load drifts within a run). A block is
    `settle` untimed calls, then `calls` timed ones: the steady state a loop of
    that fn sees, not the cost of switching caches and allocator from the other."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    sync(device)
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(settle):
                fn()
            sync(device)
            t = time.perf_counter()
            for _ in range(calls):
                fn()
            sync(device)
            times[name].append((time.perf_counter() - t) / calls)
    return times


def median(values) -> float:
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])


def peak_memory(device) -> dict:
    out = {"cpu_max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if torch.device(device).type == "cuda":
        out["gpu_max_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    cpu = cpu_model() or platform.processor() or platform.machine()
    return f"{cpu} CPU x{torch.get_num_threads()} threads, torch {torch.__version__}"


def report(title: str, rows: list[dict], json_path: str | None) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    print(f"\n{title}  [{machine()}]")
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(f"{r[c]:.4g}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols))
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps({"title": title, "machine": machine(), "rows": rows}, indent=2))
