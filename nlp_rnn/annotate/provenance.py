"""What an annotation output was made from, kept beside it so ``--resume`` never mixes two runs.

A run that starts an output writes ``OUTPUT.source.json`` (e.g. ``annotated.jsonl.source.json``)
before its first record: the input (resolved path, size, and a SHA-256 of its first and last MiB),
the input format and the text / id fields, the model (path and a SHA-256 over its files' names,
sizes and first and last MiB). ``--resume`` on an output that holds records reads it back and
refuses, with one line naming what differs, when this run's input or model is not the one the
output was made from; an output without its ``.source.json`` is refused too (nothing to check it
against). A byte-identical input or model at another path is the same input or model: moving a
corpus does not stop a resume.

Why head + tail + size and not a hash of the whole input: it costs the same for 10 MB and 100 GB,
and it catches the real mistakes (another file; the same file edited, cut or appended to).
"""

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import List, Optional, Union

from .errors import AnnotateError
from .inputs import InputSource

SIDECAR_SUFFIX = ".source.json"
SAMPLE_BYTES = 1 << 20
VERSION = 1


def sidecar_path(output: Union[str, Path]) -> Path:
    """``OUTPUT.source.json`` beside OUTPUT (for a Parquet OUTPUT too, not beside its journal)."""
    output = Path(output)
    return output.with_name(output.name + SIDECAR_SUFFIX)


def _sample_hash(path: Path, digest: "hashlib._Hash") -> int:
    """Feed ``path``'s size, first and last :data:`SAMPLE_BYTES` into ``digest``; return the size."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        digest.update(str(size).encode() + b"\0")
        handle.seek(0)
        digest.update(handle.read(SAMPLE_BYTES))
        if size > SAMPLE_BYTES:
            handle.seek(max(size - SAMPLE_BYTES, SAMPLE_BYTES))
            digest.update(handle.read(SAMPLE_BYTES))
    return size


def file_fingerprint(path: Union[str, Path]) -> tuple:
    """(size in bytes, SHA-256 hex of the size, the first and the last MiB) of one file."""
    digest = hashlib.sha256()
    size = _sample_hash(Path(path), digest)
    return size, digest.hexdigest()


def model_fingerprint(folder: Union[str, Path]) -> str:
    """SHA-256 hex over every file of a pipeline folder: relative name, size, first and last MiB."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        _sample_hash(path, digest)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunSource:
    """The identity of a run's input and model, as saved in ``OUTPUT.source.json``."""

    input_path: str
    input_size: int
    input_sha256: str
    input_format: str
    text_field: Optional[str]
    id_field: Optional[str]
    model_path: str
    model_sha256: str
    version: int = VERSION

    @classmethod
    def of(cls, source: InputSource, model_path: Union[str, Path]) -> "RunSource":
        size, sha = file_fingerprint(source.path)
        uses_fields = source.uses_fields  # plain text has no fields
        return cls(
            input_path=str(source.path.resolve()),
            input_size=size,
            input_sha256=sha,
            input_format=source.format,
            text_field=source.text_field if uses_fields else None,
            id_field=source.id_field if uses_fields else None,
            model_path=str(Path(model_path).resolve()),
            model_sha256=model_fingerprint(model_path),
        )

    @classmethod
    def from_json(cls, data: dict) -> "RunSource":
        names = {f.name for f in fields(cls)}
        missing = names - set(data) - {"version"}
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        return cls(**{key: value for key, value in data.items() if key in names})

    def differences(self, saved: "RunSource") -> List[str]:
        """What differs between ``saved`` (the output's) and this run, one phrase each."""
        found = []
        if (saved.input_size, saved.input_sha256) != (self.input_size, self.input_sha256):
            if saved.input_path == self.input_path:
                what = f"input {self.input_path} has changed since ({saved.input_size:,} bytes then, {self.input_size:,} now)"
            else:
                what = (
                    f"input is {self.input_path} ({self.input_size:,} bytes), the output was made from "
                    f"{saved.input_path} ({saved.input_size:,} bytes)"
                )
            found.append(what)
        if saved.input_format != self.input_format:
            found.append(f"input format is {self.input_format}, the output's was {saved.input_format}")
        for option, now, then in (
            ("--text-field", self.text_field, saved.text_field),
            ("--id-field", self.id_field, saved.id_field),
        ):
            if now != then:
                found.append(f"{option} is {now!r}, the output's was {then!r}")
        if saved.model_sha256 != self.model_sha256:
            if saved.model_path == self.model_path:
                found.append(f"model {self.model_path} has changed since")
            else:
                found.append(f"model is {self.model_path}, the output was made with {saved.model_path}")
        return found


def save_run_source(output: Union[str, Path], run: RunSource, fsync: bool = False) -> Path:
    """Write ``OUTPUT.source.json`` atomically (temporary file, then rename)."""
    path = sidecar_path(output)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(asdict(run), handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        if fsync:
            os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def check_resume(output: Union[str, Path], run: RunSource) -> None:
    """Raise :class:`AnnotateError` (one line: what differs, how to start again) unless the
    records already in ``output`` were made from ``run``'s input and model."""
    path = sidecar_path(output)
    again = "start again with --overwrite (or write to another OUTPUT)"
    if not path.is_file():
        raise AnnotateError(
            f"cannot resume {output}: {path.name}, which says what it was made from, is missing, "
            f"so it cannot be checked against this input and model; {again}"
        )
    try:
        saved = RunSource.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        raise AnnotateError(f"cannot resume {output}: {path.name} is unreadable ({error}); {again}") from None
    differences = run.differences(saved)
    if differences:
        raise AnnotateError(f"cannot resume {output}: {'; '.join(differences)}; {again}")
