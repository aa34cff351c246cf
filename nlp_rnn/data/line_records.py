"""Read a one-record-per-line text file with line-numbered errors."""

from pathlib import Path
from typing import Callable, Iterator, Optional

from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report


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
    (``file:line: problem``), or with ``skip_invalid`` a message in ``report.invalid``.
    ``kind`` names the file type in the error for a missing file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} file not found: {path}")
    report = resolve_report(report)
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = parse_line(line)
            except ValueError as error:
                report.reject(InvalidRecordError(path, number, str(error)), skip_invalid)
                continue
            report.records += 1
            yield record
