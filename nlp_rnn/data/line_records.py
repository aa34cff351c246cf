"""Read UTF-8 text files line by line with line-numbered errors.

Files are read in binary and decoded one line at a time, so a byte that is not UTF-8 (a binary
file given by mistake, a Latin-1 export) is reported as ``file:line: not UTF-8 text: byte 0x.. at
column N`` instead of a bare codec message with no file or line.
"""

from pathlib import Path
from typing import Callable, Iterator, Optional, Tuple

from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report

BOM = b"\xef\xbb\xbf"


def utf8_problem(raw: bytes, error: UnicodeDecodeError) -> str:
    """The problem with an undecodable line, for ``file:line: problem``."""
    hint = " (a binary file?)" if b"\0" in raw else ""
    return (
        f"not UTF-8 text{hint}: byte 0x{raw[error.start]:02x} at byte {error.start + 1} of the line "
        f"({error.reason}); convert the file to UTF-8"
    )


def numbered_lines(path: Path) -> Iterator[Tuple[int, str, Optional[InvalidRecordError]]]:
    """``(line number from 1, text with its line ending, error)`` for every line of ``path``; a
    leading BOM is dropped. ``error`` is an :class:`InvalidRecordError` for a line that is not
    UTF-8 (its text is then ``""``), else ``None``."""
    path = Path(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as error:
                yield number, "", InvalidRecordError(path, number, utf8_problem(raw, error))


def utf8_lines(path: Path) -> Iterator[str]:
    """The lines of ``path`` (line endings kept, BOM dropped) for readers that need a text
    stream (CSV, ``char tag`` files); a line that is not UTF-8 raises :class:`InvalidRecordError`."""
    for _, line, error in numbered_lines(path):
        if error is not None:
            raise error
        yield line


def read_line_records(
    path: Path,
    parse_line: Callable[[str], IntentRecord],
    *,
    kind: str,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield ``parse_line(line)`` for every non-blank line of ``path`` (UTF-8, BOM allowed).

    ``parse_line`` raises ``ValueError`` for a bad line; that becomes :class:`InvalidRecordError`
    (``file:line: problem``), or with ``skip_invalid`` a message in ``report.invalid``; a line
    that is not UTF-8 too. ``kind`` names the file type in the error for a missing file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} file not found: {path}")
    report = resolve_report(report)
    for number, line, error in numbered_lines(path):
        if error is not None:
            report.reject(error, skip_invalid)
            continue
        if not line.strip():
            continue
        try:
            record = parse_line(line)
        except ValueError as failure:
            report.reject(InvalidRecordError(path, number, str(failure)), skip_invalid)
            continue
        report.records += 1
        yield record
