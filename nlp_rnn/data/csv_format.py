"""Reader for CSV files with ``text,intent`` rows.

The header row is optional: a first row with a cell ``text`` is a header, and then the
``text`` and ``intent`` columns are found by name (in any order, other columns ignored; without an
``intent`` column the records have no intent). Without a header, rows are ``text`` or
``text,intent``. An empty intent cell means "no intent". Blank rows are skipped.
"""

import csv
from pathlib import Path
from typing import Iterator, List, Optional, Union

from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report
from .validation import check_record


class _Columns:
    """Where the text and intent are in a row, and how many cells a row must have."""

    def __init__(self, header: Optional[List[str]] = None):
        self.header = header
        if header is None:
            self.text, self.intent = 0, 1
            return
        names = [name.strip().lower() for name in header]
        self.text = names.index("text")
        self.intent = names.index("intent") if "intent" in names else None

    def record(self, row: List[str]) -> IntentRecord:
        """The row as a record, or :class:`ValueError` naming the problem."""
        if self.header is not None and len(row) != len(self.header):
            raise ValueError(f"expected {len(self.header)} columns like the header, got {len(row)}")
        if self.header is None and len(row) > 2:
            raise ValueError(f"expected 2 columns (text,intent), got {len(row)}")
        has_intent = self.intent is not None and self.intent < len(row)
        intent = row[self.intent].strip() if has_intent else ""
        return check_record(row[self.text], intent or None)


def _is_header(row: List[str]) -> bool:
    return any(cell.strip().lower() == "text" for cell in row)


def read_csv(
    path: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield the records of a CSV file row by row.

    A bad row raises :class:`InvalidRecordError` naming the file and the row's first line; with
    ``skip_invalid`` it is skipped and its message added to ``report.invalid``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CSV file not found: {path}")
    report = resolve_report(report)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = csv.reader(stream)
        columns: Optional[_Columns] = None
        line = 1
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                raise InvalidRecordError(path, rows.line_num, f"malformed CSV: {error}") from None
            start, line = line, rows.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _Columns(row if _is_header(row) else None)
                if columns.header is not None:
                    continue
            try:
                record = columns.record(row)
            except ValueError as error:
                report.reject(InvalidRecordError(path, start, str(error)), skip_invalid)
                continue
            report.records += 1
            yield record
