"""Choosing the rejection threshold on dev data (reject when score > threshold).

- With out-of-scope dev examples: the threshold with the best macro F1 over the known intents
  plus the open class (:func:`threshold_for_open_f1`).
- Without, and ``max_in_scope_loss`` set: the lowest threshold (the most rejection) that costs at
  most that much in-scope dev accuracy against no rejection (:func:`threshold_for_in_scope_loss`).
- Without, otherwise: the threshold that keeps ``in_scope_share`` of the in-scope dev examples
  (:func:`threshold_for_in_scope_share`).

:func:`rejection_figures` says what a chosen threshold does on the dev data.
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
        raise ThresholdError(f"oos.in_scope_share must be in (0, 1], got {share}")
    if len(scores) == 0:
        raise ThresholdError("no in-scope dev examples to choose the out-of-scope threshold on")
    return float(numpy.quantile(scores, share))


def threshold_for_in_scope_loss(in_scope_scores: Sequence[float], predicted: Sequence[int], gold: Sequence[int], max_loss: float) -> float:
    """The lowest threshold at which in-scope dev accuracy (a rejection counts as an error) is at
    most ``max_loss`` below the accuracy without rejection. Rejecting a misclassified doc costs
    nothing, so a score that flags the model's own mistakes first can reject many docs.

    in_scope_scores, predicted, gold: (n,) over the in-scope dev docs. Candidates are midpoints
    between consecutive distinct scores, from the top; the search stops at the first over budget."""
    scores = numpy.asarray(in_scope_scores, dtype="float64")
    if not 0.0 <= max_loss < 1.0:
        raise ThresholdError(f"oos.max_in_scope_loss must be in [0, 1), got {max_loss}")
    if len(scores) == 0:
        raise ThresholdError("no in-scope dev examples to choose the out-of-scope threshold on")
    correct = numpy.asarray(predicted) == numpy.asarray(gold)
    floor = correct.mean() - max_loss - 1e-12
    order = numpy.argsort(-scores, kind="mergesort")  # highest score first
    kept_correct = correct.sum() - numpy.cumsum(correct[order])  # correct docs kept after rejecting the first i+1
    threshold = float(scores.max()) + 1.0  # reject nothing
    for i, index in enumerate(order):
        if i + 1 < len(order) and scores[order[i + 1]] == scores[index]:
            continue  # a threshold cannot split tied scores
        if kept_correct[i] / len(scores) < floor:
            break
        # midway between the last doc rejected and the first kept, so that a kept doc's score
        # recomputed in another batch or precision stays below it
        threshold = float(scores[index] + scores[order[i + 1]]) / 2 if i + 1 < len(order) else float(scores.min()) - 1.0
    return threshold


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
    max_in_scope_loss: Optional[float] = None,
) -> Dict:
    """Threshold from dev data: by open macro F1 when some gold ids are out of scope (outside
    [0, n_classes)), else by ``max_in_scope_loss`` when set, else by ``in_scope_share``.
    Returns {"threshold", "method", "dev_value"}. Raises :class:`ThresholdError` when there are
    no out-of-scope examples, no loss budget and no share."""
    gold = numpy.asarray(gold, dtype="int64")
    outside = (gold < 0) | (gold >= n_classes)
    if outside.any():
        threshold, f1 = threshold_for_open_f1(scores, predicted, gold, n_classes)
        return {"threshold": threshold, "method": "dev_macro_f1_open", "dev_value": f1}
    if max_in_scope_loss is not None:
        scores = numpy.asarray(scores)[~outside]
        threshold = threshold_for_in_scope_loss(scores, numpy.asarray(predicted)[~outside], gold[~outside], max_in_scope_loss)
        return {"threshold": threshold, "method": "in_scope_loss", "dev_value": float((scores <= threshold).mean())}
    if in_scope_share is None:
        raise ThresholdError(
            "the dev data has no out-of-scope examples (docs with no positive intent) and neither oos.in_scope_share "
            "nor oos.max_in_scope_loss is configured: add out-of-scope dev examples or set oos.in_scope_share (e.g. 0.95)"
        )
    threshold = threshold_for_in_scope_share(numpy.asarray(scores)[~outside], in_scope_share)
    return {"threshold": threshold, "method": "in_scope_share", "dev_value": float(in_scope_share)}


def rejection_figures(scores: Sequence[float], predicted: Sequence[int], gold: Sequence[int], n_classes: int, threshold: float) -> Dict:
    """What a threshold does on (dev) data: {"in_scope_accuracy": share of the in-scope docs kept
    and given their gold intent, "oos_recall": share of the out-of-scope docs (gold outside
    [0, n_classes)) rejected}; either is None when there are no such docs."""
    scores, predicted, gold = (numpy.asarray(a) for a in (scores, predicted, gold))
    kept = scores <= threshold
    inside = (gold >= 0) & (gold < n_classes)
    accuracy = float((kept & (predicted == gold))[inside].mean()) if inside.any() else None
    recall = float((~kept)[~inside].mean()) if (~inside).any() else None
    return {"in_scope_accuracy": accuracy, "oos_recall": recall}
