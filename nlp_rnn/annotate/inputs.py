"""Annotation inputs: the registry of formats and :class:`InputSource`, a file and how to read it.

One reader per format, each behind the :class:`~nlp_rnn.annotate.input_reader.InputReader`
interface: ``jsonl`` and ``text`` (:mod:`.line_inputs`), ``csv`` and ``parquet``
(:mod:`.table_inputs`). The format comes from the extension or ``input_format``; every other
module asks the :class:`InputSource` (which asks its reader) instead of switching on the name.
Every input line (CSV / Parquet: row) becomes one line-numbered :class:`SourceRecord`, a bad line
an error record. Reading is streaming (a generator over a file opened once); nothing holds the
whole input.

To add a format: write an ``InputReader`` subclass and add it to :data:`READERS`.
"""

from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

from .errors import AnnotateError
from .input_reader import InputReader, Shard, SourceRecord, json_safe, json_type, undecodable
from .line_inputs import JsonlReader, TextReader, parse_json_line
from .table_inputs import CsvReader, ParquetReader

__all__ = [
    "EXTENSIONS", "FORMATS", "READERS", "InputReader", "InputSource", "Shard", "SourceRecord",
    "detect_format", "json_safe", "json_type", "parse_json_line", "undecodable",
]

READERS: Dict[str, InputReader] = {reader.name: reader for reader in (JsonlReader(), TextReader(), CsvReader(), ParquetReader())}
FORMATS = tuple(READERS)
EXTENSIONS = {extension: reader.name for reader in READERS.values() for extension in reader.extensions}


def detect_format(path: Union[str, Path], input_format: Optional[str] = None) -> str:
    """``input_format`` when given, else the format the extension names."""
    if input_format is not None:
        if input_format not in READERS:
            raise AnnotateError(f"unknown input format {input_format!r}: use one of {', '.join(FORMATS)}")
        return input_format
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        raise AnnotateError(f"cannot tell the format of {path} from its extension ({known}): pass --input-format")
    return EXTENSIONS[suffix]


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
        source.reader.check(source)
        return source

    @property
    def reader(self) -> InputReader:
        return READERS[self.format]

    @property
    def uses_fields(self) -> bool:
        """Whether ``text_field`` / ``id_field`` mean anything for this format (not for plain text)."""
        return self.reader.uses_fields

    @property
    def has_raw_lines(self) -> bool:
        """Whether workers can be given raw lines to parse (:meth:`raw_batches`, :meth:`parse_lines`)."""
        return self.reader.raw_lines

    def count(self) -> int:
        """Records in the input, cheaply (an estimate for CSV with line breaks in quoted fields)."""
        return self.reader.count(self)

    def shards(self, start_line: int = 1, n_shards: int = 1) -> List[Shard]:
        """Up to ``n_shards`` pieces covering the records from ``start_line`` on, in order."""
        return self.reader.shards(self, start_line, n_shards)

    def read(self, start_line: int = 1) -> Iterator[SourceRecord]:
        """Every record from ``start_line`` on (earlier ones are skipped without parsing)."""
        for shard in self.shards(start_line, 1):
            yield from self.read_shard(shard)

    def read_shard(self, shard: Shard) -> Iterator[SourceRecord]:
        return self.reader.read_shard(self, shard)

    def raw_batches(self, start_line: int, size: int) -> Iterator[Tuple[int, List[bytes]]]:
        """(first line number, up to ``size`` raw lines) from ``start_line`` on, unparsed, for
        :meth:`parse_lines` to parse where the work is done (a pool worker)."""
        for shard in self.shards(start_line, 1):
            lines = self.reader.raw_lines_of(self, shard)
            while True:
                chunk = list(islice(lines, size))
                if not chunk:
                    break
                yield chunk[0][0], [raw for _, raw in chunk]

    def parse_lines(self, first_line: int, raws: List[bytes]) -> List[SourceRecord]:
        """Records of consecutive raw lines numbered from ``first_line``."""
        return [self.reader.parse_line(self, number, raw) for number, raw in enumerate(raws, start=first_line)]

    def parse_line(self, number: int, raw: bytes) -> SourceRecord:
        return self.reader.parse_line(self, number, raw)
