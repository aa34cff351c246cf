"""Line-per-record inputs: JSONL and plain text.

- ``jsonl`` (``.jsonl``, ``.ndjson``): one JSON object per line, the text in ``text_field``, an
  optional id in ``id_field``. Read in binary and decoded line by line, so invalid UTF-8 spoils
  one line only. ``line`` is the physical line number from 1; a blank line is an error record.
- ``text`` (``.txt``): one document per line, without its line ending; an empty line is an empty
  document. ``line`` is the physical line number from 1.

Both are sharded by byte ranges on line boundaries, and hand raw lines to the workers, which
parse them (:meth:`LineReader.parse_line`).
"""

import io
import json
from typing import TYPE_CHECKING, Iterator, List, Optional, Tuple

from .input_reader import InputReader, Shard, SourceRecord, json_type, undecodable

if TYPE_CHECKING:
    from .inputs import InputSource

BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20


def strip_line_ending(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    return raw


def decode_error(error: UnicodeDecodeError) -> str:
    return f"invalid UTF-8 at byte {error.start + 1}: {error.reason}"


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


def count_lines(path) -> int:
    """Lines in a file: its newlines, plus one for a last line without a line ending."""
    with open(path, "rb") as handle:
        lines = count_newlines(handle)
        size = handle.seek(0, io.SEEK_END)
        if size:
            handle.seek(size - 1)
            lines += handle.read(1) != b"\n"
    return lines


class LineReader(InputReader):
    """One record per physical line; subclasses say how a raw line becomes a record."""

    raw_lines = True

    def count(self, source: "InputSource") -> int:
        return count_lines(source.path)

    def shards(self, source: "InputSource", start_line: int, n_shards: int) -> List[Shard]:
        with source.path.open("rb") as handle:
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

    def read_shard(self, source: "InputSource", shard: Shard) -> Iterator[SourceRecord]:
        for number, raw in self.raw_lines_of(source, shard):
            yield self.parse_line(source, number, raw)

    def raw_lines_of(self, source: "InputSource", shard: Shard) -> Iterator[Tuple[int, bytes]]:
        with source.path.open("rb") as handle:
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


class TextReader(LineReader):
    """``text``: the whole line (without its line ending) is the document."""

    name = "text"
    extensions = (".txt",)
    uses_fields = False

    def parse_line(self, source: "InputSource", number: int, raw: bytes) -> SourceRecord:
        try:
            return SourceRecord(number, strip_line_ending(raw).decode("utf-8"))
        except UnicodeDecodeError as error:
            return SourceRecord(number, None, error=decode_error(error))


class JsonlReader(LineReader):
    """``jsonl``: a JSON object per line, the text in ``text_field``, the id in ``id_field``."""

    name = "jsonl"
    extensions = (".jsonl", ".ndjson")

    def parse_line(self, source: "InputSource", number: int, raw: bytes) -> SourceRecord:
        return parse_json_line(number, raw, source.text_field, source.id_field)


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
