"""What the frozen representation h holds, measured on held-out data.

All read-outs are linear and fit on standardised features: classes by
multinomial logistic regression (L-BFGS from zero weights: deterministic),
parameters by ridge least squares (closed form, as the same lab evaluates),
plus a cosine kNN classifier:

  object_acc   object class from h
  session_acc  session (lighting/background) from h, where the data has sessions
  pose_r2      pose parameters from h (R^2 per parameter, and their mean; on 3D poses
               also pose_r2/rotation and pose_r2/placement, the mean over the rotation columns
               and over scale and position)
  rot_r2       the relative 3D rotation R2 R1^T (axis * angle) between two frames of a
               sequence within time_window, ridge-regressed from their pair features (h2 - h1
               or [h1, h2], as the model was configured), mean of the three columns' R^2: close
               to what CIPER's head trains on with time pairs; data with 3D poses only
  quat_r2_linear, quat_r2_mlp
               the 3DIEBench read-out (ciper/quaternion_probe.py): any two frames of a
               sequence, [h1, h2] -> relative rotation as a quaternion, a trained linear or
               MLP head, one pooled R^2; data with 3D poses only
  azimuth_change_r2  on a turntable (COIL-100): the azimuth change a2 - a1 between two frames
               of an object, as its sin and cos, from their pair features: rot_r2's 1-D
               counterpart, tested on pairs of held-out frames (see azimuth_change_r2)
  aug_r2       augmentation-parameter change from the pair features of two
               fresh augmentations of one image (h2 - h1 or [h1, h2], as the
               model was configured): the equivariance measure. It uses the
               same fixed augmentations for every model, contrastive-only too.
  knn_acc      object class by k-nearest neighbours (cosine) in h

Probe training data comes from the training split, test data from the held-out split. Each
metric's key, plot label and why-NaN text are defined once, in ciper/metrics.py.
"""

from __future__ import annotations

import math

import torch

from ciper import rotations
from ciper.augment import Pipeline
from ciper.data import TimePairs
from ciper.heads import pair_features
from ciper.metrics import METRICS, WHY_NAN
from ciper.quaternion_probe import quaternion_r2
from ciper.train import TrainingDiverged

EVAL_SEED = 1234  # the fresh augmentations are the same for every model
PROBE_TRAIN_IMAGES = 5000
RIDGE = 1e-3  # relative to the (standardised) feature variance


@torch.no_grad()
def encode(encoder: torch.nn.Module, images: torch.Tensor, device, batch: int = 512) -> torch.Tensor:
    """h for uint8 images, in eval mode, in float32 on the CPU."""
    encoder.eval()
    out = [
        encoder(images[i : i + batch].to(device).float().div_(255)).float().cpu() for i in range(0, len(images), batch)
    ]
    h = torch.cat(out)
    if not torch.isfinite(h).all():  # weights still finite, but too large for the features to be
        raise TrainingDiverged("the encoder's features are inf or nan; lower lr or alpha")
    return h


