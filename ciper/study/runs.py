"""Compute once: a finished trial is kept by its config and code version, and any study of the
same storage that asks for the same run reads it back instead of training it again.

<storage>/runs/<key>.json    one finished grid trial: its full config (seed included), the
                             version it ran (code and precision), the study and trial it came
                             from, and every report it made (one per epoch, the last with the
                             evaluation)
<storage>/runs/<key>/        its final checkpoint, which the reused trial reports as its own
                             (the structure analysis and the maps read it)

The key is a digest of every config field and the run's version: the code version
(ciper.records.code_version: the commit, and a digest of the uncommitted edits to the code),
and the precision the trial computes in, which `precision=auto` leaves to the device. A run
is only reused for exactly the config and version that computed it, and only where the code
version names a commit (a checkout without git, or one git could not read, reuses nothing).
A file that cannot be read, or whose config or version is not the trial's, or a run without
its checkpoint, is ignored and the trial trains. `--retrain` on a study's command line trains
every trial regardless (to measure run-to-run spread, say). The contents of a `data_dir` are
not in the key: a folder of photographs changed in place is not noticed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ciper.config import Config
from ciper.records import write_json


def run_version(code: str, precision: str) -> str | None:
    """What besides the config decides a run's numbers; None where the code is not a known commit."""
    if code in ("unknown", "") or code.startswith("ciper-"):
        return None
    return f"{code}|{precision}"


def run_key(cfg: Config, version: str) -> str:
    values = {"config": cfg.to_dict(), "code_version": version}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:20]


def finished_run(folder: str | Path, cfg: Config, version: str) -> dict | None:
    """The record of a finished run of exactly cfg at this version, with "checkpoint" (its folder), or None."""
    key = run_key(cfg, version)
    path = Path(folder) / f"{key}.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    ok = (
        isinstance(record, dict)
        and record.get("config") == json.loads(json.dumps(cfg.to_dict()))
        and record.get("code_version") == version
        and isinstance(record.get("reports"), list)
        and record["reports"]
        and all(isinstance(r, dict) for r in record["reports"])
        and (Path(folder) / key).is_dir()
        and any((Path(folder) / key).iterdir())
    )
    if not ok:
        return None
    # JSON has no NaN (ciper.records writes null): a metric the run could not measure is NaN again
    record["reports"] = [{k: math.nan if v is None else v for k, v in r.items()} for r in record["reports"]]
    record["checkpoint"] = str(Path(folder) / key)
    return record


def keep_run(
    folder: str | Path, cfg: Config, version: str, source: str, reports: list[dict], checkpoint: str | Path
) -> bool:
    """Record a finished run for the next study of the storage that asks for it: its checkpoint
    folder first, then the record (each atomically), so a record always has its checkpoint.
    False, with a line on stderr, where it cannot be written: the trial's own result stands."""
    key = run_key(cfg, version)
    record = {"config": cfg.to_dict(), "code_version": version, "source": source, "reports": reports}
    try:
        target = Path(folder) / key
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=target.parent))
        shutil.copytree(checkpoint, staging, dirs_exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        write_json(Path(folder) / f"{key}.json", record)
    except (OSError, TypeError, ValueError) as e:
        print(f"warning: {source} is not kept for reuse in {folder} ({type(e).__name__}: {e})", file=sys.stderr)
        return False
    return True
