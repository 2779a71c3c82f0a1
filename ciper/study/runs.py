"""Compute once: a finished trial is kept by its config and code version, and any study of the
same storage that asks for the same run reads it back instead of training it again.

<storage>/runs/<key>.json    one finished grid trial: its full config (seed included), the code
                             version it ran, the study and trial it came from, and every report
                             it made (one per epoch, the last with the evaluation)

The key is a digest of every config field and the code version (ciper.records.code_version:
the commit, and a digest of the edits for a checkout with uncommitted ones), so a run is only
reused for exactly the config and code that computed it. A file that cannot be read, or whose
config or code version is not the trial's, is ignored and the trial trains. `--retrain` on a
study's command line trains every trial regardless (to measure run-to-run spread, say).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

from ciper.config import Config
from ciper.records import write_json


def run_key(cfg: Config, version: str) -> str:
    values = {"config": cfg.to_dict(), "code_version": version}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:20]


def finished_run(folder: str | Path, cfg: Config, version: str) -> dict | None:
    """The record of a finished run of exactly cfg at this code version, or None."""
    path = Path(folder) / f"{run_key(cfg, version)}.json"
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
    )
    if not ok:
        return None
    # JSON has no NaN (ciper.records writes null): a metric the run could not measure is NaN again
    record["reports"] = [{k: math.nan if v is None else v for k, v in r.items()} for r in record["reports"]]
    return record


def keep_run(folder: str | Path, cfg: Config, version: str, source: str, reports: list[dict]) -> bool:
    """Record a finished run (atomically), for the next study of the storage that asks for it.
    False, with a line on stderr, where it cannot be written: the trial's own result stands."""
    record = {"config": cfg.to_dict(), "code_version": version, "source": source, "reports": reports}
    try:
        write_json(Path(folder) / f"{run_key(cfg, version)}.json", record)
    except (OSError, TypeError, ValueError) as e:
        print(f"warning: {source} is not kept for reuse in {folder} ({type(e).__name__}: {e})", file=sys.stderr)
        return False
    return True
