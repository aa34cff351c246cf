"""Input readers: every input line (CSV / Parquet: row) becomes one line-numbered SourceRecord.

A bad line is not an exception: it becomes a :class:`SourceRecord` with ``error`` set, so the
output keeps one record per input line and the run goes on. Formats (chosen from the extension,
or named with ``input_format``):

- ``jsonl`` (``.jsonl``, ``.ndjson``): one JSON object per line, the text in ``text_field``, an
  optional id in ``id_field``. Read in binary and decoded line by line, so invalid UTF-8 spoils
  one line only. ``line`` is the physical line number from 1; a blank line is an error record.
- ``text`` (``.txt``): one document per line, without its line ending; an empty line is an empty
  document. ``line`` is the physical line number from 1.
- ``csv`` (``.csv``): a header row naming the columns. ``line`` counts the data rows after the
  header from 1 (a quoted field spanning several physical lines still counts as one row, and a
  blank row counts as a row: an error record).
- ``parquet`` (``.parquet``): ``line`` is the row number from 1. Needs pyarrow.

Reading is streaming (a generator over a file opened once); nothing holds the whole input. Inputs
can be cut into :class:`Shard` s (byte ranges on line boundaries, or row-group ranges) that know
their first line number, so shards are read independently (the Ray engine) with the same numbers.
"""

import csv
import io
import json
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple, Union

from .errors import AnnotateError

FORMATS = ("jsonl", "text", "csv", "parquet")
LINE_FORMATS = ("jsonl", "text")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text", ".csv": "csv", ".parquet": "parquet"}
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20
PARQUET_BATCH = 4096


class SourceRecord(NamedTuple):
    """One input line: its number, the text (``None`` when ``error`` is set) and the id."""

    line: int
    text: Optional[str]
    id: Any = None
    has_id: bool = False
    error: Optional[str] = None


@dataclass(frozen=True)
class Shard:
    """A piece of the input: records from ``first_line`` on, the first ``skip`` of them skipped.

    ``start``/``end`` are byte offsets on line boundaries (jsonl, text), row-group indices
    (parquet, end exclusive) or unused (csv: one shard, the whole file)."""

    first_line: int
    start: int = 0
    end: Optional[int] = None
    skip: int = 0


def detect_format(path: Union[str, Path], input_format: Optional[str] = None) -> str:
    """``input_format`` when given, else the format the extension names."""
    if input_format is not None:
        if input_format not in FORMATS:
            raise AnnotateError(f"unknown input format {input_format!r}: use one of {', '.join(FORMATS)}")
        return input_format
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        raise AnnotateError(f"cannot tell the format of {path} from its extension ({known}): pass --input-format")
    return EXTENSIONS[suffix]


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def json_safe(value: Any) -> Any:
    """``value`` when JSON can hold it, else its ``str`` (Parquet dates, decimals, bytes …)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def strip_line_ending(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    return raw


def decode_error(error: UnicodeDecodeError) -> str:
    return f"invalid UTF-8 at byte {error.start + 1}: {error.reason}"


def parse_text_line(number: int, raw: bytes) -> SourceRecord:
    """A plain-text line: the whole line (without line ending) is the document."""
    try:
        return SourceRecord(number, strip_line_ending(raw).decode("utf-8"))
    except UnicodeDecodeError as error:
        return SourceRecord(number, None, error=decode_error(error))


def parse_json_line(number: int, raw: bytes, text_field: str, id_field: Optional[str]) -> SourceRecord:
    """A JSONL line: a record, or an error record naming the problem."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return SourceRecord(number, None, error=decode_error(error))
    if not line.strip():
        return SourceRecord(number, None, error="blank line (expected a JSON object)")
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return SourceRecord(number, None, error=f"invalid JSON: {error.msg} (column {error.colno})")
    except (ValueError, RecursionError) as error:
        return SourceRecord(number, None, error=f"invalid JSON: {error}")
    if not isinstance(value, dict):
        return SourceRecord(number, None, error=f"expected a JSON object, got {json_type(value)}")
    if text_field not in value:
        return SourceRecord(number, None, error=f'missing "{text_field}"')
    text = value[text_field]
    if not isinstance(text, str):
        return SourceRecord(number, None, error=f'"{text_field}" is not a string (got {json_type(text)})')
    if undecodable(text):
        return SourceRecord(number, None, error=f'"{text_field}" holds an unpaired UTF-16 surrogate escape')
    if id_field is not None and id_field in value:
        return SourceRecord(number, text, value[id_field], True)
    return SourceRecord(number, text)


