"""Representation structure of trained checkpoints: hierarchy and separation.

Hierarchy (the paper's claim of hierarchically structured representations):
the share of the variance of standardised h that lies between objects, between
sessions, and within sequences (one object in one session: only the pose
changes there). Separation (the paper's open check): do invariant and
equivariant information live in separate subspaces? The equivariant subspace E
is spanned by the ridge read-out from h to the pose parameters (fit on the
training split); E-perp is its orthogonal complement. Probes from each part:
if the information separates, objects are read from E-perp as well as from all
of h, and poses from E but not from E-perp.

Two measures read the claims more closely. Within objects: pose R² from where a
view lies inside its object's cluster (h and the pose targets less the mean of
that object's training frames), so that what tells objects apart cannot carry
pose: the views ordered by pose within each object that a hierarchy means.
Pose removal: the pose read-out's directions are projected out again and again
(each round a new ridge read-out of what is left) until held-out pose R² is
within the R² margin of nothing (POSE_GONE), then objects are read from what
remains, against removing as many random directions (RANDOM_DRAWS draws): pose
information in a subspace of its own leaves objects as readable as random
removal does.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import torch

from ciper import checkpoint
from ciper.config import Config, fields_in
from ciper.data import split_of
from ciper.datasets import load_dataset
from ciper.model import build_model
from ciper.probes import encode, linear_accuracy, regression_r2, ridge_directions
from ciper.records import atomic_write_bytes

POSE_GONE = 0.03  # held-out pose R² at which the removal stops: within the R² margin of no read-out
RANDOM_DRAWS = 5  # random subspaces of the removed size, each a seeded draw
_datasets: dict = {}


def _dataset(cfg: Config):
    """The trials of one study share their data (Config's "data" group): build it once."""
    key = json.dumps({f: getattr(cfg, f) for f in fields_in("data")}, sort_keys=True)
    if key not in _datasets:
        _datasets[key] = load_dataset(cfg)
    return _datasets[key]


def load_encoder(path: Path):
    state = checkpoint.load(path)
    cfg = Config.from_dict(state["config"]).replace(device="cpu", compile=False)
    data = _dataset(cfg)
    model = build_model(cfg, data)
    model.load_state_dict(state["model"])
    train_set, test_set, _ = split_of(data, cfg)
    return cfg, model.encoder.eval(), train_set, test_set


def variance_shares(h: torch.Tensor, objects, sessions, sequences) -> dict:
    """Share of total variance between objects, between sessions, and within sequences."""
    h = (h - h.mean(0)) / h.std(0).clamp(min=1e-8)
    total = h.var(0, unbiased=False).sum()

    def between(labels):
        means = torch.zeros(int(labels.max()) + 1, h.shape[1]).index_add_(0, labels, h)
        counts = torch.bincount(labels).clamp(min=1)[:, None]
        return ((means / counts)[labels] ** 2).mean(0).sum() / total

    out = {"between_objects": between(objects).item()}
    if sessions is not None:
        out["between_sessions"] = between(sessions).item()
    if sequences is not None:
        out["within_sequences"] = 1 - between(sequences).item()
    return out


def separation(h_tr, h_te, tr, te) -> dict:
    """Object accuracy and pose R^2 from all of h, from E and from E-perp (see module docstring)."""
    q, _ = torch.linalg.qr(ridge_directions(h_tr, tr.poses))  # orthonormal basis of E
    part = {"all": lambda x: x, "E": lambda x: x @ q @ q.T, "E_perp": lambda x: x - x @ q @ q.T}
    out = {}
    for name, proj in part.items():
        a, b = proj(h_tr), proj(h_te)
        out[f"object_acc[{name}]"] = linear_accuracy(a, tr.objects, b, te.objects)
        out[f"pose_r2[{name}]"] = regression_r2(a, tr.poses, b, te.poses, tr.pose_names, "v")["v"]
    return out


def within_objects(h_tr, h_te, tr, te) -> dict:
    """Pose R² from h and the pose targets less the mean of each object's training frames (module
    docstring); held-out frames of an object with no training frame are left out."""
    objects = int(max(tr.objects.max(), te.objects.max())) + 1

    def means(x):
        total = torch.zeros(objects, x.shape[1], dtype=x.dtype).index_add_(0, tr.objects, x)
        return total / torch.bincount(tr.objects, minlength=objects).clamp(min=1)[:, None]

    seen = torch.bincount(tr.objects, minlength=objects)[te.objects] > 0
    h_mean, pose_mean = means(h_tr.double()), means(tr.poses.double())
    a, b = h_tr.double() - h_mean[tr.objects], (h_te.double() - h_mean[te.objects])[seen]
    y_a, y_b = tr.poses.double() - pose_mean[tr.objects], (te.poses.double() - pose_mean[te.objects])[seen]
    return {"pose_r2[within objects]": regression_r2(a, y_a, b, y_b, tr.pose_names, "v")["v"]}


def pose_removal(h_tr, h_te, tr, te) -> dict:
    """Object accuracy once the pose read-out is projected out until it is gone, against removing
    as many random directions (module docstring). `pose removed - random` is the difference: 0
    where pose lives in a subspace of its own, negative where removing it takes objects too;
    `removed_directions` says how many of h's dimensions the pose read-out needed. The removal
    stops short of the last rounds' room, so a read-out that never goes says so in its R²."""
    dim = h_tr.shape[1]
    basis = torch.zeros(dim, 0)
    drop = lambda x, q: x - x @ q @ q.T
    pose_r2 = lambda q: regression_r2(drop(h_tr, q), tr.poses, drop(h_te, q), te.poses, tr.pose_names, "v")["v"]
    left = pose_r2(basis)
    while left > POSE_GONE and basis.shape[1] + 2 * tr.poses.shape[1] <= dim:  # one round's room left after
        new = ridge_directions(drop(h_tr, basis), tr.poses)
        basis, _ = torch.linalg.qr(torch.cat([basis, new - basis @ (basis.T @ new)], 1))
        left = pose_r2(basis)
    objects = lambda q: linear_accuracy(drop(h_tr, q), tr.objects, drop(h_te, q), te.objects)
    g = torch.Generator().manual_seed(0)
    random = [objects(torch.linalg.qr(torch.randn(dim, basis.shape[1], generator=g))[0]) for _ in range(RANDOM_DRAWS)]
    removed = objects(basis)
    return {
        "removed_directions": basis.shape[1],
        "pose_r2[pose removed]": left,
        "object_acc[pose removed]": removed,
        "object_acc[random removed]": sum(random) / len(random),
        "object_acc[pose removed - random]": removed - sum(random) / len(random),
    }


def analyse_checkpoint(path: Path, max_images: int = 2000) -> dict:
    cfg, encoder, tr, te = load_encoder(path)
    return analyse_encoder(cfg, encoder, tr, te, max_images)


def analyse_reference(cfg: Config, kind: str, cache_dir: Path, max_images: int = 2000) -> dict:
    """The same analysis of a reference encoder (ciper.reference): untrained, or object- or
    pose-supervised (its weights from the cache, trained there once)."""
    from ciper.reference import SUPERVISED, supervised_encoder

    cfg = cfg.replace(device="cpu", compile=False)
    data = _dataset(cfg)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.replace(head_mode="contrastive"), data)
    if kind in SUPERVISED:
        model.encoder.load_state_dict(supervised_encoder(cfg, SUPERVISED[kind], Path(cache_dir)))
    train_set, test_set, _ = split_of(data, cfg)
    return {**analyse_encoder(cfg, model.encoder.eval(), train_set, test_set, max_images), "kind": kind}


