"""Fitting the temperature of :mod:`nlp_rnn.oos.temperature` on dev data (torch: LBFGS on the NLL).

Applying it is numpy (:func:`nlp_rnn.oos.temperature.apply_temperature`); only ``nlp-rnn train`` /
``tune-oos`` fit it (:func:`nlp_rnn.pipeline.out_of_scope.tune_out_of_scope`).
"""

from typing import Optional, Sequence

import numpy
import torch

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 100.0


def scaled_probabilities(logits: torch.Tensor, temperature: torch.Tensor, log_prior_shift: Optional[torch.Tensor] = None) -> torch.Tensor:
    """logits (n, n_members, C) → (n, C): the mean over members of softmax(logits), plus
    ``log_prior_shift`` (C,) (i.e. −prior_weight·log prior) in log space, then divided by T in log
    space and renormalised."""
    log_probs = torch.log(torch.softmax(logits, dim=-1).mean(dim=1).clamp_min(1e-30))
    if log_prior_shift is not None:
        log_probs = log_probs + log_prior_shift
    return torch.softmax(log_probs / temperature, dim=-1)


def fit_temperature(
    logits: numpy.ndarray,
    gold: Sequence[int],
    log_prior_shift: Optional[numpy.ndarray] = None,
    max_iter: int = 100,
) -> float:
    """logits (n, n_members, C) or (n, C), gold (n,) class ids (rows outside [0, C) are ignored)
    → the T > 0 minimising the mean NLL, found by LBFGS on log T from T = 1, clipped to
    [0.05, 100]. Returns 1.0 when there is no usable row."""
    x = torch.as_tensor(numpy.asarray(logits), dtype=torch.float64)
    if x.dim() == 2:
        x = x.unsqueeze(1)
    y = torch.as_tensor(numpy.asarray(gold), dtype=torch.long)
    keep = (y >= 0) & (y < x.shape[-1])
    if not keep.any():
        return 1.0
    x, y = x[keep], y[keep]
    shift = None if log_prior_shift is None else torch.as_tensor(numpy.asarray(log_prior_shift), dtype=torch.float64)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        probs = scaled_probabilities(x, log_t.exp(), shift)
        loss = -torch.log(probs.gather(1, y[:, None]).clamp_min(1e-30)).mean()
        loss.backward()
        return loss

    optimizer.step(closure)
    value = float(log_t.detach().exp())
    if not numpy.isfinite(value):
        return 1.0
    # dev data the model gets all right drives T → 0 (NLL keeps falling): keep it in a sane range
    return float(min(max(value, MIN_TEMPERATURE), MAX_TEMPERATURE))
