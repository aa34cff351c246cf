"""Serialization shared by the nlp_rnn components.

A component folder holds ``cfg`` (JSON: labels and settings), ``model.json`` (vocabularies and
sizes) and ``model.safetensors`` (weights). Loading rebuilds the torch module from the JSON before
loading the weights, so a saved pipeline loads in a fresh process, and on CPU when trained on GPU.
"""

from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence

import srsly
from spacy import util
from spacy.pipeline import TrainablePipe

from ..architectures.torch_model import get_model_state, set_model_state
from ..featurizer import FeaturizedBatch
from ..training.example_cache import BatchCompute, ExampleCache


class ModelLoadError(ValueError):
    """A saved component is missing files or holds corrupt data."""


class RNNPipe(TrainablePipe):
    """Base class: disk and bytes serialization of cfg + lazily built torch model."""

    def _model_is_built(self) -> bool:
        return bool(self.model.layers)

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        if self._model_is_built():
            config, weights = get_model_state(self.model)
            srsly.write_json(path / "model.json", config)
            (path / "model.safetensors").write_bytes(weights)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = util.ensure_path(path)
        try:
            self.cfg.update(srsly.read_json(path / "cfg"))
            self._on_cfg_loaded()
            if (path / "model.json").exists():
                config = srsly.read_json(path / "model.json")
                weights = (path / "model.safetensors").read_bytes()
                set_model_state(self.model, config, weights)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelLoadError(f"cannot load component {self.name!r} from {path}: {error}") from error
        return self

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        msg: Dict[str, Any] = {"cfg": self.cfg}
        if self._model_is_built():
            msg["model"], msg["weights"] = get_model_state(self.model)
        return srsly.msgpack_dumps(msg)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        self.cfg.update(msg["cfg"])
        self._on_cfg_loaded()
        if "model" in msg:
            set_model_state(self.model, msg["model"], msg["weights"])
        return self

    def _on_cfg_loaded(self) -> None:
        """Hook for subclasses: apply settings from a loaded cfg (e.g. sizes from labels)."""

    def training_input(self, examples: Sequence) -> FeaturizedBatch:
        """The predicted Docs of training ``examples`` as ids, each Example featurized once per
        training (:mod:`nlp_rnn.training.example_cache`)."""
        featurizer = self.model.attrs["featurizer"]
        rows = self.cached_arrays(examples, "features", lambda egs: featurizer.rows([eg.predicted for eg in egs]))
        return FeaturizedBatch(*featurizer.pad(rows))

    def cached_arrays(self, examples: Sequence, name: str, compute: BatchCompute) -> List:
        """Per-Example arrays computed once: the cache lives as long as the model's featurizer
        (``initialize`` and loading build a new one, and with it new labels and vocabularies)."""
        featurizer = self.model.attrs["featurizer"]
        cache = getattr(self, "_example_cache", None)
        if cache is None or cache[0] is not featurizer:
            cache = self._example_cache = (featurizer, ExampleCache())
        return cache[1].arrays(examples, name, compute)
