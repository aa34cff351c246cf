"""RAW_TEXTS for ``nlp-rnn pretrain``: the texts of a JSONL file, a plain-text file or a DocBin.

- ``*.jsonl``: one JSON object per line with a string ``text`` field (other fields, such as an
  intent or slots, are ignored). A line that is not such an object stops the command with
  ``file:line: problem`` (the same rule as ``nlp-rnn convert``); blank lines are skipped.
- ``*.spacy``: a DocBin (e.g. a converted training split); only the Docs' texts are used.
- anything else: UTF-8 plain text, one text per line; blank lines are skipped.

Empty texts (``""`` or only white space) are skipped in every format. A file that is not UTF-8
text is named with its line and byte.
"""

import json
from pathlib import Path
from typing import Iterator, List, Tuple


class RawTextError(ValueError):
    """RAW_TEXTS cannot be read: the message names the file (and line) and the problem."""


def read_raw_texts(path: Path) -> List[str]:
    """The non-empty texts of ``path`` in file order; raises :class:`RawTextError`."""
    path = Path(path)
    if not path.exists():
        raise RawTextError(f"{path}: no such file")
    if path.is_dir():
        raise RawTextError(f"{path}: is a folder; give a .jsonl, .spacy or plain-text file")
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        texts = _docbin_texts(path)
    elif suffix == ".jsonl":
        texts = [_jsonl_text(path, number, line) for number, line in _lines(path) if line.strip()]
    else:
        texts = [line for _, line in _lines(path)]
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise RawTextError(f"{path}: no text found")
    return texts


def _lines(path: Path) -> Iterator[Tuple[int, str]]:
    """(line number, line without its end of line) for every line of a UTF-8 file."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RawTextError(f"{path}:{number}: not UTF-8 text (byte {error.start + 1} of the line)") from None
            if number == 1:
                line = line.lstrip("\ufeff")
            yield number, line.rstrip("\r\n")


def _jsonl_text(path: Path, number: int, line: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise RawTextError(f"{path}:{number}: invalid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise RawTextError(f"{path}:{number}: expected a JSON object with a 'text' field, got {type(record).__name__}")
    if "text" not in record:
        raise RawTextError(f"{path}:{number}: no 'text' field (fields: {', '.join(sorted(record)) or 'none'})")
    if not isinstance(record["text"], str):
        raise RawTextError(f"{path}:{number}: 'text' must be a string, got {type(record['text']).__name__}")
    return record["text"]


def _docbin_texts(path: Path) -> List[str]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        docs = DocBin().from_disk(path).get_docs(Vocab())
        return [doc.text for doc in docs]
    except Exception as error:  # srsly / msgpack / zlib raise several kinds on a corrupt file
        raise RawTextError(f"{path}: not a readable spaCy DocBin ({type(error).__name__}: {error})") from None