def _ridge(x: torch.Tensor, y: torch.Tensor, lam: float = RIDGE):
    """Least squares y ~ standardise(x) @ w (last row of w: the bias); returns (mu, sd, w)."""
    x, y = x.double(), y.double()
    mu, sd = x.mean(0), x.std(0).clamp(min=1e-8)
    xs = torch.cat([(x - mu) / sd, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    reg = lam * len(x) * torch.eye(xs.shape[1], dtype=x.dtype)
    reg[-1, -1] = 0  # no penalty on the bias
    return mu, sd, torch.linalg.solve(xs.T @ xs + reg, xs.T @ y)


def ridge_fit(x: torch.Tensor, y: torch.Tensor, lam: float = RIDGE):
    """Fit a ridge read-out on standardised x; returns its predict function."""
    mu, sd, w = _ridge(x, y, lam)
    return lambda q: torch.cat([(q.double() - mu) / sd, torch.ones(len(q), 1, dtype=w.dtype)], 1) @ w


def ridge_directions(x: torch.Tensor, y: torch.Tensor, lam: float = RIDGE) -> torch.Tensor:
    """The directions in x's own space that a ridge read-out of y uses: [dim(x), dim(y)]."""
    mu, sd, w = _ridge(x, y, lam)
    return (w[:-1] / sd[:, None]).float()


def r2_scores(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """R^2 per column; NaN for a column that does not vary (nothing to explain)."""
    y, pred = y.double(), pred.double()
    ss_tot = ((y - y.mean(0)) ** 2).sum(0)
    ss_res = ((y - pred) ** 2).sum(0)
    return torch.where(ss_tot > 1e-12, 1 - ss_res / ss_tot.clamp(min=1e-12), torch.full_like(ss_tot, math.nan))


def linear_accuracy(x_tr, y_tr, x_te, y_te, weight_decay: float = 1e-4, steps: int = 200) -> float:
    """Multinomial logistic regression on standardised features (L-BFGS, deterministic)."""
    mu, sd = x_tr.mean(0), x_tr.std(0).clamp(min=1e-8)
    a, b = ((x_tr - mu) / sd).double(), ((x_te - mu) / sd).double()
    classes = int(max(y_tr.max(), y_te.max())) + 1
    lin = torch.nn.Linear(a.shape[1], classes, dtype=torch.float64)
    torch.nn.init.zeros_(lin.weight), torch.nn.init.zeros_(lin.bias)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1, max_iter=steps, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(lin(a), y_tr) + weight_decay * lin.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    with torch.no_grad():
        return (lin(b).argmax(1) == y_te).double().mean().item()


def knn_accuracy(x_tr, y_tr, x_te, y_te, k: int) -> float:
    a = torch.nn.functional.normalize(x_tr, dim=1)
    b = torch.nn.functional.normalize(x_te, dim=1)
    sim, nn_idx = (b @ a.T).topk(min(k, len(a)), dim=1)
    votes = torch.zeros(len(b), int(y_tr.max()) + 1).scatter_add_(1, y_tr[nn_idx], torch.exp(sim / 0.1))
    return (votes.argmax(1) == y_te).double().mean().item()


def regression_r2(x_tr, y_tr, x_te, y_te, names: list[str], prefix: str) -> dict:
    scores = r2_scores(ridge_fit(x_tr, y_tr)(x_te), y_te)
    out = {f"{prefix}/{n}": s.item() for n, s in zip(names, scores)}
    defined = scores[~torch.isnan(scores)]
    out[prefix] = defined.mean().item() if len(defined) else math.nan
    return out


def _sample(data, n: int, seed: int):
    if n and len(data) > n:
        return data.subset(torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n].sort().values)
    return data


@torch.no_grad()
def aug_pair_features(encoder, images, cfg, device):
    """Pair features and r for two fresh augmentations of each image (fixed seed)."""
    pipeline = Pipeline.from_config(cfg)
    g = torch.Generator().manual_seed(EVAL_SEED)
    feats, targets = [], []
    encoder.eval()
    for i in range(0, len(images), 512):
        x = images[i : i + 512].to(device).float().div_(255)
        v1, p1 = pipeline(x, g)
        v2, p2 = pipeline(x, g)
        h1, h2 = encoder(v1).float(), encoder(v2).float()
        feats.append(pair_features(h1, h2, cfg.head_input).cpu())
        targets.append((p2 - p1).cpu())
    return torch.cat(feats), torch.cat(targets).double(), pipeline.schema


def rotation_r2(h_tr, tr, h_te, te, head_input: str, window: int) -> dict:
    """rot_r2: ridge read-out of the relative rotation of time pairs from their pair features.

    Fit on pairs of training frames; tested on pairs of held-out frames (both ends in the
    held-out split, which shares no sequence with training). Pairs are drawn with a fixed
    seed: the same frames for every model."""
    g = torch.Generator().manual_seed(EVAL_SEED)
    x_tr, y_tr = _time_pair_rotations(h_tr, tr, head_input, window, g)
    x_te, y_te = _time_pair_rotations(h_te, te, head_input, window, g)
    return regression_r2(x_tr, y_tr, x_te, y_te, ["drot_x", "drot_y", "drot_z"], "rot_r2")


def _time_pair_rotations(h, data, head_input: str, window: int, g: torch.Generator):
    """Pair features of each frame and a partner within the window, and their relative rotation."""
    idx = torch.arange(len(data))
    partner = TimePairs(data, window).partners(idx, g)
    return pair_features(h[idx], h[partner], head_input), rotations.relative(
        data.rotations[idx], data.rotations[partner]
    )


def pose_part_means(m: dict, names: list[str]) -> dict:
    """pose_r2/rotation and pose_r2/placement: means of the per-column R^2 (3D poses only)."""
    rot = [m[f"pose_r2/{n}"] for n in names if n.startswith("rot_")]
    rest = [m[f"pose_r2/{n}"] for n in names if not n.startswith("rot_")]
    if not rot or not rest:
        return {}
    mean = lambda v: sum(v) / len(v)
    return {"pose_r2/rotation": mean(rot), "pose_r2/placement": mean(rest)}


def nan_notes(metrics: dict) -> list[str]:
    """One line per metric that came out NaN, saying why."""
    return [f"{k}=nan: {WHY_NAN[k]}" for k in METRICS if isinstance(metrics.get(k), float) and math.isnan(metrics[k])]


def evaluate(trained) -> dict:
    """Every probe on a trained model (see module docstring); a flat dict of floats."""
    cfg, device = trained.cfg, trained.device
    encoder = trained.model.encoder
    tr = _sample(trained.train_set, PROBE_TRAIN_IMAGES, cfg.seed)
    te = _sample(trained.test_set, cfg.eval_images, cfg.seed)
    h_tr, h_te = encode(encoder, tr.images, device), encode(encoder, te.images, device)

    m = {
        "object_acc": linear_accuracy(h_tr, tr.objects, h_te, te.objects),
        "knn_acc": knn_accuracy(h_tr, tr.objects, h_te, te.objects, cfg.knn_k),
    }
    m["session_acc"] = (
        linear_accuracy(h_tr, tr.sessions, h_te, te.sessions)
        if tr.sessions is not None and tr.num_sessions > 1
        else math.nan
    )
    if tr.poses is not None:
        m.update(regression_r2(h_tr, tr.poses, h_te, te.poses, tr.pose_names, "pose_r2"))
        m.update(pose_part_means(m, tr.pose_names))
    else:
        m["pose_r2"] = math.nan
    if tr.rotations is not None and tr.has_time:
        m.update(rotation_r2(h_tr, tr, h_te, te, cfg.head_input, cfg.time_window))
        m.update(quaternion_r2(h_tr, tr, h_te, te, cfg.probe_steps))
    else:
        m.update(rot_r2=math.nan, quat_r2_linear=math.nan, quat_r2_mlp=math.nan)
    m.update(turntable_metrics(h_tr, tr, h_te, te, cfg))
    if cfg.aug_order:
        f_tr, r_tr, schema = aug_pair_features(encoder, tr.images, cfg, device)
        f_te, r_te, _ = aug_pair_features(encoder, te.images, cfg, device)
        m.update(regression_r2(f_tr, r_tr, f_te, r_te, schema, "aug_r2"))
    else:
        m["aug_r2"] = math.nan
    trained.model.train()
    return m


# ---- turntables: the relative azimuth ----------------------------------------
def turntable_metrics(h_tr, tr, h_te, te, cfg) -> dict:
    """azimuth_change_r2 where the data is a turntable with azimuth labels, else NaN."""
    if not (tr.has_time and tr.turns):
        return {"azimuth_change_r2": math.nan}
    return azimuth_change_r2(h_tr, tr, h_te, te, cfg.head_input, cfg.time_window)


def azimuth_change_r2(h_tr, tr, h_te, te, head_input: str, window: int) -> dict:
    """azimuth_change_r2: ridge read-out of the azimuth change d = a2 - a1 (columns sin d, cos d)
    between a frame and a partner within the window (circular), from their pair features.

    Fit on pairs of training frames; tested on pairs of held-out frames (both ends held
    out: on a turntable, within the held-out pose blocks). A frame with no partner within the
    window is left out. Fixed seed: the same pairs for every model."""
    g = torch.Generator().manual_seed(EVAL_SEED)
    x_tr, y_tr = _azimuth_pairs(h_tr, tr, head_input, window, g)
    x_te, y_te = _azimuth_pairs(h_te, te, head_input, window, g)
    if len(x_tr) < 2 or len(x_te) < 2:
        return {"azimuth_change_r2": math.nan}
    return regression_r2(x_tr, y_tr, x_te, y_te, ["dazimuth_sin", "dazimuth_cos"], "azimuth_change_r2")


def _azimuth_pairs(h, data, head_input: str, window: int, g: torch.Generator):
    """Pair features [P, F] of frames and their partners, and [P, 2] sin and cos of the azimuth change."""
    idx = torch.arange(len(data))
    partner = TimePairs(data, window).partners(idx, g)
    idx, partner = idx[partner != idx], partner[partner != idx]
    azimuth = data.azimuth()
    change = azimuth[partner] - azimuth[idx]
    return pair_features(h[idx], h[partner], head_input), torch.stack([change.sin(), change.cos()], 1)
