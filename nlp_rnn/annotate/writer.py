"""The output file: whole JSON lines appended in input order, flushed after every batch, resumable.

A batch is written with one ``write`` of complete lines and flushed (``fsync`` optional), so a
crash or ``kill -9`` loses at most the batch in flight and can leave at most one partial line at
the end. :func:`recover` drops that partial line (truncating the file to the end of the last
complete line) and returns the last complete record's ``line``; the run resumes after it, so the
output has no gap and no duplicate. The file is scanned from its end: resuming costs the same
however large the output is.
"""

import json
import os
from pathlib import Path
from typing import BinaryIO, Optional, Union

from .annotator import EncodedBatch
from .errors import AnnotateError

CHUNK = 1 << 16


def record_line(raw: bytes) -> Optional[int]:
    """The ``line`` of an output record, or ``None`` when ``raw`` is not one."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    line = value.get("line") if isinstance(value, dict) else None
    return line if isinstance(line, int) and not isinstance(line, bool) else None


def line_start(handle: BinaryIO, end: int) -> int:
    """The offset just after the last ``b"\\n"`` before ``end`` (0 when there is none)."""
    position = end
    while position > 0:
        size = min(CHUNK, position)
        handle.seek(position - size)
        index = handle.read(size).rfind(b"\n")
        if index >= 0:
            return position - size + index + 1
        position -= size
    return 0


def recover(path: Union[str, Path]) -> int:
    """Make ``path`` end with a complete record; return that record's ``line`` (0: empty).

    Refuses (:class:`AnnotateError`) when the last complete line is not an annotation record, so
    a wrong OUTPUT is never truncated."""
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        end = line_start(handle, size)
        last = 0
        if end > 0:
            start = line_start(handle, end - 1)
            handle.seek(start)
            last = record_line(handle.read(end - start))
            if last is None:
                raise AnnotateError(
                    f"{path} does not end with an annotation record (a JSON object with \"line\"): not resuming it"
                )
        if end < size:
            handle.truncate(end)
    return last


class OutputWriter:
    """Appends :class:`EncodedBatch` es to a JSONL file; ``last_line`` is the last line written."""

    def __init__(self, path: Union[str, Path], *, resume: bool = False, overwrite: bool = False, fsync: bool = False):
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            self.resumed_after = recover(self.path)
        elif self.path.exists() and self.path.stat().st_size > 0 and not overwrite:
            raise AnnotateError(f"{self.path} exists: pass --resume to continue it or --overwrite to start again")
        else:
            self.resumed_after = 0
            self.path.write_bytes(b"")
        self.last_line = self.resumed_after
        self._file: Optional[BinaryIO] = self.path.open("ab")

    def write(self, batch: EncodedBatch) -> None:
        """Append a batch of complete lines and flush them to the OS (and to disk with ``fsync``)."""
        if not batch.records:
            return
        if batch.first_line <= self.last_line:
            raise AnnotateError(
                f"internal error: lines {batch.first_line}-{batch.last_line} arrived after line {self.last_line}"
            )
        self._file.write(batch.data)
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())
        self.last_line = batch.last_line

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "OutputWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
