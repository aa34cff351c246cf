"""Plain text (``--format text``): raw texts for language models, one document per file or per line.

``doc_per = "file"`` (the default): the whole file, line breaks included, is one document, as
running text needs (e.g. ``../shared/data/tinyshakespeare/train.txt``: cut into lines, every
line of a speech would become a document of its own and the model would learn to end texts at
each line break). ``doc_per = "line"``: every non-blank line is a document (its line break
dropped), e.g. one poem per line (``../shared/data/tang_poems``). A folder reads every file in
it (name order). Files are UTF-8 (a BOM is dropped); a file that is not valid UTF-8 is a bad
record (``file:line: problem``).

Long documents are not cut here: the ``nlp_rnn.LMChunks.v1`` corpus reader cuts them into
fixed-length chunks at training time (see :mod:`nlp_rnn.pipeline.lm_corpus`).
"""

from pathlib import Path
from typing import Iterator, List, Optional, Union

from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report

DOC_PER = ("file", "line")
DEFAULT_DOC_PER = "file"
UNITS = {"file": "one per file", "line": "one per non-blank line"}


def document_unit(doc_per: Optional[str]) -> str:
    """What one document is for ``doc_per`` (None: the default), in words for the report."""
    return UNITS[doc_per or DEFAULT_DOC_PER]


def text_files(path: Union[str, Path]) -> List[Path]:
    """``path`` itself, or the regular files of the folder ``path`` in name order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise FileNotFoundError(f"no text files in folder {path}")
        return files
    if not path.is_file():
        raise FileNotFoundError(f"text file not found: {path}")
    return [path]


def read_text(
    path: Union[str, Path],
    *,
    doc_per: Optional[str] = None,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield one record (text only) per document; ``doc_per`` is "file" (None: the default) or
    "line". With the default, a file of several lines adds a note on ``--doc-per line``."""
    if doc_per is not None and doc_per not in DOC_PER:
        raise ValueError(f"--doc-per must be one of {', '.join(DOC_PER)}, not {doc_per!r}")
    report = resolve_report(report)
    for file in text_files(path):
        if (doc_per or DEFAULT_DOC_PER) == "line":
            yield from _read_lines(file, skip_invalid, report)
            continue
        for record in _read_file(file, skip_invalid, report):
            if doc_per is None and record.text.strip().count("\n") and not report.notes:
                report.notes.append(
                    f"{file}: one document per file (the default, for running text); "
                    "--doc-per line makes one per non-blank line (e.g. a poem per line)"
                )
            yield record


def _read_file(file: Path, skip_invalid: bool, report: ReadReport) -> Iterator[IntentRecord]:
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = file.read_bytes()[: error.start].count(b"\n") + 1
        report.reject(InvalidRecordError(file, line, f"not UTF-8 text ({error.reason})"), skip_invalid)
        return
    if text.strip():
        report.records += 1
        yield IntentRecord(text)


def _read_lines(file: Path, skip_invalid: bool, report: ReadReport) -> Iterator[IntentRecord]:
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                report.reject(InvalidRecordError(file, number, f"not UTF-8 text ({error.reason})"), skip_invalid)
                continue
            line = line.rstrip("\r\n")
            if line.strip():
                report.records += 1
                yield IntentRecord(line)
