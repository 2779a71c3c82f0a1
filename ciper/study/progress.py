"""What a running study prints: a line per finished or failed trial, instead of Ray's status tables."""

from __future__ import annotations

from ray.tune import Callback

from ciper.probes import METRICS
from ciper.study.tables import plain


def label(config: dict, keys: list[str]) -> str:
    """The values that tell a trial apart, e.g. 'alpha=0.3 seed=1'."""
    return " ".join(f"{k}={plain(config[k])}" for k in keys if k in config)


class TrialLines(Callback):
    """Prints `[study] N/M done  <varied values>  <metrics>` as each trial ends."""

    def __init__(self, name: str, keys: list[str]):
        self.name, self.keys, self.done = name, keys, 0

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.done += 1
        r = trial.last_result or {}
        got = "  ".join(f"{k}={r[k]:.3f}" for k in METRICS if isinstance(r.get(k), float))
        print(f"[{self.name}] {self.done}/{len(trials)} done  {label(trial.config, self.keys)}  {got}", flush=True)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.done += 1
        print(f"[{self.name}] {self.done}/{len(trials)} FAILED  {label(trial.config, self.keys)}", flush=True)
