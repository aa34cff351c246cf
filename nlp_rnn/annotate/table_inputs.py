"""Column inputs: CSV and Parquet.

- ``csv`` (``.csv``): a header row naming the columns. ``line`` counts the data rows after the
  header from 1 (a quoted field spanning several physical lines still counts as one row, and a
  blank row counts as a row: an error record). One shard: the whole file.
- ``parquet`` (``.parquet``): ``line`` is the row number from 1; sharded by row groups. Needs
  pyarrow.
"""

import csv
import io
from typing import TYPE_CHECKING, Iterator, List, Optional, Tuple

from .errors import AnnotateError
from .input_reader import InputReader, Shard, SourceRecord, json_safe, missing_column, undecodable
from .line_inputs import count_lines

if TYPE_CHECKING:
    from .inputs import InputSource

PARQUET_BATCH = 4096


class CsvReader(InputReader):
    name = "csv"
    extensions = (".csv",)

    @staticmethod
    def _rows(handle):
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
        return csv.reader(text)

    def columns(self, source: "InputSource") -> Tuple[int, Optional[int], int]:
        """(index of the text column, index of the id column or None, header width)."""
        with source.path.open("rb") as handle:
            header = next(self._rows(handle), None)
        if not header:
            raise AnnotateError(f"{source.path}: empty CSV, expected a header row naming the columns")
        if source.text_field not in header:
            raise missing_column(source, "CSV header", header)
        id_index = header.index(source.id_field) if source.id_field in header else None
        return header.index(source.text_field), id_index, len(header)

    check = columns

    def count(self, source: "InputSource") -> int:
        """Newlines less the header: an estimate when quoted fields hold line breaks."""
        return max(count_lines(source.path) - 1, 0)

    def shards(self, source: "InputSource", start_line: int, n_shards: int) -> List[Shard]:
        return [Shard(first_line=1, skip=start_line - 1)]

    def read_shard(self, source: "InputSource", shard: Shard) -> Iterator[SourceRecord]:
        text_index, id_index, width = self.columns(source)
        with source.path.open("rb") as handle:
            rows = self._rows(handle)
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
                yield self._record(source, number, row, text_index, id_index, width)

    @staticmethod
    def _record(source, number: int, row, text_index: int, id_index: Optional[int], width: int) -> SourceRecord:
        if isinstance(row, csv.Error):
            return SourceRecord(number, None, error=f"invalid CSV row: {row}")
        if not row:
            return SourceRecord(number, None, error="empty row")
        if text_index >= len(row):
            return SourceRecord(
                number, None, error=f'missing "{source.text_field}" (the row has {len(row)} fields, the header {width})'
            )
        text = row[text_index]
        has_id = id_index is not None and id_index < len(row)
        if undecodable(text) or (has_id and undecodable(row[id_index])):
            return SourceRecord(number, None, error="invalid UTF-8 in the row")
        return SourceRecord(number, text, row[id_index] if has_id else None, has_id)


class ParquetReader(InputReader):
    name = "parquet"
    extensions = (".parquet",)

    @staticmethod
    def file(source: "InputSource"):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise AnnotateError("Parquet needs pyarrow: pip install pyarrow (or nlp-rnn[ray])") from None
        try:
            return pq.ParquetFile(source.path)
        except Exception as error:  # pyarrow raises ArrowInvalid, OSError …
            raise AnnotateError(f"cannot read the Parquet file {source.path}: {error}") from error

    def columns(self, source: "InputSource") -> List[str]:
        names = self.file(source).schema_arrow.names
        if source.text_field not in names:
            raise missing_column(source, "Parquet schema", names)
        return [source.text_field] + ([source.id_field] if source.id_field in names else [])

    check = columns

    def count(self, source: "InputSource") -> int:
        return self.file(source).metadata.num_rows

    def shards(self, source: "InputSource", start_line: int, n_shards: int) -> List[Shard]:
        metadata = self.file(source).metadata
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

    def read_shard(self, source: "InputSource", shard: Shard) -> Iterator[SourceRecord]:
        import pyarrow as pa

        columns = self.columns(source)
        parquet = self.file(source)
        text_type = parquet.schema_arrow.field(source.text_field).type
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
                        yield SourceRecord(number, None, error=f'"{source.text_field}" is not a string (got {got})')
                    elif ids is not None:
                        yield SourceRecord(number, text, json_safe(ids[i]), True)
                    else:
                        yield SourceRecord(number, text)
                number += 1
