"""Going on after a fault: whether a study folder can be resumed, which checkpoint a trial resumes
from, and mending Ray's snapshot.

A study killed at any moment leaves one of these in its Ray folder: nothing; Ray's
tuner file but no experiment snapshot yet (Ray writes the first one once trials are
queued); or a snapshot, with trial folders beside it. `resume_state` tells them
apart, so that a rerun resumes, or starts over where no trial was recorded yet. A
killed worker or driver can also leave a checkpoint folder without a readable file,
or a snapshot that names a checkpoint Ray has since deleted. Both are repaired here
so that every trial goes on (or starts over) instead of failing.
"""

from __future__ import annotations

import fnmatch
import json
import os
import pickletools
import shutil
import sys
from pathlib import Path

from ciper import checkpoint

TUNER_FILE = "tuner.pkl"  # Ray Tune's tuner: the experiment's trainable, space and settings
SNAPSHOT_FILES = "experiment_state-*.json"  # Ray Tune's experiment snapshots, one per session


class UnusableStudy(Exception):
    """A study folder that cannot be resumed; the message names it and the way out."""


def resume_state(exp_path: str) -> str:
    """What a rerun can do with a study's Ray folder (a path or a URI).

    'new': nothing there. 'restart': Ray started, but recorded no trial (no snapshot
    yet, and no trial folder holds a result or a checkpoint): start over. 'resume': the
    newest snapshot and the tuner file are whole. 'rebuild': resume, but the tuner file
    is missing or cut off: write it anew from the command first. Raises UnusableStudy
    when trial folders hold results but no snapshot can say which trials they are.
    """
    import pyarrow.fs

    try:
        fs, root = pyarrow.fs.FileSystem.from_uri(exp_path)
    except (ValueError, NotImplementedError):  # a URI scheme only Ray's fsspec fallback opens
        from ray import tune

        try:
            return "resume" if tune.Tuner.can_restore(exp_path) else "new"
        except (ValueError, NotImplementedError, ImportError) as e:
            raise UnusableStudy(f"cannot open {exp_path} ({e}); give --storage a folder or a URI Ray can open") from e
    try:
        entries = fs.get_file_info(pyarrow.fs.FileSelector(root))
    except (FileNotFoundError, NotADirectoryError):
        return "new"
    files = {e.base_name: e.path for e in entries if e.type == pyarrow.fs.FileType.File}
    snapshots = sorted(fnmatch.filter(files, SNAPSHOT_FILES))
    newest = snapshots[-1] if snapshots else None
    if newest is not None and _is_snapshot(_read(fs, files[newest])):
        return "resume" if _is_whole_pickle(_read(fs, files.get(TUNER_FILE))) else "rebuild"
    recorded = [e.base_name for e in entries if e.type == pyarrow.fs.FileType.Directory and _has_results(fs, e.path)]
    if recorded:
        why = f"its snapshot {newest} is cut off" if newest else f"it has no {SNAPSHOT_FILES}"
        raise UnusableStudy(
            f"{exp_path} cannot be resumed: {len(recorded)} trial folder(s) hold results, but {why}, the file that "
            f"says which trials they are; rerun with --fresh to start this study over (it deletes them)"
        )
    return "restart" if entries else "new"


def _read(fs, path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        with fs.open_input_stream(path) as f:
            return f.readall()
    except OSError:
        return None


def _is_snapshot(data: bytes | None) -> bool:
    try:
        return data is not None and "trial_data" in json.loads(data)
    except (ValueError, TypeError):
        return False


def _is_whole_pickle(data: bytes | None) -> bool:
    """True when data is a complete pickle (read opcode by opcode: nothing is unpickled)."""
    if not data:
        return False
    try:
        for _ in pickletools.genops(data):
            pass
    except (ValueError, EOFError):
        return False
    return True


def _has_results(fs, trial_dir: str) -> bool:
    """A trial folder with a result record or a checkpoint in it."""
    import pyarrow.fs

    try:
        entries = fs.get_file_info(pyarrow.fs.FileSelector(trial_dir))
    except OSError:
        return False
    return any((e.base_name == "result.json" and e.size) or e.base_name.startswith("checkpoint_") for e in entries)


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
    """Copy a trial's furthest readable checkpoint into workdir; return its epoch (0: start over).

    `ckpt` is the checkpoint Ray hands back (a ray.tune.Checkpoint, or None when its snapshot
    names none: the trial starts over). Ray's snapshot lags the trial's folder by up to a
    second, so the folder can hold a checkpoint further on than the one it names (the trial
    trained on, or even finished, before the kill); the one it names can also be a folder
    without a readable file (a worker killed while Ray copied it). The trial goes on from the
    checkpoint of the latest epoch among all readable ones in its folder: no epoch that
    reached a checkpoint is trained again. It never fails the trial.
    """
    from ray import tune

    if ckpt is None:
        return 0
    named = ckpt.path.rstrip("/")
    target, candidate = workdir / checkpoint.FILE_NAME, workdir / f"candidate-{checkpoint.FILE_NAME}"
    best, best_epoch = None, 0
    for path in sorted({named, *checkpoint_folders(ckpt.filesystem, named)}):
        try:
            with tune.Checkpoint(path, filesystem=ckpt.filesystem).as_directory() as d:
                shutil.copy(Path(d) / checkpoint.FILE_NAME, candidate)
            epoch = int(checkpoint.load(candidate)["epoch"])
        except FileNotFoundError:
            continue  # a folder whose file never arrived (or an empty stand-in): nothing to read
        except (OSError, checkpoint.CheckpointError, KeyError, TypeError, ValueError) as e:
            print(f"warning: checkpoint {path} cannot be used ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        if best is None or epoch > best_epoch:
            best, best_epoch = path, epoch
            os.replace(candidate, target)
    candidate.unlink(missing_ok=True)
    if best is None:
        target.unlink(missing_ok=True)
        print("warning: no usable checkpoint; trial restarts from epoch 0", file=sys.stderr)
        return 0
    if best != named:
        print(f"warning: went on from {best} (epoch {best_epoch}) instead of {named}", file=sys.stderr)
    return best_epoch


def mend_missing_checkpoints(exp_path: str) -> None:
    """Make every checkpoint folder that Ray's snapshot tracks for an unfinished trial exist.

    The snapshot lags Ray's checkpoints: if the driver died after Ray deleted an old
    checkpoint (`num_to_keep`) but before it saved a snapshot without it, Ray refuses to
    restore a trial whose named checkpoint is gone (it fails for good), and fails to delete
    the others when it rotates them again. An empty folder stands in for each: Ray deletes
    it in turn, and a trial handed one goes on from its furthest readable checkpoint
    (restore_checkpoint), or starts over if it has none.
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
        if trial.status == "TERMINATED" or trial.checkpoint is None:
            continue
        # the checkpoints Ray keeps (num_to_keep) are in its manager's list (Ray 2.60's bookkeeping)
        kept = getattr(trial.run_metadata.checkpoint_manager, "_checkpoint_results", [])
        for ckpt in [*(r.checkpoint for r in kept), trial.checkpoint]:
            fs, path = ckpt.filesystem, ckpt.path.rstrip("/")
            if fs.get_file_info(path).type != pyarrow.fs.FileType.NotFound:
                continue
            fs.create_dir(path)
            if ckpt is trial.checkpoint:
                print(
                    f"warning: trial {trial.trial_id}: Ray's snapshot names {path}, which is gone; "
                    f"it goes on from its furthest readable checkpoint",
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
