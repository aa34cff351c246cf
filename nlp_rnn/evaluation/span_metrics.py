"""Span metrics with conlleval semantics, sentence exact match, and tokenizer reachability.

A span is ``(start, end, label)`` (character offsets, end exclusive, or token offsets: the
metrics only compare tuples). A predicted span is correct only when start, end and label all
equal a gold span's; partial overlaps count as one false positive and one false negative, as
in conlleval and seqeval. A gold label the model never saw in training simply never matches, so
it costs recall and never crashes anything.

Tokenizers cut through gold spans (jieba merges a slot with its neighbour: Rasa #5972, #6752),
and a token-level tagger can never predict a span whose ends fall inside tokens.
:func:`count_unreachable` measures how many gold spans a tokenization can express.
"""

from collections import Counter
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Dict,
    Iterable,
    Optional,
    Sequence,
    Tuple,
    Union,
)

if TYPE_CHECKING:  # spaCy is only needed for the type hints
    from spacy.tokens import Doc

Span = Tuple[int, int, str]  # (start, end exclusive, label)
Intent = Union[None, str, AbstractSet[str], Sequence[str]]


def _prf(true_pos: int, n_pred: int, n_gold: int) -> Tuple[float, float, float]:
    """precision, recall, F1 in 0-1 (0 where undefined, as conlleval prints it)."""
    precision = true_pos / n_pred if n_pred else 0.0
    recall = true_pos / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _span_counter(spans: Iterable[Span]) -> Counter:
    return Counter((int(start), int(end), str(label)) for start, end, label in spans)


def span_scores(gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]) -> Dict:
    """Exact-match span precision / recall / F1, micro-averaged over all spans, and per label.

    ``gold`` and ``predicted`` hold one iterable of ``(start, end, label)`` per sentence.
    Returns ``span_precision``, ``span_recall``, ``span_f1`` (fractions in 0-1) and
    ``per_label``: {label: {precision, recall, f1, support}} for every label in gold or
    predictions (``support`` = gold spans of that label).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predictions")
    true_pos: Counter = Counter()
    n_gold: Counter = Counter()
    n_pred: Counter = Counter()
    for gold_spans, pred_spans in zip(gold, predicted):
        gold_counts, pred_counts = _span_counter(gold_spans), _span_counter(pred_spans)
        for (_, _, label), count in (gold_counts & pred_counts).items():
            true_pos[label] += count
        for (_, _, label), count in gold_counts.items():
            n_gold[label] += count
        for (_, _, label), count in pred_counts.items():
            n_pred[label] += count
    per_label = {}
    for label in sorted(set(n_gold) | set(n_pred)):
        precision, recall, f1 = _prf(true_pos[label], n_pred[label], n_gold[label])
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": n_gold[label],
        }
    precision, recall, f1 = _prf(
        sum(true_pos.values()), sum(n_pred.values()), sum(n_gold.values())
    )
    return {
        "span_precision": precision,
        "span_recall": recall,
        "span_f1": f1,
        "per_label": per_label,
    }


def _intent_set(intent: Intent) -> AbstractSet[str]:
    """An intent (None, one label, or a collection of labels) as a set of labels."""
    if intent is None:
        return frozenset()
    if isinstance(intent, str):
        return frozenset([intent])
    return frozenset(intent)


def exact_match(
    gold_intents: Sequence[Intent],
    pred_intents: Sequence[Intent],
    gold_spans: Sequence[Iterable[Span]],
    pred_spans: Sequence[Iterable[Span]],
) -> float:
    """The fraction of sentences whose intent and whole span set are both right (0 if none).

    An intent is ``None``, a label, or a set / list of labels (multi-label); ``"a"`` and
    ``{"a"}`` are the same intent. Span order does not matter.
    """
    sizes = {len(gold_intents), len(pred_intents), len(gold_spans), len(pred_spans)}
    if len(sizes) != 1:
        raise ValueError(
            f"inputs differ in length: {len(gold_intents)} gold intents, {len(pred_intents)} "
            f"predicted intents, {len(gold_spans)} gold and {len(pred_spans)} predicted span lists"
        )
    if not gold_intents:
        return 0.0
    correct = sum(
        _intent_set(gold_intent) == _intent_set(pred_intent)
        and _span_counter(gold) == _span_counter(pred)
        for gold_intent, pred_intent, gold, pred in zip(
            gold_intents, pred_intents, gold_spans, pred_spans
        )
    )
    return correct / len(gold_intents)


def unreachable_spans(
    docs_gold_spans_char: Sequence[Iterable[Span]],
    token_boundaries: Sequence[Iterable[Tuple[int, int]]],
) -> Tuple[int, int]:
    """``(n_unreachable, n_total)``: gold character spans that do not start on a token start
    and end on a token end.

    ``docs_gold_spans_char``: per doc, its ``(start, end, label)`` character spans;
    ``token_boundaries``: per doc, the ``(start, end)`` character offsets of its tokens.
    """
    if len(docs_gold_spans_char) != len(token_boundaries):
        raise ValueError(
            f"{len(docs_gold_spans_char)} span lists but {len(token_boundaries)} tokenizations"
        )
    unreachable = total = 0
    for spans, tokens in zip(docs_gold_spans_char, token_boundaries):
        offsets = list(tokens)
        starts = {start for start, _ in offsets}
        ends = {end for _, end in offsets}
        for start, end, _ in spans:
            total += 1
            unreachable += start not in starts or end not in ends
    return unreachable, total


def token_offsets(doc: "Doc") -> Iterable[Tuple[int, int]]:
    """The ``(start, end)`` character offsets of a Doc's tokens (trailing spaces excluded)."""
    return [(token.idx, token.idx + len(token)) for token in doc]


def count_unreachable(
    gold_char_spans: Sequence[Iterable[Span]], docs: Sequence["Doc"]
) -> Tuple[int, int]:
    """``(n_unreachable, n_total)`` for gold ``(start, end, label)`` character spans over the
    tokenization of the matching spaCy Docs, e.g. ``nlp.make_doc(text)`` with jieba."""
    return unreachable_spans(gold_char_spans, [token_offsets(doc) for doc in docs])


def doc_spans(doc: "Doc", spans_key: Optional[str] = None) -> Sequence[Span]:
    """A Doc's ``(start_char, end_char, label)`` spans: ``doc.ents``, or ``doc.spans[key]``."""
    spans = doc.ents if spans_key is None else doc.spans.get(spans_key, [])
    return [(span.start_char, span.end_char, span.label_) for span in spans]
