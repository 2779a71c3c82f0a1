"""GPU packing (`--gpus-per-trial auto`), GPU sampling, and the CUDA-graph step."""

import pytest
import torch

from ciper.config import preset
from ciper.device import graph_captured
from ciper.study import Study
from ciper.study.cli import parse_args
from ciper.study.packing import GpuSampler, auto_gpu_share, trial_gpu_bytes, trials_per_gpu

GIB = 2**30
STUDY = Study(name="s", question="q", space=lambda p: {"alpha": [0.0]}, references=())


def test_auto_packs_small_trials_and_keeps_large_ones_apart():
    small, large = preset("cpu"), preset("gpu")
    assert trial_gpu_bytes(small) < trial_gpu_bytes(large)
    assert trials_per_gpu(small, 80 * GIB, cpus=16, gpus=1) == 8  # the small CNN: capped at 8 per GPU
    assert trials_per_gpu(large, 80 * GIB, cpus=16, gpus=1) == 2  # ResNet18: at most 2
    assert trials_per_gpu(small, 80 * GIB, cpus=4, gpus=1) == 4  # one CPU per trial
    assert trials_per_gpu(small, 80 * GIB, cpus=16, gpus=4) == 4  # CPUs shared by 4 GPUs
    huge = preset("gpu", batch_size=65536)
    assert trials_per_gpu(huge, 16 * GIB, cpus=16, gpus=1) == 1  # never below one trial
    assert auto_gpu_share(small, 1, 80 * GIB, 16) == 1 / 8
    assert auto_gpu_share(small, 0, 0, 16) == 0.0


def test_gpus_per_trial_auto_on_a_machine_without_a_gpu(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert parse_args(STUDY, ["--gpus-per-trial", "auto"]).gpus_per_trial == 0.0
    assert "no CUDA GPU here" in capsys.readouterr().out
    assert parse_args(STUDY, ["--gpus-per-trial", "0.25"]).gpus_per_trial == 0.25
    with pytest.raises(SystemExit) as e:
        parse_args(STUDY, ["--gpus-per-trial", "lots"])
    assert e.value.code == 2 and "'lots' is not a number or auto" in capsys.readouterr().err


def test_gpu_sampler_says_why_it_has_no_samples():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with GpuSampler(period=0.01) as sampler:
        pass
    summary = sampler.summary()
    assert summary["gpu_utilisation"] is None and summary["gpu_utilisation_note"]


def test_cuda_graphs_are_left_out_on_the_cpu():
    """On the CPU the step runs as it is: nothing is compiled, so CPU results stay bit-identical."""
    step = lambda x: x
    assert graph_captured(step, torch.device("cpu")) is step


@pytest.mark.gpu
@pytest.mark.slow
def test_cuda_graphs_train_as_the_plain_step_does_on_a_gpu():
    """Replayed graphs reuse their buffers: a step that read a stale input or returned a stale
    loss would train differently from the plain step."""
    from ciper.train import train

    cfg = preset("smoke", epochs=2, max_train_images=256, device="cuda", precision="fp32")
    plain = train(cfg)
    graphs = train(cfg.replace(cuda_graphs=True))
    losses = lambda run: [h["loss"] for h in run.history]
    assert losses(plain)[-1] < losses(plain)[0]  # it learns
    assert losses(graphs) == pytest.approx(losses(plain), rel=1e-2)
    assert all(torch.isfinite(p).all() for p in graphs.model.parameters())
