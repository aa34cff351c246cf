"""RAW_TEXTS for ``nlp-rnn pretrain``: the texts of a JSONL file, a plain-text file or a DocBin.

- ``*.jsonl``: one JSON object per line with a string ``text`` field (other fields, such as an
  intent or slots, are ignored). A line that is not such an object stops the command with
  ``file:line: problem`` (the same rule as ``nlp-rnn convert``); blank lines are skipped.
- ``*.spacy``: a DocBin (e.g. a converted training split); only the Docs' texts are used.
- anything else: UTF-8 plain text, one text per line; blank lines are skipped.

Empty texts (``""`` or only white space) are skipped in every format. A file that is not UTF-8
text is named with its line and byte.
"""

from pathlib import Path
from typing import List

from ..data.jsonl_format import parse_json_object
from ..data.line_records import read_line_records, utf8_lines
from ..data.records import InvalidRecordError


class RawTextError(ValueError):
    """RAW_TEXTS cannot be read: the message names the file (and line) and the problem."""


def read_raw_texts(path: Path) -> List[str]:
    """The non-empty texts of ``path`` in file order; raises :class:`RawTextError`. Lines are read
    by :mod:`nlp_rnn.data.line_records` (BOM dropped, a line that is not UTF-8 named by line and byte)."""
    path = Path(path)
    if not path.exists():
        raise RawTextError(f"{path}: no such file")
    if path.is_dir():
        raise RawTextError(f"{path}: is a folder; give a .jsonl, .spacy or plain-text file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".spacy":
            texts = _docbin_texts(path)
        elif suffix == ".jsonl":
            texts = list(read_line_records(path, _jsonl_text, kind="JSONL"))
        else:
            texts = [line.rstrip("\r\n") for line in utf8_lines(path)]
    except InvalidRecordError as error:
        raise RawTextError(str(error)) from None
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise RawTextError(f"{path}: no text found")
    return texts


def _jsonl_text(line: str) -> str:
    """The ``text`` of one JSONL line; ``ValueError`` naming the problem (the reader adds file:line)."""
    record = parse_json_object(line)
    if "text" not in record:
        raise ValueError(f"no 'text' field (fields: {', '.join(sorted(record)) or 'none'})")
    if not isinstance(record["text"], str):
        raise ValueError(f"'text' must be a string, got {type(record['text']).__name__}")
    return record["text"]


def _docbin_texts(path: Path) -> List[str]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        docs = DocBin().from_disk(path).get_docs(Vocab())
        return [doc.text for doc in docs]
    except Exception as error:  # srsly / msgpack / zlib raise several kinds on a corrupt file
        raise RawTextError(f"{path}: not a readable spaCy DocBin ({type(error).__name__}: {error})") from None
