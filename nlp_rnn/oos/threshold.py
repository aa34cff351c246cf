"""Choosing the rejection threshold on dev data (reject when score > threshold).

- With out-of-scope dev examples: the threshold with the best macro F1 over the known intents
  plus the open class (:func:`threshold_for_open_f1`).
- Without: the threshold that keeps ``in_scope_share`` of the in-scope dev examples
  (:func:`threshold_for_in_scope_share`).
"""

from typing import Dict, Optional, Sequence, Tuple

import numpy


class ThresholdError(ValueError):
    """The dev data cannot give a threshold (e.g. no out-of-scope examples and no share)."""


def threshold_for_in_scope_share(in_scope_scores: Sequence[float], share: float) -> float:
    """The ``share`` quantile of the in-scope scores: about ``share`` of them are ≤ it (kept).
    Linear interpolation between order statistics (numpy's default quantile)."""
    scores = numpy.asarray(in_scope_scores, dtype="float64")
    if not 0.0 < share <= 1.0:
        raise ThresholdError(f"oos_in_scope_share must be in (0, 1], got {share}")
    if len(scores) == 0:
        raise ThresholdError("no in-scope dev examples to choose the out-of-scope threshold on")
    return float(numpy.quantile(scores, share))


def open_macro_f1(gold: numpy.ndarray, pred: numpy.ndarray, n_classes: int) -> float:
    """gold, pred (n,) ids in [0, n_classes] where ``n_classes`` is the open class → macro F1 over
    the classes that occur in gold or pred (the known intents and the open class)."""
    size = n_classes + 1
    tp = numpy.bincount(gold[gold == pred], minlength=size)
    gold_count = numpy.bincount(gold, minlength=size)
    pred_count = numpy.bincount(pred, minlength=size)
    present = (gold_count + pred_count) > 0
    denom = gold_count + pred_count
    f1 = numpy.where(denom > 0, 2 * tp / numpy.maximum(denom, 1), 0.0)
    return float(f1[present].mean()) if present.any() else 0.0


def threshold_for_open_f1(
    scores: Sequence[float], predicted: Sequence[int], gold: Sequence[int], n_classes: int
) -> Tuple[float, float]:
    """Best dev macro F1 over known intents + the open class.

    scores (n,) out-of-scope scores; predicted (n,) argmax intent ids; gold (n,) intent ids with
    ``-1`` (or any id outside [0, n_classes)) for out-of-scope. Candidates: midpoints between
    consecutive distinct scores, plus one above the maximum (reject nothing). Ties → the higher
    threshold (reject less). Returns (threshold, dev macro F1)."""
    scores = numpy.asarray(scores, dtype="float64")
    predicted = numpy.asarray(predicted, dtype="int64")
    gold = numpy.asarray(gold, dtype="int64")
    gold = numpy.where((gold >= 0) & (gold < n_classes), gold, n_classes)
    if not (gold == n_classes).any():
        raise ThresholdError("the dev data has no out-of-scope examples")
    distinct = numpy.unique(scores)
    candidates = numpy.concatenate([(distinct[:-1] + distinct[1:]) / 2, [distinct[-1] + 1.0], [distinct[0] - 1.0]])
    best: Optional[Tuple[float, float]] = None
    for t in numpy.sort(candidates)[::-1]:
        pred = numpy.where(scores > t, n_classes, predicted)
        f1 = open_macro_f1(gold, pred, n_classes)
        if best is None or f1 > best[1] + 1e-12:
            best = (float(t), f1)
    return best


def choose_threshold(
    scores: Sequence[float],
    predicted: Sequence[int],
    gold: Sequence[int],
    n_classes: int,
    in_scope_share: Optional[float],
) -> Dict:
    """Threshold from dev data: by open macro F1 when some gold ids are out of scope (outside
    [0, n_classes)), else by ``in_scope_share``. Returns {"threshold", "method", "dev_value"}.
    Raises :class:`ThresholdError` when there are no out-of-scope examples and no share."""
    gold = numpy.asarray(gold, dtype="int64")
    outside = (gold < 0) | (gold >= n_classes)
    if outside.any():
        threshold, f1 = threshold_for_open_f1(scores, predicted, gold, n_classes)
        return {"threshold": threshold, "method": "dev_macro_f1_open", "dev_value": f1}
    if in_scope_share is None:
        raise ThresholdError(
            "the dev data has no out-of-scope examples (docs with no positive intent) and no "
            "oos_in_scope_share is configured: add out-of-scope dev examples or set oos_in_scope_share (e.g. 0.95)"
        )
    threshold = threshold_for_in_scope_share(numpy.asarray(scores)[~outside], in_scope_share)
    return {"threshold": threshold, "method": "in_scope_share", "dev_value": float(in_scope_share)}
