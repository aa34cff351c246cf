"""What every exported (ONNX) component shares: no training, batching, and one save format.

A component folder holds ``cfg`` (JSON: the torch component's settings and labels) and the
component's *parts*, each a file named in :attr:`ExportedPipe.PARTS`: JSON (a featurizer, a
vocabulary, CRF transitions) or bytes (ONNX graphs). ``to_bytes`` holds the same, as msgpack. A
subclass says which parts it has and installs them in :meth:`ExportedPipe.set_parts`; loading a
folder that lacks a required part fails with one line naming the folder. This module imports no
torch (exported pipelines run without it).
"""

from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, Tuple

import srsly
from spacy import util
from spacy.pipeline import Pipe
from spacy.tokens import Doc

JSON, BYTES = "json", "bytes"


class ExportedPipe(Pipe):
    """Base class of the ``*_onnx`` components: ``predict`` / ``set_annotations`` are the
    subclass's; :meth:`parts` and :meth:`set_parts` move its state to and from disk."""

    #: (file name, JSON or BYTES, required) of each part, in the order :meth:`set_parts` takes them
    PARTS: Tuple[Tuple[str, str, bool], ...] = ()

    @property
    def is_trainable(self) -> bool:
        return False

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for docs in util.minibatch(stream, size=batch_size):
            self.set_annotations(docs, self.predict(docs))
            yield from docs

    # --- state ---------------------------------------------------------------------------------

    def parts(self) -> Dict[str, Any]:
        """{file name: JSON-able value or bytes} of the loaded state; {} before loading."""
        raise NotImplementedError

    def set_parts(self, cfg: Dict[str, Any], parts: Dict[str, Any]) -> None:
        """Install ``cfg`` and the parts read from disk or bytes (optional ones may be missing)."""
        raise NotImplementedError

    def set_cfg(self, cfg: Dict[str, Any]) -> None:
        """Settings without parts (a component saved before it was loaded)."""
        self.cfg.update(cfg)

    # --- serialization -------------------------------------------------------------------------

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        for name, value in self.parts().items():
            if isinstance(value, bytes):
                (path / name).write_bytes(value)
            else:
                srsly.write_json(path / name, value)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = Path(path)
        try:
            cfg = srsly.read_json(path / "cfg")
            if not any((path / name).exists() for name, _, _ in self.PARTS):
                self.set_cfg(cfg)
                return self
            self.set_parts(cfg, self._read_parts(path))
        except Exception as error:  # OSError, JSON errors, onnxruntime's own exceptions
            raise ValueError(f"cannot load component {self.name!r} from {path}: {error}") from error
        return self

    def _read_parts(self, path: Path) -> Dict[str, Any]:
        parts = {}
        for name, kind, required in self.PARTS:
            file = path / name
            if not file.exists():
                if required:
                    raise FileNotFoundError(f"{name} is missing")
                continue
            parts[name] = file.read_bytes() if kind == BYTES else srsly.read_json(file)
        return parts

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        return srsly.msgpack_dumps({"cfg": self.cfg, "parts": self.parts()})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        if msg["parts"]:
            self.set_parts(msg["cfg"], msg["parts"])
        else:
            self.set_cfg(msg["cfg"])
        return self

