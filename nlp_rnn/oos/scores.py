"""Out-of-scope scores from a classifier's outputs (higher = more likely out of scope).

- ``msp``: 1 − the maximum softmax probability (Hendrycks & Gimpel 2017), in 0-1.
- ``energy``: the free energy −T·logsumexp(logits / T) (Liu et al. 2020), averaged over the
  ensemble members; low for in-scope inputs.
- ``mahalanobis``: the squared Mahalanobis distance of the pooled encoder features to the
  nearest class mean (see :mod:`nlp_rnn.oos.gaussian`).
"""

import numpy

OOS_SCORES = ("none", "msp", "energy", "mahalanobis")


def check_oos_score(name: str) -> str:
    """``name`` if it is a known score, else ValueError listing them."""
    if name not in OOS_SCORES:
        raise ValueError(f"oos_score must be one of {', '.join(OOS_SCORES)}, not {name!r}")
    return name


def msp_score(probs: numpy.ndarray) -> numpy.ndarray:
    """probs (n, n_intents) → (n,) 1 − max probability."""
    probs = numpy.asarray(probs, dtype="float64")
    if probs.shape[-1] == 0:
        return numpy.ones(probs.shape[0])
    return 1.0 - probs.max(axis=-1)


def energy_score(logits: numpy.ndarray, temperature: float = 1.0) -> numpy.ndarray:
    """logits (n, n_intents) or (n, n_members, n_intents) → (n,) −T·logsumexp(logits / T),
    the mean over members for 3-d input."""
    scaled = numpy.asarray(logits, dtype="float64") / temperature
    peak = scaled.max(axis=-1, keepdims=True)
    energy = -temperature * (numpy.log(numpy.exp(scaled - peak).sum(axis=-1)) + peak[..., 0])
    return energy.mean(axis=1) if energy.ndim == 2 else energy
