"""Parquet output: a resumable JSONL journal beside ``OUTPUT.parquet``, converted at the end.

A Parquet file cannot be appended to safely line by line, so a run writing ``out.parquet``
annotates into ``out.parquet.journal.jsonl`` (the same resumable writer as JSONL output), then
streams the journal into ``out.parquet`` chunk by chunk (one row group each) and deletes it.
Columns: ``line`` int64, ``id`` (int64 when every id is an integer, else string: JSON text for
non-strings), ``error`` string, ``intent`` string, ``confidence`` double, ``slots``
list<struct<start, end, label, text, confidence>>, ``translation`` string; only those that occur.
"""

import json
import os
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from .errors import AnnotateError

CHUNK_LINES = 16384


def is_parquet(path) -> bool:
    return Path(path).suffix.lower() == ".parquet"


def journal_path(output: Path) -> Path:
    return output.with_name(output.name + ".journal.jsonl")


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise AnnotateError("Parquet output needs pyarrow: pip install pyarrow (or nlp-rnn[ray])") from None
    return pa, pq


def _chunks(journal: Path) -> Iterator[List[Dict]]:
    chunk: List[Dict] = []
    with journal.open("rb") as lines:
        for raw in lines:
            chunk.append(json.loads(raw))
            if len(chunk) == CHUNK_LINES:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _columns(journal: Path) -> Tuple[List[str], bool]:
    """The keys that occur (in a fixed order) and whether every id is an integer."""
    order = ["line", "id", "error", "intent", "confidence", "slots", "translation"]
    seen, int_ids = set(), True
    for chunk in _chunks(journal):
        for record in chunk:
            seen.update(record)
            if "id" in record and record["id"] is not None:
                int_ids = int_ids and isinstance(record["id"], int) and not isinstance(record["id"], bool)
    return [key for key in order if key in seen] or ["line"], int_ids


def convert_journal(journal: Path, output: Path) -> None:
    """Stream the JSONL journal into ``output`` (written to a temporary name, then renamed)."""
    pa, pq = _pyarrow()
    slot = pa.struct(
        [("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string()), ("confidence", pa.float64())]
    )
    columns, int_ids = _columns(journal)
    types = {
        "line": pa.int64(), "id": pa.int64() if int_ids else pa.string(), "error": pa.string(), "intent": pa.string(),
        "confidence": pa.float64(), "slots": pa.list_(slot), "translation": pa.string(),
    }
    schema = pa.schema([(name, types[name]) for name in columns])
    temporary = output.with_name(output.name + ".tmp")
    with pq.ParquetWriter(temporary, schema) as writer:
        for chunk in _chunks(journal):
            if not int_ids and "id" in columns:
                for record in chunk:
                    value = record.get("id")
                    if value is not None and not isinstance(value, str):
                        record["id"] = json.dumps(value, ensure_ascii=False)
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    os.replace(temporary, output)
