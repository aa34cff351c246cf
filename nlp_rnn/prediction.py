"""Turn pipeline output into plain JSON-able records (``nlp-rnn predict``, the server).

The record itself is built by :func:`nlp_rnn.records.doc_record`, shared with ``nlp-rnn
annotate``; this module adds the ``text`` and always carries ``intent`` / ``confidence`` /
``ranking`` (null and empty for a pipeline without an intent component).
"""

from dataclasses import replace
from typing import Dict, Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span

from .records import RecordFields, doc_record, slot_record

__all__ = ["intent_record", "predict_texts", "slot_record"]


def intent_record(doc: Doc, top_k: int = 3, fields: RecordFields = None) -> Dict:
    """``{"text", "intent", "confidence", "ranking": [{"intent", "score"}, ...], "slots": [...]}``
    (and ``translation`` when ``fields`` say so).

    ``slots`` lists the entities with char offsets, text, label and confidence (empty when the
    pipeline has no tagger)."""
    if fields is None:
        fields = RecordFields(cats=True, slot_scores=Span.has_extension("confidence"), translation=False)
    return {"text": doc.text, **doc_record(doc, top_k, replace(fields, cats=True))}


def predict_texts(nlp: Language, texts: Iterable[str], top_k: int = 3, batch_size: int = 256) -> Iterator[Dict]:
    """Stream one record per text, in input order (``translation`` too for translator pipelines)."""
    fields = RecordFields.from_nlp(nlp)
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield intent_record(doc, top_k, fields)
