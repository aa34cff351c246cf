"""Slot labels ↔ BILUO tag ids: gold tags from Examples, spans (with confidences) from tag ids."""

from typing import List, Optional, Sequence

from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.training.iob_utils import biluo_tags_to_spans, doc_to_biluo_tags
from spacy.util import filter_spans

from .tag_schemes import biluo_tags


class SlotTagSet:
    """The tag list for some slot labels: ``O`` then ``B-x I-x L-x U-x`` for each label
    (:func:`nlp_rnn.tag_schemes.biluo_tags`); tag id 0 is ``O``."""

    def __init__(self, labels: Sequence[str]):
        self.labels = list(labels)
        self.tags = biluo_tags(self.labels)
        self.index = {tag: i for i, tag in enumerate(self.tags)}

    def __len__(self) -> int:
        return len(self.tags)

    def gold_tag_ids(self, example: Example, spans_key: Optional[str] = None) -> List[int]:
        """Gold tag id per predicted token. Tokens the gold spans cannot be aligned to, missing
        annotation and labels unseen at initialization count as ``O``."""
        if spans_key is None:
            tags = doc_to_biluo_tags(example.reference) if same_tokens(example) else example.get_aligned_ner()
        else:
            tags = _aligned_span_group_tags(example, spans_key)
        return [self.index.get(tag, 0) if tag else 0 for tag in tags]

    def spans(self, doc: Doc, tag_ids: Sequence[int], confidences: Optional[Sequence[float]]) -> List[Span]:
        """Spans for well-formed tag ids; ``span._.confidence`` is the mean tag marginal (``None``
        when ``confidences`` is None: the component was told not to compute them)."""
        tags = [self.tags[i] for i in tag_ids[: len(doc)]]
        spans = biluo_tags_to_spans(doc, tags)
        for span in spans:
            span._.confidence = None if confidences is None else float(sum(confidences[span.start : span.end]) / len(span))
        return spans


def same_tokens(example: Example) -> bool:
    """True when the predicted and reference Docs have the same tokens: the gold tags then need no
    alignment (``Example.get_aligned_ner`` builds one at every call, 0.3 ms a doc)."""
    predicted, reference = example.predicted, example.reference
    return len(predicted) == len(reference) and all(a.idx == b.idx and len(a) == len(b) for a, b in zip(predicted, reference))


def _aligned_span_group_tags(example: Example, key: str) -> List[Optional[str]]:
    """BILUO tags of ``reference.spans[key]`` (non-overlapping) aligned to predicted tokens."""
    reference = example.reference
    group = reference.spans[key] if key in reference.spans else []
    shadow = Doc(reference.vocab, words=[t.text for t in reference], spaces=[bool(t.whitespace_) for t in reference])
    shadow.ents = [Span(shadow, s.start, s.end, label=s.label_) for s in filter_spans(list(group))]
    return Example(example.predicted, shadow).get_aligned_ner()

