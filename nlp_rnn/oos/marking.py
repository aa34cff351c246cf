"""Out-of-scope decisions at prediction time, in numpy: the score of each doc, whether it is
rejected, and ``doc._.oos_score`` / ``doc._.out_of_scope``.

The intent and joint tasks (:mod:`nlp_rnn.pipeline.intent_task`, :mod:`nlp_rnn.pipeline.joint_task`)
call :func:`oos_scores` and :func:`mark_docs` with numpy arrays for the torch pipe and the exported
ONNX pipe alike, so an exported pipeline decides exactly as the torch one and
needs no torch. The fitting (temperature, Gaussians, standardization, threshold on dev) is torch
code in :mod:`nlp_rnn.pipeline.out_of_scope`.

A rejected doc keeps its full ``doc.cats``; ``doc._.out_of_scope`` is True and ``doc._.oos_score``
holds the score. Multi-label components (``exclusive_classes = false``): a doc is out of scope when
no label reaches ``threshold``; ``doc._.oos_score`` is then 1 − the highest probability.
"""

from typing import Any, Dict, Optional, Sequence

import numpy

from ..extensions import install_extensions
from .gaussian import ClassGaussians
from .probabilities import final_probabilities
from .scores import energy_score, msp_score, standardized_sum
from .settings import oos_block


def oos_scores(cfg: Dict[str, Any], member_logits: numpy.ndarray, probs: numpy.ndarray, features: Optional[numpy.ndarray],
               exclusive: bool = True) -> Optional[numpy.ndarray]:
    """(n,) out-of-scope scores for the component's ``oos.score`` (None for ``"none"``).

    member_logits (n, n_members, C) unscaled; probs (n, C) the component's final scores (used by
    multi-label only: ``msp`` of exclusive intents is taken of the probabilities recomputed from the
    logits in float64, as on dev, since a low temperature can turn float32 rounding of a probability
    near 1 into a visible change of ``msp``); features (n, width) pooled features (scores with
    Gaussians only; None before they are fitted, so the scores are None too). Multi-label:
    1 − max probability."""
    method = oos_block(cfg)["score"]
    if method == "none":
        return None
    if not exclusive:
        return msp_score(numpy.asarray(probs))
    if method == "msp":
        return msp_score(final_probabilities(cfg, member_logits))
    if method == "energy":  # the recurrent member's logits (a bag-of-n-grams member's are on another scale)
        return energy_score(numpy.asarray(member_logits)[:, 0])
    if not cfg.get("oos_gaussian") or features is None:
        return None  # not fitted yet (e.g. during training): nlp-rnn train / tune-oos fit it afterwards
    distance = ClassGaussians.from_text(cfg["oos_gaussian"]).score(numpy.asarray(features))
    if method == "mahalanobis":
        return distance
    if not cfg.get("oos_standardization"):
        return None  # msp_mahalanobis before its standardization is fitted
    msp = msp_score(final_probabilities(cfg, member_logits))
    return standardized_sum({"msp": msp, "mahalanobis": distance}, cfg["oos_standardization"])


def rejected(cfg: Dict[str, Any], scores: Optional[numpy.ndarray], probs: numpy.ndarray, exclusive: bool = True) -> numpy.ndarray:
    """(n,) bool: exclusive → score above ``oos.threshold`` (never when either is None);
    multi-label → no label reaches ``threshold``."""
    probs = numpy.asarray(probs)
    if not exclusive:
        if scores is None:
            return numpy.zeros(len(probs), dtype=bool)
        return probs.max(axis=1, initial=0.0) < cfg.get("threshold", 0.5)
    threshold = oos_block(cfg)["threshold"]
    if scores is None or threshold is None:
        return numpy.zeros(len(probs), dtype=bool)
    return numpy.asarray(scores) > threshold


def mark_docs(docs: Sequence, cfg: Dict[str, Any], scores: Optional[numpy.ndarray], probs: numpy.ndarray, exclusive: bool = True) -> None:
    """Write ``doc._.oos_score`` and ``doc._.out_of_scope`` (nothing when scoring is off)."""
    if scores is None:
        return
    install_extensions()  # the components install them when built; a Doc may come from elsewhere
    flags = rejected(cfg, scores, probs, exclusive)
    for doc, score, flag in zip(docs, scores, flags):
        doc._.oos_score = float(score)
        doc._.out_of_scope = bool(flag)
