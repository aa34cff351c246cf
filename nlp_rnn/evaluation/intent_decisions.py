"""The intent decision a pipeline makes for each doc, as ``evaluate`` scores it.

A decision is a set of labels: the top intent (exclusive classes) or every label at or above
``threshold`` (multi-label), and the empty set when the doc is out of scope: rejected by the
component (``doc._.out_of_scope``, exclusive intents with an ``oos.threshold``) or, multi-label,
no label reaching the threshold. The *top intent* is what the model would answer without
rejection.
"""

from typing import List, Sequence

from spacy.tokens import Doc

from .intent_metrics import LabelSet, cats_to_labels

OUT_OF_SCOPE = "(out of scope)"  #: the empty decision's name in tables and the confusion matrix


def is_rejected(doc: Doc) -> bool:
    """True when the intent component rejected the doc as out of scope."""
    return Doc.has_extension("out_of_scope") and bool(doc._.out_of_scope)


def top_intents(docs: Sequence[Doc], exclusive: bool, threshold: float) -> List[LabelSet]:
    """Per doc, the labels of ``doc.cats`` without rejection (:func:`cats_to_labels`)."""
    return [cats_to_labels(doc.cats, exclusive, threshold) for doc in docs]


def decided_intents(docs: Sequence[Doc], exclusive: bool, threshold: float) -> List[LabelSet]:
    """Per doc, the pipeline's decision: the top intent(s), or the empty set when rejected."""
    return [frozenset() if exclusive and is_rejected(doc) else labels for doc, labels in zip(docs, top_intents(docs, exclusive, threshold))]


def single_labels(label_sets: Sequence[LabelSet]) -> List[str]:
    """One name per (exclusive) decision: its label, or :data:`OUT_OF_SCOPE` for the empty set."""
    return [next(iter(s)) if s else OUT_OF_SCOPE for s in label_sets]
