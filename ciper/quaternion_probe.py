"""The 3DIEBench rotation read-out (Garrido et al., SIE): a trained head on [h1, h2] predicts the
relative rotation of two views of one object as a quaternion, scored by one pooled R^2.

It is not the target CIPER's prediction head trains on: that head sees h2 - h1 (or [h1, h2]) of
frames at most `time_window` apart and regresses axis * angle with an MSE on standardised
columns. Here:
  - pairs are any two frames of one sequence (the whole range of relative rotations);
  - the input is always the concatenation [h1, h2], standardised with the training pairs' statistics;
  - the target is the relative rotation R2 R1^T as a unit quaternion with w >= 0;
  - the head (linear, or an MLP with one hidden layer of 256) is trained with AdamW on pairs of
    training sequences, stopped early on a fifth of those sequences held back, and tested on
    pairs of held-out sequences;
  - one R^2 pooled over the four components: 1 - (sum of squared errors) / (sum of squares
    around each component's mean), scikit-learn's variance-weighted R^2. (A single mean over
    all four components would credit a head that only knows w is near 1.)
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ciper import rotations

HIDDEN = 256
CHECK_EVERY = 25
VALIDATION = 0.2  # of the training sequences, for early stopping
BATCH = 512
LR = 1e-3
WEIGHT_DECAY = 1e-2
SEED = 4321


def any_pair_partners(sequences: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """For each frame, another frame of its sequence drawn uniformly (itself if alone): [N]."""
    order = torch.argsort(sequences, stable=True)
    sorted_seq = sequences[order]
    start = torch.searchsorted(sorted_seq, sorted_seq)
    length = torch.searchsorted(sorted_seq, sorted_seq, right=True) - start
    rank = torch.arange(len(order)) - start
    pick = (torch.rand(len(order), generator=g) * (length - 1).clamp(min=1)).long()
    pick = torch.where(pick >= rank, pick + 1, pick).clamp(max=length - 1)
    partner = torch.empty_like(order)
    partner[order] = order[start + torch.where(length > 1, pick, rank)]
    return partner


def relative_quaternions(quat: torch.Tensor, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """[B, 4] the rotation from frame `first` to frame `second`, (w, x, y, z) with w >= 0."""
    return rotations.canonical(rotations.multiply(quat[second], rotations.inverse(quat[first])))


def pooled_r2(pred: torch.Tensor, y: torch.Tensor) -> float:
    """1 - SSE / sum of squares around each column's mean, over all columns at once."""
    from sklearn.metrics import r2_score

    if float(y.double().var(0).sum()) < 1e-12:
        return float("nan")
    return float(r2_score(y.double().numpy(), pred.double().numpy(), multioutput="variance_weighted"))


def fit_head(x: torch.Tensor, y: torch.Tensor, hidden: int, validation: torch.Tensor, steps: int):
    """A linear head (hidden = 0) or an MLP, MSE with AdamW on targets centred at their training
    mean (the last layer starts at zero, so an uninformative input predicts that mean). The
    rows where `validation` is True are held out, and the head of the step with the lowest
    validation error is kept (early stopping). Fixed seed and steps: deterministic."""
    with torch.random.fork_rng():
        torch.manual_seed(SEED)
        layers = (
            [nn.Linear(x.shape[1], y.shape[1])]
            if hidden == 0
            else [nn.Linear(x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, y.shape[1])]
        )
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        head = nn.Sequential(*layers)
        x_fit, y_fit, x_val, y_val = x[~validation], y[~validation], x[validation], y[validation]
        centre = y_fit.mean(0)
        opt = torch.optim.AdamW(head.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        g = torch.Generator().manual_seed(SEED)
        best, best_state = float("inf"), copy.deepcopy(head.state_dict())
        for step in range(steps + 1):
            if step % CHECK_EVERY == 0:
                with torch.no_grad():
                    error = nn.functional.mse_loss(head(x_val), y_val - centre).item()
                if error < best:
                    best, best_state = error, copy.deepcopy(head.state_dict())
            if step == steps:
                break
            idx = torch.randint(len(x_fit), (min(BATCH, len(x_fit)),), generator=g)
            with torch.enable_grad():
                loss = nn.functional.mse_loss(head(x_fit[idx]), y_fit[idx] - centre)
                opt.zero_grad()
                loss.backward()
            opt.step()
    head.load_state_dict(best_state)
    return lambda q: head.eval()(q) + centre


def quaternion_r2(h_tr: torch.Tensor, tr, h_te: torch.Tensor, te, steps: int) -> dict:
    """quat_r2_linear and quat_r2_mlp: see the module docstring. tr, te: ImageSets with rotations;
    steps: each head's AdamW steps (Config.probe_steps)."""
    g = torch.Generator().manual_seed(SEED)
    pairs = []
    for h, data in ((h_tr, tr), (h_te, te)):
        second = any_pair_partners(data.sequences, g)
        first = torch.arange(len(data))
        pairs.append((torch.cat([h[first], h[second]], 1), relative_quaternions(data.rotations, first, second)))
    (x_tr, y_tr), (x_te, y_te) = pairs
    mu, sd = x_tr.mean(0), x_tr.std(0).clamp(min=1e-8)
    x_tr, x_te = (x_tr - mu) / sd, (x_te - mu) / sd
    ids = torch.unique(tr.sequences)  # the training sequences only (held-out ones have other ids)
    held = ids[torch.randperm(len(ids), generator=g)[: max(1, round(VALIDATION * len(ids)))]]
    validation = torch.isin(tr.sequences, held)
    out = {}
    for name, hidden in (("quat_r2_linear", 0), ("quat_r2_mlp", HIDDEN)):
        head = fit_head(x_tr.float(), y_tr.float(), hidden, validation, steps)
        with torch.no_grad():
            out[name] = pooled_r2(head(x_te.float()), y_te)
    return out