def count_newlines(handle, start: int = 0, end: Optional[int] = None) -> int:
    """``b"\\n"`` bytes between two offsets, read in 1 MiB chunks."""
    handle.seek(start)
    count, position = 0, start
    while end is None or position < end:
        chunk = handle.read(CHUNK if end is None else min(CHUNK, end - position))
        if not chunk:
            break
        count += chunk.count(b"\n")
        position += len(chunk)
    return count


def undecodable(value: str) -> bool:
    """Whether a string read with ``errors="surrogateescape"`` held invalid UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(frozen=True)
class InputSource:
    """An input file and how to read it. Build with :meth:`open`, which checks what it can."""

    path: Path
    format: str
    text_field: str = "text"
    id_field: Optional[str] = "id"

    @classmethod
    def open(
        cls,
        path: Union[str, Path],
        input_format: Optional[str] = None,
        text_field: str = "text",
        id_field: Optional[str] = "id",
    ) -> "InputSource":
        path = Path(path)
        if not path.is_file():
            raise AnnotateError(f"input file not found: {path}")
        source = cls(path, detect_format(path, input_format), text_field, id_field or None)
        if source.format == "csv":
            source._csv_columns()
        elif source.format == "parquet":
            source._parquet_columns()
        return source

    # -- counting and sharding ------------------------------------------------------------------

    def count(self) -> int:
        """Records in the input, cheaply: newlines (jsonl, text), newlines less the header (csv,
        an estimate when quoted fields hold line breaks), row count from metadata (parquet)."""
        if self.format == "parquet":
            return self._parquet_file().metadata.num_rows
        with self.path.open("rb") as handle:
            lines = count_newlines(handle)
            size = handle.seek(0, io.SEEK_END)
            if size:
                handle.seek(size - 1)
                lines += handle.read(1) != b"\n"
        return max(lines - 1, 0) if self.format == "csv" else lines

    def shards(self, start_line: int = 1, n_shards: int = 1) -> List[Shard]:
        """Up to ``n_shards`` pieces covering the records from ``start_line`` on, in order."""
        if self.format in LINE_FORMATS:
            return self._line_shards(start_line, n_shards)
        if self.format == "parquet":
            return self._parquet_shards(start_line, n_shards)
        return [Shard(first_line=1, skip=start_line - 1)]

    def _line_shards(self, start_line: int, n_shards: int) -> List[Shard]:
        with self.path.open("rb") as handle:
            for _ in range(start_line - 1):
                if not handle.readline():
                    return []
            start = handle.tell()
            size = handle.seek(0, io.SEEK_END)
            if start >= size:
                return []
            cuts = [start]
            for i in range(1, max(n_shards, 1)):
                handle.seek(max(start + (size - start) * i // n_shards - 1, 0))
                handle.readline()
                cut = handle.tell()
                if cuts[-1] < cut < size:
                    cuts.append(cut)
            ends = cuts[1:] + [size]
            shards, first = [], start_line
            for begin, end in zip(cuts, ends):
                shards.append(Shard(first_line=first, start=begin, end=end))
                first += count_newlines(handle, begin, end)
        return shards

    def _parquet_shards(self, start_line: int, n_shards: int) -> List[Shard]:
        metadata = self._parquet_file().metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        firsts, row = [], 1
        for size in sizes:
            firsts.append(row)
            row += size
        groups = [g for g in range(len(sizes)) if firsts[g] + sizes[g] > start_line]
        if not groups:
            return []
        per_shard = -(-len(groups) // max(n_shards, 1))
        shards = []
        for i in range(0, len(groups), per_shard):
            first_group = groups[i]
            skip = max(start_line - firsts[first_group], 0)
            shards.append(Shard(firsts[first_group], first_group, groups[min(i + per_shard, len(groups)) - 1] + 1, skip))
        return shards

    # -- reading --------------------------------------------------------------------------------

    def read(self, start_line: int = 1) -> Iterator[SourceRecord]:
        """Every record from ``start_line`` on (earlier ones are skipped without parsing)."""
        for shard in self.shards(start_line, 1):
            yield from self.read_shard(shard)

    def read_shard(self, shard: Shard) -> Iterator[SourceRecord]:
        if self.format in LINE_FORMATS:
            return self._read_lines(shard)
        if self.format == "csv":
            return self._read_csv(shard)
        return self._read_parquet(shard)

    def raw_batches(self, start_line: int, size: int) -> Iterator[Tuple[int, List[bytes]]]:
        """JSONL / text only: (first line number, up to ``size`` raw lines) from ``start_line``
        on, unparsed, for :meth:`parse_lines` to parse where the work is done (a pool worker)."""
        for shard in self.shards(start_line, 1):
            lines = self._raw_lines(shard)
            while True:
                chunk = list(islice(lines, size))
                if not chunk:
                    break
                yield chunk[0][0], [raw for _, raw in chunk]

    def parse_lines(self, first_line: int, raws: List[bytes]) -> List[SourceRecord]:
        """Records of consecutive raw lines (JSONL / text) numbered from ``first_line``."""
        return [self.parse_line(number, raw) for number, raw in enumerate(raws, start=first_line)]

    def parse_line(self, number: int, raw: bytes) -> SourceRecord:
        if self.format == "jsonl":
            return parse_json_line(number, raw, self.text_field, self.id_field)
        return parse_text_line(number, raw)

    def _read_lines(self, shard: Shard) -> Iterator[SourceRecord]:
        for number, raw in self._raw_lines(shard):
            yield self.parse_line(number, raw)

    def _raw_lines(self, shard: Shard) -> Iterator[Tuple[int, bytes]]:
        with self.path.open("rb") as handle:
            handle.seek(shard.start)
            position, number = shard.start, shard.first_line
            for _ in range(shard.skip):
                raw = handle.readline()
                if not raw:
                    return
                position += len(raw)
                number += 1
            for raw in handle:
                if shard.end is not None and position >= shard.end:
                    return
                if position == 0 and raw.startswith(BOM):
                    raw = raw[len(BOM):]
                position += len(raw)
                yield number, raw
                number += 1

    def _csv_rows(self, handle):
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
        return csv.reader(text)

    def _csv_columns(self) -> tuple:
        """(index of the text column, index of the id column or None); checks the header."""
        with self.path.open("rb") as handle:
            header = next(self._csv_rows(handle), None)
        if not header:
            raise AnnotateError(f"{self.path}: empty CSV, expected a header row naming the columns")
        if self.text_field not in header:
            raise AnnotateError(f"{self.path}: no column {self.text_field!r} in the CSV header {header}: pass --text-field")
        id_index = header.index(self.id_field) if self.id_field in header else None
        return header.index(self.text_field), id_index, len(header)

    def _read_csv(self, shard: Shard) -> Iterator[SourceRecord]:
        text_index, id_index, width = self._csv_columns()
        with self.path.open("rb") as handle:
            rows = self._csv_rows(handle)
            next(rows)
            number = shard.first_line - 1
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    return
                except csv.Error as error:
                    row = error
                number += 1
                if number < shard.first_line + shard.skip:
                    continue
                yield self._csv_record(number, row, text_index, id_index, width)

    def _csv_record(self, number: int, row, text_index: int, id_index: Optional[int], width: int) -> SourceRecord:
        if isinstance(row, csv.Error):
            return SourceRecord(number, None, error=f"invalid CSV row: {row}")
        if not row:
            return SourceRecord(number, None, error="empty row")
        if text_index >= len(row):
            return SourceRecord(number, None, error=f'missing "{self.text_field}" (the row has {len(row)} fields, the header {width})')
        text = row[text_index]
        has_id = id_index is not None and id_index < len(row)
        if undecodable(text) or (has_id and undecodable(row[id_index])):
            return SourceRecord(number, None, error="invalid UTF-8 in the row")
        return SourceRecord(number, text, row[id_index] if has_id else None, has_id)

    def _parquet_file(self):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise AnnotateError("Parquet needs pyarrow: pip install pyarrow (or nlp-rnn[ray])") from None
        try:
            return pq.ParquetFile(self.path)
        except Exception as error:  # pyarrow raises ArrowInvalid, OSError …
            raise AnnotateError(f"cannot read the Parquet file {self.path}: {error}") from error

    def _parquet_columns(self) -> List[str]:
        names = self._parquet_file().schema_arrow.names
        if self.text_field not in names:
            raise AnnotateError(f"{self.path}: no column {self.text_field!r} in the Parquet schema {names}: pass --text-field")
        return [self.text_field] + ([self.id_field] if self.id_field in names else [])

    def _read_parquet(self, shard: Shard) -> Iterator[SourceRecord]:
        import pyarrow as pa

        columns = self._parquet_columns()
        parquet = self._parquet_file()
        text_type = parquet.schema_arrow.field(self.text_field).type
        is_string = pa.types.is_string(text_type) or pa.types.is_large_string(text_type)
        number = shard.first_line
        first_wanted = shard.first_line + shard.skip
        groups = list(range(shard.start, shard.end if shard.end is not None else parquet.num_row_groups))
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH, row_groups=groups, columns=columns, use_threads=False):
            texts = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist() if len(columns) > 1 else None
            for i, text in enumerate(texts):
                if number >= first_wanted:
                    if text is None or not is_string:
                        got = "null" if text is None else str(text_type)
                        yield SourceRecord(number, None, error=f'"{self.text_field}" is not a string (got {got})')
                    elif ids is not None:
                        yield SourceRecord(number, text, json_safe(ids[i]), True)
                    else:
                        yield SourceRecord(number, text)
                number += 1
