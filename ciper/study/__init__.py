"""Studies: many CIPER trials run by Ray Tune, resumable, with tidy result tables.

spec.py       Study: the question, its space (a grid or an Optuna search), seeds
cli.py        a study's command line and its checks before Ray starts
runner.py     Ray set-up, the Tuner (new or restored), the tables at the end
trainable.py  one trial: train, report and checkpoint per epoch, evaluate
recovery.py   whether a study folder can be resumed, which checkpoint an interrupted trial goes on from
storage.py    the storage folder as Ray writes it: every file whole or not at all
progress.py   what a running study prints
tables.py     trials.parquet / epochs.parquet, and load_results for notebooks
"""

from ciper.study.runner import StudyRun, run_study
from ciper.study.spec import Study, permutations_sample
from ciper.study.tables import load_results

__all__ = ["Study", "StudyRun", "load_results", "permutations_sample", "run_study"]
