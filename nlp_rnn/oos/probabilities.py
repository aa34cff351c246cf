"""An exclusive intent component's final probabilities, in numpy: the mean of the ensemble
members' softmax, the prior correction, then temperature scaling.

The torch components, the exported ONNX components and the out-of-scope fitting all compute them
here, so the three agree. The prior weight is chosen on dev by
:func:`nlp_rnn.pipeline.intent_prior.tune_prior_weights`, the temperature by
:func:`nlp_rnn.pipeline.out_of_scope.tune_out_of_scope`; applying both needs numpy only.
"""

from typing import Dict, Sequence

import numpy

from .settings import oos_block
from .temperature import apply_temperature


def member_softmax_mean(logits: numpy.ndarray) -> numpy.ndarray:
    """logits (n, n_members, C) → (n, C) float64: softmax over C per member, mean over members."""
    logits = numpy.asarray(logits, dtype="float64")
    shifted = numpy.exp(logits - logits.max(axis=-1, keepdims=True))
    return (shifted / shifted.sum(axis=-1, keepdims=True)).mean(axis=1)


def adjust_for_prior(probs: numpy.ndarray, prior: Sequence[float], weight: float) -> numpy.ndarray:
    """probs (n, n_intents) → probabilities divided by ``prior ** weight``, renormalised per row
    (logit adjustment, Menon et al. 2021). Returned unchanged when the weight is 0 or there is no prior."""
    if not weight or not len(prior) or not len(probs):
        return probs
    scores = numpy.log(numpy.maximum(probs, 1e-30)) - weight * numpy.log(numpy.asarray(prior, dtype="float64"))
    scores -= scores.max(axis=1, keepdims=True)
    adjusted = numpy.exp(scores)
    return (adjusted / adjusted.sum(axis=1, keepdims=True)).astype(probs.dtype)


def corrected_and_calibrated(probs: numpy.ndarray, cfg: Dict) -> numpy.ndarray:
    """Exclusive intents' member-averaged probabilities (n, C) → the component's output: the prior
    correction (cfg ``intent_prior``, ``prior_weight``), then temperature scaling (cfg ``oos.temperature``)."""
    adjusted = adjust_for_prior(probs, cfg.get("intent_prior", []), cfg.get("prior_weight", 0.0))
    return apply_temperature(adjusted, oos_block(cfg)["temperature"])


def final_probabilities(cfg: Dict, logits: numpy.ndarray) -> numpy.ndarray:
    """An exclusive component's probabilities (n, C) float64 from member logits (n, n_members, C)
    and its cfg: softmax, mean over members, prior correction, temperature."""
    return corrected_and_calibrated(member_softmax_mean(logits), cfg)


def member_probabilities(logits: numpy.ndarray, cfg: Dict, exclusive: bool = True) -> numpy.ndarray:
    """Member logits (n, n_members, C) → the component's (n, C) float32 scores: softmax (or, not
    exclusive, sigmoid) per member averaged over members, then (exclusive only) the prior
    correction and temperature: what the exported components compute from their graph's logits."""
    if not exclusive:
        return (1.0 / (1.0 + numpy.exp(-logits.astype("float64")))).mean(axis=1).astype("float32")
    return corrected_and_calibrated(member_softmax_mean(logits).astype("float32"), cfg)
