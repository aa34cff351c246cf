"""Annotation records: one plain JSON-able dict per Doc, built in one place.

``{"line", "id"?, "intent", "confidence", "slots": [{"start", "end", "label", "text", "score"}],
"translation"?}``; a line that could not be annotated is ``{"line", "error"}``. Building the dict
is the only place that reads Docs, so every engine (one process, a process pool, Ray actors) turns
Docs into records where the Docs live, and custom ``Doc._`` / ``Span._`` attributes never have to
cross a process boundary (spaCy #4737).
"""

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

TRANSLATOR = "rnn_translator"
SCORE_DIGITS = 6


@dataclass(frozen=True)
class RecordSpec:
    """Which fields a pipeline's records carry, decided once after loading it.

    ``cats``: a component assigns ``doc.cats`` (intent and confidence from their argmax).
    ``slot_scores``: the ``Span._.confidence`` extension exists (else slot scores are null).
    ``translation``: the pipeline has a component named or made by ``rnn_translator`` and the
    ``Doc._.translation`` extension exists."""

    cats: bool
    slot_scores: bool
    translation: bool

    @classmethod
    def from_nlp(cls, nlp: Language) -> "RecordSpec":
        metas = [nlp.get_pipe_meta(name) for name in nlp.pipe_names]
        cats = any("doc.cats" in meta.assigns for meta in metas)
        translator = TRANSLATOR in nlp.pipe_names or any(meta.factory == TRANSLATOR for meta in metas)
        return cls(cats, Span.has_extension("confidence"), translator and Doc.has_extension("translation"))


def score(value: Any) -> Optional[float]:
    """A probability rounded to 6 digits; ``None`` for a missing or non-finite value."""
    if value is None:
        return None
    value = float(value)
    return round(value, SCORE_DIGITS) if math.isfinite(value) else None


def doc_record(doc: Doc, spec: RecordSpec, line: int, id: Any = None, has_id: bool = False) -> Dict:
    """The annotation record of one Doc (``id`` is included when the input had one)."""
    record: Dict[str, Any] = {"line": line}
    if has_id:
        record["id"] = id
    if spec.cats:
        if doc.cats:
            label, value = max(doc.cats.items(), key=lambda item: item[1])
            record["intent"], record["confidence"] = label, score(value)
        else:
            record["intent"], record["confidence"] = None, None
    record["slots"] = [
        {
            "start": span.start_char,
            "end": span.end_char,
            "label": span.label_,
            "text": span.text,
            "score": score(span._.confidence) if spec.slot_scores else None,
        }
        for span in doc.ents
    ]
    if spec.translation:
        record["translation"] = doc._.translation
    return record


def error_record(line: int, error: str) -> Dict:
    """The record standing in for an input line that could not be annotated."""
    return {"line": line, "error": error}


def encode(record: Dict) -> bytes:
    """One compact UTF-8 JSON line, newline included."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
