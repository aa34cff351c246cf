"""Out-of-scope scores from a classifier's outputs (higher = more likely out of scope).

- ``msp``: 1 − the maximum softmax probability (Hendrycks & Gimpel 2017), in 0-1.
- ``energy``: the free energy −T·logsumexp(logits / T) (Liu et al. 2020), averaged over the
  ensemble members; low for in-scope inputs.
- ``mahalanobis``: the squared Mahalanobis distance of the pooled encoder features to the
  nearest class mean (see :mod:`nlp_rnn.oos.gaussian`).
- ``msp_mahalanobis``: the sum of ``msp`` and ``mahalanobis``, each standardized by its mean and
  standard deviation over the in-scope dev docs (fitted with the threshold). The two disagree on
  which docs are odd: ``msp`` flags docs between two intents, ``mahalanobis`` docs far from every
  intent, so the sum separates out-of-scope docs better than either (benchmarks/oos.py).
"""

from typing import Dict, List, Sequence

import numpy

OOS_SCORES = ("none", "msp", "energy", "mahalanobis", "msp_mahalanobis")
GAUSSIAN_SCORES = ("mahalanobis", "msp_mahalanobis")


def uses_gaussians(name: str) -> bool:
    """Whether the score needs the class Gaussians (fitted on training data) and pooled features."""
    return name in GAUSSIAN_SCORES


def check_oos_score(name: str) -> str:
    """``name`` if it is a known score, else ValueError listing them."""
    if name not in OOS_SCORES:
        raise ValueError(f"oos.score must be one of {', '.join(OOS_SCORES)}, not {name!r}")
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


def standardization(parts: Dict[str, Sequence[float]]) -> Dict[str, List[str]]:
    """{part: (n,) in-scope dev scores} → {part: [mean, standard deviation]} (a constant part gets
    deviation 1, so it adds nothing after centring). The numbers are written as exact decimal
    strings: a component's cfg goes through JSON with 10 decimal places, which would wipe out the
    ``msp`` statistics of a confident model (e.g. mean 4e-9)."""
    stats = {}
    for name, values in parts.items():
        values = numpy.asarray(values, dtype="float64")
        if len(values) == 0:
            raise ValueError(f"no in-scope dev scores to standardize {name} on")
        deviation = float(values.std())
        stats[name] = [repr(float(values.mean())), repr(deviation if deviation > 1e-300 else 1.0)]
    return stats


def standardized_sum(parts: Dict[str, numpy.ndarray], stats: Dict[str, Sequence]) -> numpy.ndarray:
    """{part: (n,) scores} and their :func:`standardization` → (n,) the sum of the standardized parts."""
    missing = sorted(set(parts) - set(stats))
    if missing:
        raise ValueError(f"no standardization fitted for {', '.join(missing)}")
    return sum((numpy.asarray(values, dtype="float64") - float(stats[name][0])) / float(stats[name][1]) for name, values in parts.items())
