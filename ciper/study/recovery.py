"""Going on after a fault: which checkpoint a trial resumes from, and mending Ray's snapshot.

A killed worker or driver can leave a checkpoint folder without a readable file,
or an experiment snapshot that names a checkpoint Ray has since deleted. Both
are repaired here so that every trial goes on (or starts over) instead of failing.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ciper import checkpoint


def checkpoint_folders(fs, ckpt_path: str) -> list[str]:
    """The checkpoint_* folders beside ckpt_path in a trial's folder, oldest first."""
    import pyarrow.fs

    try:
        infos = fs.get_file_info(pyarrow.fs.FileSelector(os.path.dirname(ckpt_path.rstrip("/"))))
    except OSError:
        return []
    return sorted(
        i.path.rstrip("/")
        for i in infos
        if i.type == pyarrow.fs.FileType.Directory and i.base_name.startswith("checkpoint_")
    )


def restore_checkpoint(ckpt, workdir: Path) -> int:
    """Copy a trial's checkpoint (a ray.tune.Checkpoint or None) into workdir; return its
    epoch (0: start over).

    The checkpoint Ray hands back can be a folder without a readable file (a worker
    killed while Ray copied it); the trial then goes on from its newest readable
    checkpoint, or starts over. It never fails the trial.
    """
    from ray import tune

    if ckpt is None:
        return 0
    target = workdir / checkpoint.FILE_NAME
    others = [p for p in reversed(checkpoint_folders(ckpt.filesystem, ckpt.path)) if p != ckpt.path.rstrip("/")]
    for path in [ckpt.path, *others]:
        try:
            with tune.Checkpoint(path, filesystem=ckpt.filesystem).as_directory() as d:
                shutil.copy(Path(d) / checkpoint.FILE_NAME, target)
            epoch = int(checkpoint.load(target)["epoch"])
        except (OSError, checkpoint.CheckpointError, KeyError, TypeError, ValueError) as e:
            print(f"warning: checkpoint {path} cannot be used ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        if path != ckpt.path:
            print(f"warning: went on from {path} instead of {ckpt.path}", file=sys.stderr)
        return epoch
    target.unlink(missing_ok=True)
    print("warning: no usable checkpoint; trial restarts from epoch 0", file=sys.stderr)
    return 0


def mend_missing_checkpoints(exp_path: str) -> None:
    """Give every unfinished trial the checkpoint folder Ray's snapshot names.

    The snapshot lags Ray's checkpoints: if the driver died after Ray deleted an old
    checkpoint (`num_to_keep`) but before it saved a snapshot naming the new one, Ray
    refuses to restore that trial and it fails for good. Put the trial's newest
    surviving checkpoint at the named path (an empty folder if it has none: the trial
    then starts over) so that every trial goes on.
    """
    import logging

    import pyarrow.fs
    from ray import tune

    quiet = logging.getLogger("ray.tune.analysis.experiment_analysis")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # pending trials have no results yet: not news
    try:
        trials = tune.ExperimentAnalysis(exp_path).trials
    finally:
        quiet.setLevel(level)
    for trial in trials:
        ckpt = trial.checkpoint
        if trial.status == "TERMINATED" or ckpt is None:
            continue
        fs, path = ckpt.filesystem, ckpt.path.rstrip("/")
        if fs.get_file_info(path).type != pyarrow.fs.FileType.NotFound:
            continue
        siblings = checkpoint_folders(fs, path)
        fs.create_dir(path)
        if siblings:
            pyarrow.fs.copy_files(siblings[-1], path, source_filesystem=fs, destination_filesystem=fs)
        print(
            f"warning: trial {trial.trial_id}: Ray's snapshot names {path}, which is gone; "
            f"{'going on from ' + siblings[-1] if siblings else 'it starts over'}",
            file=sys.stderr,
        )


def history_from_checkpoint(result) -> list[dict]:
    """The per-epoch training metrics inside a finished trial's last checkpoint ([] if unreadable)."""
    if result.checkpoint is None:
        return []
    try:
        with result.checkpoint.as_directory() as d:
            return checkpoint.load(Path(d) / checkpoint.FILE_NAME).get("history", [])
    except (OSError, checkpoint.CheckpointError):
        return []
