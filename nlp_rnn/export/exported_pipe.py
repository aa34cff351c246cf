"""The exported (ONNX) component of every head: one pipe class, the head's task
(:mod:`nlp_rnn.pipeline.task`) saying what differs. It predicts with the task's runtime
(onnxruntime graphs and numpy, :mod:`nlp_rnn.onnx_runtime`), writes annotations and scores
with the same task code as the torch component, and never trains.

A component folder holds ``cfg`` (JSON: the torch component's settings and labels, plus what the
runtime reads) and the task's *parts* (:attr:`Task.exported_parts`), each a JSON file or bytes (an
ONNX graph); ``to_bytes`` holds the same as msgpack. Loading a folder that lacks a required part
fails with one line naming the folder. This module imports no torch.
"""

from pathlib import Path
from typing import Any, Dict, Iterable

import srsly
from spacy import util
from spacy.tokens import Doc

from ..extensions import install_extensions
from ..onnx_runtime.parts import BYTES
from ..pipeline.predict_only_pipe import PredictOnlyPipe
from ..pipeline.task import Task


class ExportedPipe(PredictOnlyPipe):
    """Runs a task's exported runtime (loaded from a folder written by ``nlp-rnn export``)."""

    def __init__(self, vocab, name: str, task: Task):
        install_extensions()  # before the first doc: records decide their fields from them at load time
        self.vocab = vocab
        self.name = name
        self.task = task
        self.cfg: Dict[str, Any] = {}
        self.runtime: Any = None
        self.parts_data: Dict[str, Any] = {}

    # --- prediction (writing and scoring: PredictOnlyPipe, the task) --------------------------------

    def predict(self, docs: Iterable[Doc]) -> Any:
        if self.runtime is None:
            raise ValueError(f"{self.name!r} has no model: load it from a folder written by `nlp-rnn export`")
        return self.task.predict_exported(self, list(docs))

    # --- state ---------------------------------------------------------------------------------

    def set_parts(self, cfg: Dict[str, Any], parts: Dict[str, Any]) -> None:
        """Install ``cfg`` and the parts read from disk or bytes (optional ones may be missing)."""
        self.set_cfg(cfg)
        self.runtime = self.task.load_runtime(self, parts)
        self.parts_data = dict(parts)

    def set_cfg(self, cfg: Dict[str, Any]) -> None:
        """Settings (also of a component saved before it was loaded, which has no parts)."""
        self.cfg.update(self.task.saved_cfg(cfg))
        self.task.on_cfg_loaded(self)

    # --- serialization -------------------------------------------------------------------------

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        for name, value in self.parts_data.items():
            if isinstance(value, bytes):
                (path / name).write_bytes(value)
            else:
                srsly.write_json(path / name, value)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = Path(path)
        try:
            cfg = srsly.read_json(path / "cfg")
            if not any((path / name).exists() for name, _, _ in self.task.exported_parts):
                self.set_cfg(cfg)
                return self
            self.set_parts(cfg, self._read_parts(path))
        except Exception as error:  # OSError, JSON errors, onnxruntime's own exceptions
            raise ValueError(f"cannot load component {self.name!r} from {path}: {error}") from error
        return self

    def _read_parts(self, path: Path) -> Dict[str, Any]:
        parts = {}
        for name, kind, required in self.task.exported_parts:
            file = path / name
            if not file.exists():
                if required:
                    raise FileNotFoundError(f"{name} is missing")
                continue
            parts[name] = file.read_bytes() if kind == BYTES else srsly.read_json(file)
        return parts

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        return srsly.msgpack_dumps({"cfg": self.cfg, "parts": self.parts_data})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        if msg["parts"]:
            self.set_parts(msg["cfg"], msg["parts"])
        else:
            self.set_cfg(msg["cfg"])
        return self
