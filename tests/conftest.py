import os
import tempfile

import pytest

from ciper.study.runner import ray_environment

ray_environment()
os.environ.setdefault("RAY_DEDUP_LOGS", "0")
# worlds the tests generate are cached in a folder of this run (Ray's workers inherit it),
# never in the user's cache, and never read from an earlier run
os.environ.setdefault("CIPER_CACHE_DIR", tempfile.mkdtemp(prefix="ciper-test-cache-"))
# experiment trackers stay on this machine: wandb writes offline run files, nothing is uploaded
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")


def pytest_collection_modifyitems(config, items):
    """Tests marked gpu are skipped, with the reason, on a machine without a CUDA GPU."""
    import torch

    if torch.cuda.is_available():
        return
    no_gpu = pytest.mark.skip(reason="needs a CUDA GPU; none here")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(no_gpu)
