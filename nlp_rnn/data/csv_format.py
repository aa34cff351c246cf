"""Reader for CSV files with a text and an intent column (``nlp-rnn convert --format csv``).

The first non-blank row is a header when it names a column: the one given by ``text_column`` /
``intent_column`` (``--text-column`` / ``--label-column``), or a usual name (text: ``text``,
``utterance``, ``sentence``, ``query``, ``question``; intent: ``intent``, ``label``,
``category``, ``class`` and their plurals; any case). The columns are then found by name, in any
order, other columns ignored; without an intent column the records have no intent. A header that
names no text column, or lacks a column asked for, is refused with the header as it was seen.
Without a header (no cell of the first row is a column name), rows are ``text`` or
``text,intent``. An empty intent cell means "no intent". Blank rows are skipped.
"""

import csv
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Union

from .line_records import utf8_lines
from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report
from .validation import check_record

TEXT_NAMES = ("text", "utterance", "sentence", "query", "question")
INTENT_NAMES = ("intent", "label", "category", "class", "intents", "labels", "categories", "classes")


def _find(names: List[str], wanted: Sequence[str]) -> Optional[int]:
    """Index of the first column named like one of ``wanted`` (case-insensitive), or None."""
    for name in wanted:
        if name.lower() in names:
            return names.index(name.lower())
    return None


class CsvColumns:
    """Where the text and intent are in a row, and how many cells a row must have."""

    def __init__(self, header: Optional[List[str]] = None, text: int = 0, intent: Optional[int] = 1):
        self.header, self.text, self.intent = header, text, intent

    @classmethod
    def from_first_row(
        cls,
        row: List[str],
        text_column: Optional[str] = None,
        intent_column: Optional[str] = None,
    ) -> "CsvColumns":
        """The columns for a file whose first non-blank row is ``row``, or :class:`ValueError`
        (with the header as seen) when a header names no text column or not the ones asked for."""
        names = [cell.strip().lower() for cell in row]
        text = _find(names, [text_column] if text_column else TEXT_NAMES)
        intent = _find(names, [intent_column] if intent_column else INTENT_NAMES)
        if text_column is None and intent_column is None and text is None and intent is None:
            return cls()  # no column name in the first row: it is data
        if text is None:
            wanted = repr(text_column) if text_column else f"text column ({', '.join(TEXT_NAMES)})"
            raise ValueError(f"the header {row} has no {wanted}: name it with --text-column")
        if intent_column is not None and intent is None:
            raise ValueError(f"the header {row} has no column {intent_column!r} (--label-column)")
        return cls(row, text, intent)

    def describe(self) -> str:
        """Which columns are read, for the convert report."""
        if self.header is None:
            return "CSV without a header: rows are text,intent"
        intent = repr(self.header[self.intent].strip()) if self.intent is not None else "none"
        return f"CSV header {self.header}: text column {self.header[self.text].strip()!r}, intent column {intent}"

    def record(self, row: List[str]) -> IntentRecord:
        """The row as a record, or :class:`ValueError` naming the problem."""
        if self.header is not None and len(row) != len(self.header):
            raise ValueError(f"expected {len(self.header)} columns like the header, got {len(row)}")
        if self.header is None and len(row) > 2:
            raise ValueError(f"expected 2 columns (text,intent), got {len(row)}")
        has_intent = self.intent is not None and self.intent < len(row)
        intent = row[self.intent].strip() if has_intent else ""
        return check_record(row[self.text], intent or None)


def read_csv(
    path: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
    text_column: Optional[str] = None,
    intent_column: Optional[str] = None,
) -> Iterator[IntentRecord]:
    """Yield the records of a CSV file row by row.

    ``text_column`` / ``intent_column`` name the header's columns (see the module docstring for
    the names found without them). A bad row raises :class:`InvalidRecordError` naming the file
    and the row's first line; with ``skip_invalid`` it is skipped and its message added to
    ``report.invalid``. A bad header, or a line that is not UTF-8, always raises.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CSV file not found: {path}")
    report = resolve_report(report)
    rows = csv.reader(utf8_lines(path))
    columns: Optional[CsvColumns] = None
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
            try:
                columns = CsvColumns.from_first_row(row, text_column, intent_column)
            except ValueError as error:
                raise InvalidRecordError(path, start, str(error)) from None
            report.notes.append(columns.describe())
            if columns.header is not None:
                continue
        try:
            record = columns.record(row)
        except ValueError as error:
            report.reject(InvalidRecordError(path, start, str(error)), skip_invalid)
            continue
        report.records += 1
        yield record