def analyse_encoder(cfg: Config, encoder, tr, te, max_images: int = 2000) -> dict:
    """Variance shares and separation of one encoder's features (see the module docstring)."""
    g = torch.Generator().manual_seed(0)
    tr = tr.subset(torch.randperm(len(tr), generator=g)[:max_images].sort().values)
    te = te.subset(torch.randperm(len(te), generator=g)[:max_images].sort().values)
    h_tr, h_te = encode(encoder, tr.images, "cpu"), encode(encoder, te.images, "cpu")
    out = {
        "alpha": cfg.alpha,
        "seed": cfg.seed,
        "head_mode": cfg.head_mode,
        "head_input": cfg.head_input,
        "latent_dim": cfg.latent_dim,
        "aug_order": ">".join(cfg.aug_order),
    }
    out.update(variance_shares(h_te, te.objects, te.sessions, te.sequences))
    if tr.poses is not None:
        out.update(separation(h_tr, h_te, tr, te))
        out.update(within_objects(h_tr, h_te, tr, te))
        out.update(pose_removal(h_tr, h_te, tr, te))
    return out


REPORT_FILE = "report_structure.parquet"  # the report's rows, kept so tables alone rebuild it


def analyse(study_dir: Path, trials: pd.DataFrame, out: Path, per_condition: int = 1) -> list[str]:
    """Structure of one seed's checkpoint per condition (the lowest finished seed with a checkpoint).

    The trials are chosen from the table first, so only the checkpoints reported are loaded. The
    rows are kept in <out>/report_structure.parquet and read from there where the storage has no
    checkpoints (a folder of tables, as docs/findings), so a rebuilt report keeps this section."""
    if trials.empty:
        return []
    keys = [
        k
        for k in ("alpha", "head_mode", "head_input", "latent_dim", "aug_order")
        if k in trials and trials[k].astype(str).nunique() > 1
    ] or ["alpha"]
    rows = _checkpoint_rows(study_dir / "ray", trials, keys, per_condition)
    kept = Path(out) / REPORT_FILE
    if rows:
        table = pd.DataFrame(rows)
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        atomic_write_bytes(kept, buf.getvalue())
    elif kept.exists():
        table = pd.read_parquet(kept)
    else:
        return []
    table = table.round(3)  # the bullets read the table as printed, whichever path it came by
    lines = [
        "## Representation structure",
        "",
        "Variance shares of standardised h on held-out frames (between objects, between sessions, within "
        "sequences = pose changes), and probes from the equivariant subspace E (spanned by the pose "
        "read-out) and its complement E_perp. Separated information: object_acc[E_perp] close to "
        "object_acc[all] while pose_r2[E_perp] falls well below pose_r2[E].",
        "",
        table.to_markdown(index=False),
        "",
    ]
    if "pose_r2[E_perp]" in table:
        for _, r in table.iterrows():
            cond = ", ".join(f"{k} = {r[k]}" for k in keys)
            sep = r["pose_r2[E]"] - r["pose_r2[E_perp]"]
            lines.append(
                f"- {cond}: objects {r['object_acc[all]']:.3f} from all of h, "
                f"{r['object_acc[E_perp]']:.3f} from E_perp; pose R² {r['pose_r2[E]']:.3f} from E, "
                f"{r['pose_r2[E_perp]']:.3f} from E_perp (gap {sep:+.3f})."
            )
    return lines + [""]


def _checkpoint_rows(ray_dir: Path, trials: pd.DataFrame, keys: list[str], per_condition: int) -> list[dict]:
    """Measured rows of the first `per_condition` checkpoints per condition (none without ray_dir)."""
    if not ray_dir.is_dir():
        return []
    rows = []
    for _, group in trials.sort_values([*keys, "seed"]).groupby(keys, sort=True):
        picked = 0
        for trial_id in group.trial_id:
            ckpt = checkpoint.trial_checkpoint(ray_dir, trial_id)
            if ckpt is None:
                continue
            try:
                rows.append(analyse_checkpoint(ckpt))
            except checkpoint.CheckpointError as e:
                rows.append({**dict(zip(keys, group.iloc[0][keys])), "error": str(e)})
            picked += 1
            if picked == per_condition:
                break
    return rows
