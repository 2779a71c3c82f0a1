"""How many trials share a GPU (`--gpus-per-trial auto`), and how busy the GPUs were.

Small models leave a GPU mostly idle, so several trials on one GPU finish a
study sooner than one at a time (benchmarks/share.py measures it). `auto` packs as many
trials per GPU as fit its memory, up to a cap per encoder (a ResNet18 at batch
512 keeps a GPU busy by itself), and no more than the CPUs allow (one per trial).
"""

from __future__ import annotations

import threading

from ciper.config import Config

MAX_TRIALS_PER_GPU = {"small_cnn": 8, "resnet18": 2}
CONTEXT_BYTES = 600 * 2**20  # a CUDA context and the allocator's slack, per process
ACTIVATION_BYTES_PER_PIXEL = {"small_cnn": 4 * 60, "resnet18": 4 * 1200}  # forward + backward, per input pixel


def trial_gpu_bytes(cfg: Config) -> int:
    """A rough upper bound of one trial's GPU memory: images, activations of 2B views, context."""
    images = cfg.world_objects * cfg.world_sessions * cfg.world_frames * 3 * cfg.image_size**2
    pixels = 2 * cfg.batch_size * cfg.image_size**2
    activations = pixels * ACTIVATION_BYTES_PER_PIXEL.get(cfg.encoder, 4 * 1200) * max(1.0, cfg.width)
    return int(images + activations + CONTEXT_BYTES)


def trials_per_gpu(cfg: Config, gpu_bytes: int, cpus: float, gpus: int) -> int:
    by_memory = int(0.8 * gpu_bytes // trial_gpu_bytes(cfg))
    by_cpus = int(cpus // max(1, gpus))
    return max(1, min(by_memory, by_cpus, MAX_TRIALS_PER_GPU.get(cfg.encoder, 1)))


def auto_gpu_share(cfg: Config, gpus: int, gpu_bytes: int, cpus: float) -> float:
    """The GPU fraction per trial for `--gpus-per-trial auto`: 0 without GPUs."""
    if gpus <= 0:
        return 0.0
    return 1.0 / trials_per_gpu(cfg, gpu_bytes, cpus, gpus)


def local_gpus() -> tuple[int, int]:
    """(number of CUDA GPUs here, memory of the first in bytes)."""
    import torch

    if not torch.cuda.is_available():
        return 0, 0
    return torch.cuda.device_count(), torch.cuda.get_device_properties(0).total_memory


class GpuSampler:
    """Samples the local GPUs' utilisation (NVML, from nvidia-ml-py) every `period` seconds in
    a thread; `summary()` gives mean and peak per GPU, or why there is none."""

    def __init__(self, period: float = 1.0):
        self.period, self.samples, self.note = period, [], None
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except ImportError:
            self.note = "nvidia-ml-py is not installed (pip install nvidia-ml-py)"
        except Exception as e:  # no driver, no GPU: NVML cannot start
            self.note = f"no GPU to sample ({type(e).__name__})"
        else:
            if not self._handles:
                self.note = "no GPU to sample"
            else:
                self._thread = threading.Thread(target=self._run, args=(pynvml,), daemon=True)
                self._thread.start()
        return self

    def _run(self, pynvml):
        while not self._stop.wait(self.period):
            try:
                self.samples.append([pynvml.nvmlDeviceGetUtilizationRates(h).gpu for h in self._handles])
            except Exception as e:
                self.note = f"sampling stopped ({type(e).__name__})"
                return

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def summary(self) -> dict:
        if not self.samples:
            return {"gpu_utilisation": None, "gpu_utilisation_note": self.note or "no samples (a run under a second)"}
        per_gpu = list(zip(*self.samples))
        return {
            "gpu_utilisation": {
                "mean_percent": [sum(s) / len(s) for s in per_gpu],
                "peak_percent": [max(s) for s in per_gpu],
                "samples": len(self.samples),
                "period_s": self.period,
            },
            "gpu_utilisation_note": "local GPUs of the driver's machine, sampled with NVML while the study ran",
        }
