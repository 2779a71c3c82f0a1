"""Pictures of the representations: 2-D maps of held-out features, side by side.

For a few conditions of a study (alpha 0 / 1 / the largest; the smallest and
largest latent; each head mode; the first and last augmentation condition),
the held-out frames' features h of one seed's final checkpoint are mapped to
2-D with PCA and with t-SNE (scikit-learn), each coloured by object, by session
and by a pose parameter. Invariant features cluster by object and mix sessions
and poses; equivariant ones also order poses along a direction.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from analysis.plots import plt, save
from analysis.structure import load_encoder
from ciper.checkpoint import CheckpointError, trial_checkpoint
from ciper.probes import encode

FIGURE = "maps.png"
MAP_IMAGES = 800
MAX_ROWS = 4
KEYS = ("alpha", "latent_dim", "head_mode", "head_input", "condition")


def landmarks(trials: pd.DataFrame, key: str) -> list:
    """The values of a key worth a picture: ends of a numeric range (and alpha = 1), or a few names."""
    values = sorted(trials[key].dropna().unique(), key=str) if key != "alpha" else sorted(trials[key].unique())
    if key == "alpha":
        return [v for v in dict.fromkeys([values[0], 1.0, values[-1]]) if v in values]
    if key == "latent_dim":
        return list(dict.fromkeys([min(values), max(values)]))
    if key == "head_input":
        return ["diff"] if "diff" in values else values[:1]
    if key == "condition":
        ordered = list(dict.fromkeys(trials[key]))
        return list(dict.fromkeys([ordered[0], ordered[-1]]))
    return values[:3]


def pick(trials: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, trial_id) of at most MAX_ROWS conditions, each at its lowest finished seed."""
    keys = [k for k in KEYS if k in trials and trials[k].astype(str).nunique() > 1]
    if not keys:
        return [(f"seed {trials.seed.min()}", trials.sort_values("seed").trial_id.iloc[0])]
    out = []
    for combo in itertools.product(*(landmarks(trials, k) for k in keys)):
        match = trials
        for k, v in zip(keys, combo):
            match = match[match[k] == v]
        if len(match):
            label = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in zip(keys, combo))
            out.append((label, match.sort_values("seed").trial_id.iloc[0]))
    return out[:MAX_ROWS]


def embed(h: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """PCA and t-SNE coordinates [n, 2] of standardised features."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    h = (h - h.mean(0)) / np.maximum(h.std(0), 1e-8)
    perplexity = float(min(30, max(2, (len(h) - 1) // 4)))
    return {
        "PCA": PCA(2, random_state=seed).fit_transform(h),
        "t-SNE": TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(h),
    }


def plot_maps(study_dir: Path, trials: pd.DataFrame, out: Path) -> Path | None:
    rows = []
    for label, trial_id in pick(trials):
        ckpt = trial_checkpoint(study_dir / "ray", trial_id)
        if ckpt is None:
            continue
        try:
            _, encoder, _, te = load_encoder(ckpt)
        except CheckpointError:  # unreadable (the report lists it under structure); map the others
            continue
        keep = torch.randperm(len(te), generator=torch.Generator().manual_seed(0))[:MAP_IMAGES].sort().values
        te = te.subset(keep)
        h = encode(encoder, te.images, "cpu").numpy()
        colours = {"object": te.objects.numpy()}
        if te.sessions is not None:
            colours["session"] = te.sessions.numpy()
        if te.poses is not None:
            colours[f"pose: {te.pose_names[0]}"] = te.poses[:, 0].numpy()
        rows.append((label, embed(h), colours))
    if not rows:
        return None
    ncols = max(len(r[1]) * len(r[2]) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(2.4 * ncols, 2.4 * len(rows)), squeeze=False)
    for i, (label, maps, colours) in enumerate(rows):
        for j, ((method, xy), (name, c)) in enumerate(itertools.product(maps.items(), colours.items())):
            ax = axes[i][j]
            cmap = "viridis" if name.startswith("pose") else "tab10" if c.max() < 10 else "tab20"
            scale = {} if cmap == "viridis" else {"vmin": -0.5, "vmax": (9.5 if cmap == "tab10" else 19.5)}
            ax.scatter(xy[:, 0], xy[:, 1], c=c, s=3, cmap=cmap, linewidths=0, **scale)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"{method}, by {name}", fontsize=8)
            if j == 0:
                ax.set_ylabel(label, fontsize=7)
    return save(fig, out / FIGURE)


def analyse(study_dir: Path, trials: pd.DataFrame, out: Path) -> list[str]:
    """The maps section; drawn from the checkpoints where the storage has them, else the figure
    drawn before (a folder of tables, as docs/findings, keeps its maps.png)."""
    if trials.empty:
        return []
    path = plot_maps(study_dir, trials, out) if (study_dir / "ray").is_dir() else None
    if path is None and (Path(out) / FIGURE).exists():
        path = Path(out) / FIGURE
    if path is None:
        return []
    return [
        "## Maps of the representations",
        "",
        f"Held-out features (up to {MAP_IMAGES} frames, one seed per condition) in 2-D, PCA and t-SNE, coloured by "
        "object, session and a pose parameter: invariant features cluster by object and mix the rest.",
        "",
        f"![PCA and t-SNE maps]({path.name})",
        "",
    ]
