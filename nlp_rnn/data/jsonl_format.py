"""Reader for JSON Lines: ``{"text": ..., "intent": ..., "slots": [{"start", "end", "label"}]}``.

``intent`` is a string, a list of strings (multi-label) or absent/null; ``slots`` is optional,
with character offsets into ``text`` (end exclusive). Blank lines are skipped.
"""

import json
from pathlib import Path
from typing import Iterator, Optional, Union

from .line_records import read_line_records
from .records import IntentRecord, ReadReport
from .validation import check_record


def parse_json_object(line: str) -> dict:
    """One JSONL line as a JSON object, or :class:`ValueError` naming the problem."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error.msg} (column {error.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def parse_jsonl_line(line: str) -> IntentRecord:
    """One JSONL line as a record, or :class:`ValueError` naming the problem."""
    value = parse_json_object(line)
    if "text" not in value:
        raise ValueError('missing "text"')
    return check_record(value["text"], value.get("intent"), value.get("slots"))


def read_jsonl(
    path: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield the records of a JSONL file line by line.

    A bad line raises :class:`InvalidRecordError` (``file:line: problem``); with
    ``skip_invalid`` it is skipped and its message added to ``report.invalid``.
    """
    return read_line_records(path, parse_jsonl_line, kind="JSONL", skip_invalid=skip_invalid, report=report)
