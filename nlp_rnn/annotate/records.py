"""Annotation records: ``{"line", "id"?, ...}`` around the shared Doc record, and error records.

``{"line", "id"?, "intent", "confidence", "slots": [{"start", "end", "text", "label",
"confidence"}], "translation"?}`` (the fields after ``id`` are :func:`nlp_rnn.records.doc_record`,
the same function ``nlp-rnn predict`` uses); a line that could not be annotated is ``{"line",
"error"}``. Every engine (one process, a process pool, Ray actors) builds the records where the
Docs live, so custom ``Doc._`` / ``Span._`` attributes never cross a process boundary (spaCy #4737).
"""

import json
from typing import Any, Dict

from spacy.tokens import Doc

from ..records import RecordFields
from ..records import doc_record as prediction_record
from ..records import score  # noqa: F401  (kept importable from here)

RecordSpec = RecordFields  # the name this module used before the record moved to nlp_rnn.records


def annotation_record(doc: Doc, spec: RecordFields, line: int, id: Any = None, has_id: bool = False) -> Dict:
    """The annotation record of one Doc (``id`` is included when the input had one)."""
    record: Dict[str, Any] = {"line": line}
    if has_id:
        record["id"] = id
    record.update(prediction_record(doc, 0, spec))
    return record


def error_record(line: int, error: str) -> Dict:
    """The record standing in for an input line that could not be annotated."""
    return {"line": line, "error": error}


def encode(record: Dict) -> bytes:
    """One compact UTF-8 JSON line, newline included."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
