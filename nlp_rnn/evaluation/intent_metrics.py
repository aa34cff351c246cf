"""Intent metrics: accuracy, macro F1 and per-intent precision / recall / F1.

Each document has a *set* of gold intents and a set of predicted intents (one element each for
exclusive classes). A gold label the model never saw in training simply never matches, so it
counts as an error and never crashes anything.
"""

from collections import Counter
from typing import Dict, FrozenSet, Iterable, List, Sequence, Tuple

LabelSet = FrozenSet[str]


def cats_to_labels(cats: Dict[str, float], exclusive: bool, threshold: float = 0.5) -> LabelSet:
    """The labels a ``doc.cats`` dict stands for: the argmax (exclusive) or all ≥ threshold."""
    if not cats:
        return frozenset()
    if exclusive:
        best = max(cats, key=lambda label: cats[label])
        return frozenset([best]) if cats[best] > 0 else frozenset()
    return frozenset(label for label, score in cats.items() if score >= threshold)


def exclusive_gold_ids(all_cats: Iterable[Dict[str, float]], intents: Sequence[str], missing: int) -> List[int]:
    """Index in ``intents`` of each gold ``cats`` dict's (exclusive) intent; ``missing`` where a
    document has no gold intent or one that is not in ``intents``."""
    index = {label: i for i, label in enumerate(intents)}
    ids = []
    for cats in all_cats:
        labels = cats_to_labels(cats, True)
        ids.append(index.get(next(iter(labels)), missing) if labels else missing)
    return ids


def intent_scores(gold: Sequence[LabelSet], predicted: Sequence[LabelSet]) -> Dict:
    """Returns ``intent_accuracy`` (exact set match), ``intent_macro_f1`` and ``per_intent``
    ({label: {precision, recall, f1, support}}), all fractions in 0-1."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predictions")
    true_pos: Counter = Counter()
    false_pos: Counter = Counter()
    false_neg: Counter = Counter()
    correct = 0
    for gold_set, pred_set in zip(gold, predicted):
        correct += gold_set == pred_set
        for label in gold_set & pred_set:
            true_pos[label] += 1
        for label in pred_set - gold_set:
            false_pos[label] += 1
        for label in gold_set - pred_set:
            false_neg[label] += 1
    labels = sorted(set(true_pos) | set(false_pos) | set(false_neg))
    per_intent = {}
    for label in labels:
        tp, fp, fn = true_pos[label], false_pos[label], false_neg[label]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    macro_f1 = sum(s["f1"] for s in per_intent.values()) / len(per_intent) if per_intent else 0.0
    return {
        "intent_accuracy": correct / len(gold) if gold else 0.0,
        "intent_macro_f1": macro_f1,
        "per_intent": per_intent,
    }


def confusion_matrix(
    gold: Iterable[str], predicted: Iterable[str]
) -> Tuple[List[str], List[List[int]]]:
    """Labels (sorted) and counts[gold_index][predicted_index] for single-label predictions."""
    pairs = list(zip(gold, predicted))
    labels = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for g, p in pairs:
        counts[index[g]][index[p]] += 1
    return labels, counts
