"""What a running study prints: a line per finished trial, and one live status line.

The status line says how many trials are done, running and pending (and, in a
search, how many ASHA stopped early), the time left (from the durations of the
finished trials and how many run at once) and the best value so far of the
study's main metric. On a terminal it updates in place; in a log (not a
terminal) it is appended to each finished trial's line instead, so logs stay
one line per trial.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

from ray.tune import Callback

from ciper.probes import METRICS
from ciper.study.spec import REFERENCE_AXES, with_condition
from ciper.study.tables import plain


def label(config: dict, keys: list[str]) -> str:
    """The values that tell a trial apart, e.g. 'alpha=0.3 seed=1'; for a reference, only those
    it follows (REFERENCE_AXES), not the objective's (an untrained encoder has no alpha)."""
    config = with_condition(config)
    if config.get("method", "ciper") != "ciper":
        keys = [k for k in keys if k in REFERENCE_AXES or k in ("condition", "seed")]
    return " ".join(f"{k}={plain(config[k])}" for k in keys if k in config)


@dataclass
class Status:
    """Counts of a study's trials and what the finished ones tell about the rest."""

    done: int = 0
    running: int = 0
    pending: int = 0
    failed: int = 0
    stopped_early: int = 0
    mean_trial_s: float = math.nan
    best: float = math.nan
    metric: str = "object_acc"
    slots: int = 0  # trials that run at once (the most seen running); 0: as many as run now

    @property
    def eta_s(self) -> float:
        """Seconds left: the trials not yet done, over the slots running at once."""
        left = self.pending + self.running * 0.5
        return left * self.mean_trial_s / max(1, self.slots, self.running) if left else 0.0

    def line(self) -> str:
        parts = [f"{self.done} done", f"{self.running} running", f"{self.pending} pending"]
        if self.stopped_early:
            parts.append(f"{self.stopped_early} stopped early (ASHA)")
        if self.failed:
            parts.append(f"{self.failed} failed")
        eta = self.eta_s
        parts.append("ETA ?" if math.isnan(eta) else f"ETA {eta / 60:.1f} min")
        parts.append(f"best {self.metric} " + ("?" if math.isnan(self.best) else f"{self.best:.3f}"))
        return ", ".join(parts)


def status_of(trials, metric: str, ended: dict | None = None, slots: int = 0) -> Status:
    """A Status from Ray's trial objects (status, last_result). `ended` (trial_id -> True) names
    trials the callbacks saw end: Ray sets their status only after the callbacks ran."""
    s = Status(metric=metric, slots=slots)
    durations, values = [], []
    ended = ended or {}
    for t in trials:
        r = t.last_result or {}
        if t.status == "TERMINATED" or getattr(t, "trial_id", None) in ended:
            if r.get("finished"):
                s.done += 1
                durations.append(r.get("time_total_s", math.nan))
            elif r.get("failure"):
                s.failed += 1
            else:
                s.stopped_early += 1
        elif t.status == "ERROR":
            s.failed += 1
        elif t.status == "RUNNING":
            s.running += 1
        else:
            s.pending += 1
        value = r.get(metric)
        if isinstance(value, (int, float)) and math.isfinite(value):
            values.append(value)
    finite = [d for d in durations if isinstance(d, (int, float)) and math.isfinite(d)]
    s.mean_trial_s = sum(finite) / len(finite) if finite else math.nan
    s.best = max(values) if values else math.nan
    return s


class StudyProgress(Callback):
    """`[study] N/M done  <varied values>  <metrics>` per finished trial, plus the live status."""

    def __init__(self, name: str, keys: list[str], metric: str, refresh_s: float = 1.0):
        self.name, self.keys, self.metric = name, keys, metric
        self.refresh_s, self.last_draw = refresh_s, 0.0
        self.ended: dict[str, bool] = {}
        self.slots = 0  # the most trials seen running at once

    @property
    def stream(self):
        return sys.stdout  # looked up when used: Ray pickles its callbacks with the experiment

    @property
    def live(self) -> bool:
        """Update a status line in place (a terminal), or append it to trial lines (a log)."""
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def _print(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")  # clear the status line, then write over it
        self.stream.write(text + "\n")
        self.stream.flush()

    def _draw(self, trials) -> None:
        if self.live:
            status = status_of(trials, self.metric, self.ended, self.slots)
            self.stream.write(f"\r\033[K[{self.name}] {status.line()}")
            self.stream.flush()
            self.last_draw = time.monotonic()

    def on_step_end(self, iteration, trials, **info):
        self.slots = max(self.slots, sum(t.status == "RUNNING" for t in trials))
        if self.live and time.monotonic() - self.last_draw >= self.refresh_s:
            self._draw(trials)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.ended[trial.trial_id] = True
        r = trial.last_result or {}
        if not r.get("finished"):  # stopped by ASHA (or recorded a failure): counted in the status line
            return
        status = status_of(trials, self.metric, self.ended, self.slots)
        got = "  ".join(f"{k}={r[k]:.3f}" for k in METRICS if isinstance(r.get(k), float))
        tail = "" if self.live else f"  | {status.line()}"
        self._print(f"[{self.name}] {status.done}/{len(trials)} done  {label(trial.config, self.keys)}  {got}{tail}")
        self._draw(trials)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._print(f"[{self.name}] FAILED  {label(trial.config, self.keys)}")
        self._draw(trials)

    def on_experiment_end(self, trials, **info):
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()
