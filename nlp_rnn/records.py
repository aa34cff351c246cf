"""Doc → plain JSON-able record: the one place that reads a predicted Doc for output.

``nlp-rnn predict`` (:func:`nlp_rnn.prediction.predict_texts`), ``nlp-rnn annotate``
(:mod:`nlp_rnn.annotate.records`) and the server all call :func:`doc_record` and add their own
keys around it (``text``; ``line`` and ``id``). The fields, in this order::

    {"intent": "GetWeather", "confidence": 0.98,                  # pipelines that write doc.cats
     "ranking": [{"intent": "GetWeather", "score": 0.98}, ...],   # top_k > 0
     "slots": [{"start": 11, "end": 16, "text": "Paris", "label": "city", "confidence": 0.97}],
     "translation": "...",                                        # pipelines with rnn_translator
     "out_of_scope": false, "oos_score": 0.02}                    # intent components with oos.score set

A doc the intent component rejects as out of scope has ``"intent": null`` and
``"out_of_scope": true``; ``confidence`` and ``ranking`` still give the (calibrated) distribution.
``oos_score``: higher = more likely out of scope (see :mod:`nlp_rnn.oos.marking`).

``start`` / ``end`` are character offsets (end exclusive) of the slot trimmed to its content:
whitespace, punctuation and emoji at a span's edges are left out of the record (``doc.ents``
keep them), and a span with nothing else is no slot (:mod:`nlp_rnn.span_edges`). Scores are
rounded to 6 digits and a missing or non-finite score is ``null``. Which optional fields a
pipeline's records carry is decided once per pipeline (:class:`RecordFields`), so every record of
a run has the same keys. To add a field (e.g. out-of-scope scores), add it to
:class:`RecordFields` and :func:`doc_record`.
"""

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from .span_edges import content_bounds

SCORE_DIGITS = 6


@dataclass(frozen=True)
class RecordFields:
    """Which optional fields the records of a pipeline carry.

    ``cats``: a component assigns ``doc.cats`` (``intent`` and ``confidence`` from their argmax,
    ``ranking``). ``slot_scores``: the ``Span._.confidence`` extension exists (else slot
    confidences are null). ``translation``: the pipeline has a component named or made by
    ``rnn_translator`` and the ``Doc._.translation`` extension exists. ``out_of_scope``: an
    intent component scores out-of-scope inputs (its ``oos`` block's ``score`` is not ``"none"``)."""

    cats: bool
    slot_scores: bool
    translation: bool
    out_of_scope: bool = False

    @classmethod
    def from_nlp(cls, nlp: Language) -> "RecordFields":
        metas = [nlp.get_pipe_meta(name) for name in nlp.pipe_names]
        cats = any("doc.cats" in meta.assigns for meta in metas)
        # a component that declares doc._.translation (torch or exported, any name), or one named rnn_translator
        translator = "rnn_translator" in nlp.pipe_names or any("doc._.translation" in meta.assigns for meta in metas)
        # the cfg's out-of-scope block, read as plain JSON (this module sits below nlp_rnn.oos)
        oos = any((getattr(pipe, "cfg", {}).get("oos") or {}).get("score", "none") != "none" for _, pipe in nlp.pipeline)
        return cls(cats, Span.has_extension("confidence"), translator and Doc.has_extension("translation"), oos and Doc.has_extension("oos_score"))

    @classmethod
    def from_doc(cls, doc: Doc) -> "RecordFields":
        """For a Doc whose pipeline is unknown: what the Doc itself holds."""
        translation = Doc.has_extension("translation") and doc._.translation is not None
        oos = Doc.has_extension("oos_score") and doc._.oos_score is not None
        return cls(bool(doc.cats), Span.has_extension("confidence"), translation, oos)


def score(value: Any) -> Optional[float]:
    """A probability rounded to 6 digits; ``None`` for a missing or non-finite value."""
    if value is None:
        return None
    value = float(value)
    return round(value, SCORE_DIGITS) if math.isfinite(value) else None


def slot_record(span: Span, with_score: bool = True) -> Optional[Dict]:
    """``{"start", "end", "text", "label", "confidence"}`` for one predicted span, trimmed to its
    first and last token that is not whitespace, punctuation or emoji (``confidence``: the
    predicted span's); None when no such token is left."""
    bounds = content_bounds(span)
    if bounds is None:
        return None
    content = span.doc[bounds[0] : bounds[1]]
    return {
        "start": content.start_char,
        "end": content.end_char,
        "text": content.text,
        "label": span.label_,
        "confidence": score(span._.confidence) if with_score else None,
    }


def doc_record(doc: Doc, top_k: int = 0, fields: Optional[RecordFields] = None) -> Dict:
    """The record of one predicted Doc (see the module docstring for its fields).

    ``top_k``: how many intents the ``ranking`` lists (0: no ``ranking`` key). ``fields``: the
    pipeline's :class:`RecordFields` (``RecordFields.from_nlp(nlp)``, computed once per run);
    ``None`` decides from the Doc alone."""
    fields = fields if fields is not None else RecordFields.from_doc(doc)
    record: Dict[str, Any] = {}
    if fields.cats:
        ranking = sorted(doc.cats.items(), key=lambda item: -item[1])
        record["intent"], record["confidence"] = (ranking[0][0], score(ranking[0][1])) if ranking else (None, None)
        if top_k > 0:
            record["ranking"] = [{"intent": label, "score": score(value)} for label, value in ranking[:top_k]]
    record["slots"] = [slot for slot in (slot_record(span, fields.slot_scores) for span in doc.ents) if slot is not None]
    if fields.translation:
        record["translation"] = doc._.translation
    if fields.out_of_scope:
        record["out_of_scope"] = bool(doc._.out_of_scope)
        record["oos_score"] = score(doc._.oos_score)
        if record["out_of_scope"] and "intent" in record:
            record["intent"] = None
    return record
