"""Out-of-scope metrics: gold and predicted *label sets*, the empty set meaning out of scope.

For exclusive intents each set has one label, or none when the doc is out of scope (gold) or
rejected (prediction); for multi-label components a doc is rejected when no label reaches the
threshold, and the metrics are computed the same way. The open class is one more class.
All values are fractions 0-1.
"""

from typing import Dict, FrozenSet, Optional, Sequence

import numpy

from .intent_metrics import intent_scores

OPEN_CLASS = "<out_of_scope>"


def _with_open(labels: FrozenSet[str]) -> FrozenSet[str]:
    return labels if labels else frozenset([OPEN_CLASS])


def oos_auroc(scores: Sequence[float], is_oos: Sequence[bool]) -> Optional[float]:
    """Area under the ROC curve of ``scores`` (higher = out of scope) for finding out-of-scope
    docs: the chance that a random out-of-scope doc scores above a random in-scope one (ties
    count half). None when either class is absent."""
    scores = numpy.asarray(scores, dtype="float64")
    positive = numpy.asarray(is_oos, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return None
    order = numpy.argsort(scores, kind="mergesort")
    ranks = numpy.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def fpr_at_tpr(scores: Sequence[float], is_oos: Sequence[bool], tpr: float = 0.95) -> Optional[float]:
    """Share of in-scope docs flagged at the highest threshold that flags at least ``tpr`` of the
    out-of-scope docs (flagged = score ≥ threshold). None when either class is absent."""
    scores = numpy.asarray(scores, dtype="float64")
    positive = numpy.asarray(is_oos, dtype=bool)
    if not positive.any() or positive.all():
        return None
    pos = numpy.sort(scores[positive])[::-1]
    k = int(numpy.ceil(tpr * len(pos) - 1e-9))  # need at least k positives flagged
    threshold = pos[max(k, 1) - 1]
    return float((scores[~positive] >= threshold).mean())


def oos_metrics(
    gold: Sequence[FrozenSet[str]], predicted: Sequence[FrozenSet[str]], scores: Optional[Sequence[float]] = None
) -> Dict:
    """``in_scope_accuracy`` (in-scope docs only; a rejection is an error), ``accuracy`` (all docs,
    out of scope as one class), ``oos_precision`` / ``oos_recall`` / ``oos_f1`` (the open class),
    ``macro_f1_open`` (every known intent in gold or prediction + the open class), ``n_oos`` and,
    with ``scores`` (higher = out of scope), ``oos_auroc`` and ``oos_fpr_at_95_tpr``."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predictions")
    gold_open = [_with_open(frozenset(g)) for g in gold]
    pred_open = [_with_open(frozenset(p)) for p in predicted]
    scored = intent_scores(gold_open, pred_open)
    open_class = scored["per_intent"].get(OPEN_CLASS, {"precision": 0.0, "recall": 0.0, "f1": 0.0})
    in_scope = [(g, p) for g, p in zip(gold_open, pred_open) if OPEN_CLASS not in g]
    is_oos = [OPEN_CLASS in g for g in gold_open]
    results = {
        "in_scope_accuracy": sum(g == p for g, p in in_scope) / len(in_scope) if in_scope else 0.0,
        "accuracy": scored["intent_accuracy"],
        "oos_precision": open_class["precision"],
        "oos_recall": open_class["recall"],
        "oos_f1": open_class["f1"],
        "macro_f1_open": scored["intent_macro_f1"],
        "n_oos": sum(is_oos),
    }
    if scores is not None:
        results["oos_auroc"] = oos_auroc(scores, is_oos)
        results["oos_fpr_at_95_tpr"] = fpr_at_tpr(scores, is_oos, 0.95)
    return results
