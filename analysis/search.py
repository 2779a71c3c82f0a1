"""An Optuna search: parameter importance and optimisation history from its stored study."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.plots import save


def _save(ax, path: Path) -> None:
    ax.figure.set_size_inches(6, 4)
    save(ax.figure, path)


def analyse(study_dir: Path, out: Path) -> list[str]:
    import optuna
    from optuna.visualization import matplotlib as ovm

    db = study_dir / "optuna.db"
    lines = ["## Search: what mattered?", ""]
    if not db.exists():
        return lines + [f"No Optuna storage at {db}.", ""]
    import warnings

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    study = optuna.load_study(study_name=study_dir.name, storage=f"sqlite:///{db}")
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    lines.append(f"{len(done)} completed Optuna trials of {len(study.trials)}.")
    _save(ovm.plot_optimization_history(study), out / "search_history.png")
    lines.append("![optimisation history](search_history.png)")
    if len(done) >= 2:
        try:
            importance = optuna.importance.get_param_importances(study)
            _save(ovm.plot_param_importances(study), out / "search_importance.png")
            lines += [
                "![parameter importance](search_importance.png)",
                "",
                pd.DataFrame({"parameter": list(importance), "importance": list(importance.values())})
                .round(3)
                .to_markdown(index=False),
            ]
        except (RuntimeError, ValueError) as e:  # too few distinct results to rank parameters
            lines.append(f"Parameter importance not computed: {e}")
    best = study.best_trial if done else None
    if best is not None:
        lines.append(
            f"- best objective {best.value:.3f} with "
            + ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in best.params.items())
            + "."
        )
    return lines + [""]
