"""One report per study: `python -m analysis.report <study dir>` writes report.md and PNG figures."""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.stats import summarise  # noqa: E402

METRICS = {"object_acc": "object accuracy (linear probe)", "session_acc": "session accuracy (linear probe)",
           "view_r2": "view-parameter R$^2$ (linear)", "aug_r2": "augmentation-parameter R$^2$ (linear)",
           "knn_acc": "object accuracy (kNN)"}
STUDY_AXIS = {"alpha_sweep": "alpha", "latent_dim": "latent_dim", "aug_order": "aug_order",
              "head_ablation": "head_mode"}


def load_study(study_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    trials = pd.read_parquet(study_dir / "trials.parquet")
    epochs_path = study_dir / "epochs.parquet"
    epochs = pd.read_parquet(epochs_path) if epochs_path.exists() else pd.DataFrame()
    return trials, epochs


def plot_against_alpha(summary: pd.DataFrame, path: Path) -> None:
    """Each metric against alpha on a log axis; alpha = 0 drawn apart, at the left, as a square."""
    metrics = [m for m in METRICS if m in summary and summary[m].notna().any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.4), squeeze=False)
    pos = summary[summary.alpha > 0]
    zero = summary[summary.alpha == 0]
    x0 = pos.alpha.min() / 10 if len(pos) else 1e-3
    for ax, m in zip(axes[0], metrics):
        ax.errorbar(pos.alpha, pos[m], yerr=[pos[m] - pos[f"{m}_lo"], pos[f"{m}_hi"] - pos[m]],
                    marker="o", capsize=3, label="CIPER (alpha > 0)")
        if len(zero):
            ax.errorbar([x0], zero[m], yerr=[zero[m] - zero[f"{m}_lo"], zero[f"{m}_hi"] - zero[m]],
                        marker="s", color="black", capsize=3, linestyle="none", label="contrastive only (alpha = 0)")
            ax.axhline(float(zero[m].iloc[0]), color="black", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("alpha (weight of L_pred; log scale)")
        ax.set_title(METRICS[m], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("mean over seeds, 95 % CI")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_by_condition(summary: pd.DataFrame, axis: str, path: Path) -> None:
    """Each metric per condition (bars with 95 % CI)."""
    metrics = [m for m in METRICS if m in summary and summary[m].notna().any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.8), squeeze=False)
    labels = [str(v) for v in summary[axis]]
    x = np.arange(len(labels))
    for ax, m in zip(axes[0], metrics):
        ax.bar(x, summary[m], yerr=[summary[m] - summary[f"{m}_lo"], summary[f"{m}_hi"] - summary[m]],
               capsize=3, color="tab:blue", alpha=0.8)
        ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
        ax.set_xlabel(axis)
        ax.set_title(METRICS[m], fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("mean over seeds, 95 % CI")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _sentence(summary: pd.DataFrame, axis: str, metric: str) -> str:
    if metric not in summary or summary[metric].isna().all():
        return ""
    first, best = summary.iloc[0], summary.loc[summary[metric].idxmax()]
    return (f"- {metric} is {first[metric]:.3f} (95 % CI {first[f'{metric}_lo']:.3f}..{first[f'{metric}_hi']:.3f}) "
            f"at {axis} = {first[axis]} and peaks at {best[metric]:.3f} "
            f"(CI {best[f'{metric}_lo']:.3f}..{best[f'{metric}_hi']:.3f}) at {axis} = {best[axis]}.")


def build_report(study_dir: str | Path) -> Path:
    study_dir = Path(study_dir)
    trials, _ = load_study(study_dir)
    name = study_dir.name
    axis = STUDY_AXIS.get(name, "alpha")
    ok = trials[trials.status == "finished"]
    lines = [f"# {name}", "", f"{len(trials)} trials: {len(ok)} finished, {len(trials) - len(ok)} not."]
    for _, row in trials[trials.status != "finished"].iterrows():
        lines.append(f"- missing: trial {row.trial_id} ({row.status}): {row.error}")
    lines.append("")
    if len(ok) and axis in ok:
        summary = summarise(ok, axis, list(METRICS))
        fig = study_dir / f"{name}.png"
        if axis == "alpha":
            plot_against_alpha(summary, fig)
        else:
            plot_by_condition(summary, axis, fig)
        lines += [f"![{name}]({fig.name})", ""]
        lines += [s for s in (_sentence(summary, axis, m) for m in METRICS) if s] + [""]
        cols = [axis, "n"] + [m for m in METRICS if m in summary]
        lines.append(summary[cols].to_markdown(index=False, floatfmt=".3f") if _has_tabulate()
                     else summary[cols].to_string(index=False))
    path = study_dir / "report.md"
    from ciper.records import atomic_write_bytes
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not (Path(argv[0]) / "trials.parquet").exists():
        print("error: give one study folder that holds trials.parquet, e.g. results/alpha_sweep", file=sys.stderr)
        return 2
    print(build_report(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
