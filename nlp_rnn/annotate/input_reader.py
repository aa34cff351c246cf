"""The interface every annotation input format implements, and the records it yields.

A reader turns every input line (CSV / Parquet: row) into one line-numbered
:class:`SourceRecord`; a bad line is not an exception but a record with ``error`` set, so the
output keeps one record per input line and the run goes on. Inputs are cut into :class:`Shard` s
that know their first line number, so shards are read independently (the Ray engine) with the
same numbers. Readers hold no state: the :class:`~nlp_rnn.annotate.inputs.InputSource` (path,
fields) is passed to every method, and both travel to worker processes by pickling.
"""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, List, NamedTuple, Optional, Tuple

from .errors import AnnotateError

if TYPE_CHECKING:
    from .inputs import InputSource


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


class InputReader:
    """One input format. ``name`` is its ``--input-format``, ``extensions`` the file suffixes
    that select it; ``uses_fields``: whether ``--text-field`` / ``--id-field`` apply;
    ``raw_lines``: whether it can hand out raw lines for workers to parse (:meth:`raw_lines_of`,
    :meth:`parse_line`), so that parsing happens in the worker processes."""

    name: ClassVar[str]
    extensions: ClassVar[Tuple[str, ...]]
    uses_fields: ClassVar[bool] = True
    raw_lines: ClassVar[bool] = False

    def check(self, source: "InputSource") -> None:
        """Raise :class:`AnnotateError` when the input cannot be read at all (e.g. no text column)."""

    def count(self, source: "InputSource") -> int:
        """Records in the input, cheaply (an estimate is fine: it drives the progress bar)."""
        raise NotImplementedError

    def shards(self, source: "InputSource", start_line: int, n_shards: int) -> List[Shard]:
        """Up to ``n_shards`` pieces covering the records from ``start_line`` on, in order."""
        raise NotImplementedError

    def read_shard(self, source: "InputSource", shard: Shard) -> Iterator[SourceRecord]:
        raise NotImplementedError

    def raw_lines_of(self, source: "InputSource", shard: Shard) -> Iterator[Tuple[int, bytes]]:
        """(line number, raw line) of a shard, unparsed (``raw_lines`` readers only)."""
        raise NotImplementedError(f"{self.name} input has no raw lines")

    def parse_line(self, source: "InputSource", number: int, raw: bytes) -> SourceRecord:
        """One raw line as a record (``raw_lines`` readers only)."""
        raise NotImplementedError(f"{self.name} input has no raw lines")


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


def undecodable(value: str) -> bool:
    """Whether a string read with ``errors="surrogateescape"`` held invalid UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def missing_column(source: "InputSource", kind: str, names: List[str]) -> AnnotateError:
    return AnnotateError(f"{source.path}: no column {source.text_field!r} in the {kind} {names}: pass --text-field")
