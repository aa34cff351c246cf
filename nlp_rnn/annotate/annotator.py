"""Annotate one batch of input records with a loaded pipeline, where the pipeline lives.

Every engine calls :class:`Annotator` in the process that holds the model (the main process, a
pool worker, a Ray actor) and gets back an :class:`EncodedBatch`: the batch's output lines, already
JSON-encoded, in input order. Only texts go in and only bytes come out, so inter-process traffic
stays small and custom ``Doc._`` attributes are read before a Doc would ever be pickled.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Set, Tuple, Union

from spacy.language import Language
from spacy.util import import_file

from ..loading import load_pipeline
from .errors import AnnotateError
from .inputs import SourceRecord
from ..records import RecordFields
from .records import annotation_record, encode, error_record

_IMPORTED: Set[str] = set()


@dataclass
class EncodedBatch:
    """Output lines for input lines ``first_line`` … ``last_line``: ``records`` JSON lines in
    ``data`` (``errors`` of them error records; ``first_error``: ``"line N: problem"`` of the
    first, ``""`` when there is none, a string either way so Ray's Arrow blocks keep one type)."""

    first_line: int
    last_line: int
    records: int
    errors: int
    data: bytes
    first_error: str = ""


def import_code(code: Optional[Union[str, Path]]) -> None:
    """Import a Python file with custom components / extensions (spaCy's ``--code``), once."""
    if code is None or str(code) in _IMPORTED:
        return
    if not Path(code).is_file():
        raise AnnotateError(f"--code file not found: {code}")
    import_file("nlp_rnn_annotate_code", code)
    _IMPORTED.add(str(code))


def load_annotator(model_path: Union[str, Path], code: Optional[Union[str, Path]] = None) -> "Annotator":
    """Import ``code`` and load the pipeline folder (nlp_rnn's components come from their entry
    points, as in ``spacy.load``)."""
    import_code(code)
    return Annotator(load_pipeline(Path(model_path)))


class Annotator:
    """Pipeline + its :class:`~nlp_rnn.records.RecordFields`: source records in, encoded output lines out."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.spec = RecordFields.from_nlp(nlp)
        self.succeeded = False

    def __call__(self, items: Sequence[Sequence]) -> EncodedBatch:
        """``items``: :class:`SourceRecord` s (or plain tuples of their fields), in input order."""
        items = [item if isinstance(item, SourceRecord) else SourceRecord(*item) for item in items]
        good = [item for item in items if item.error is None]
        lines: List[bytes] = []
        errors, first_error = 0, ""
        with self._memory_zone():
            docs = iter(self._docs([item.text for item in good]))
            for item in items:
                line, error = self._encode(item, next(docs) if item.error is None else None)
                if error is not None:
                    errors += 1
                    first_error = first_error or f"line {item.line}: {error}"
                lines.append(line)
        first = items[0].line if items else 0
        last = items[-1].line if items else 0
        return EncodedBatch(first, last, len(lines), errors, b"".join(lines), first_error)

    def _memory_zone(self):
        """spaCy's memory zone (spaCy ≥ 3.8): strings and lexemes the batch adds to the vocab are
        freed after it, so a long run over text with ever new words keeps a flat memory. The
        Docs are turned into records inside the zone and never used after it."""
        zone = getattr(self.nlp, "memory_zone", None)
        return zone() if zone is not None else nullcontext()

    def _docs(self, texts: List[str]) -> list:
        """A Doc per text; when the batch fails, each text alone, an exception for those that fail."""
        if not texts:
            return []
        try:
            docs = list(self.nlp.pipe(texts, batch_size=len(texts)))
            self.succeeded = True
            return docs
        except Exception:  # a component failed on some document: find which
            pass
        docs = []
        for text in texts:
            try:
                docs.append(self.nlp(text))
                self.succeeded = True
            except Exception as error:
                docs.append(error)
        if not self.succeeded:
            error = docs[0]
            raise AnnotateError(f"the pipeline fails on every document: {type(error).__name__}: {error}") from error
        return docs

    def _encode(self, item: SourceRecord, doc) -> Tuple[bytes, Optional[str]]:
        """(output line, the error when it is an error record, else ``None``)."""
        if item.error is not None:
            return encode(error_record(item.line, item.error)), item.error
        if isinstance(doc, Exception):
            error = f"annotation failed: {type(doc).__name__}: {doc}"
            return encode(error_record(item.line, error)), error
        try:
            return encode(annotation_record(doc, self.spec, item.line, item.id, item.has_id)), None
        except Exception as failure:  # an unserializable id / translation, a lone surrogate …
            error = f"cannot write the record: {type(failure).__name__}: {failure}"
            return encode(error_record(item.line, error)), error
