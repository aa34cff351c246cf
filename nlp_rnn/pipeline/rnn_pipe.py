"""What every nlp_rnn component shares: the training step and serialization.

Training: spaCy's ``update`` → ``get_loss`` → backprop path, once for every task. A component says
what differs: :meth:`RNNPipe.model_input` (the model's input for a batch), :meth:`RNNPipe.gold`
(gold tensors for the model's outputs) and, when some examples cannot be learned from,
:meth:`RNNPipe.trainable`. Dropout rates are part of the model config (``[components.X.model.encoder]
dropout``, ``embedding_dropout``, ``word_dropout``), so a ``drop`` from spaCy's ``[training]
dropout`` other than 0 is refused with a message that says so, never silently ignored.

Serialization:
A component folder holds ``cfg`` (JSON: labels and settings), ``model.json`` (vocabularies and
sizes) and ``model.safetensors`` (weights). Loading rebuilds the torch module from the JSON before
loading the weights, so a saved pipeline loads in a fresh process, and on CPU when trained on GPU.
"""

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import srsly
from spacy import util
from spacy.pipeline import TrainablePipe
from spacy.training import Example, validate_examples

from ..architectures.torch_model import get_model_state, module_loss, set_model_state
from ..featurizer import FeaturizedBatch
from ..training.example_cache import BatchCompute, ExampleCache


class ModelLoadError(ValueError):
    """A saved component is missing files or holds corrupt data."""


class DropoutRefused(ValueError):
    """spaCy's ``[training] dropout`` reached a component whose dropout is in its model config."""


def refuse_drop(name: str, drop: float) -> None:
    """Raise :class:`DropoutRefused` for a ``drop`` other than 0, naming where dropout is set."""
    if drop:
        raise DropoutRefused(
            f"{name!r} got drop={drop} (spaCy's [training] dropout): its dropout rates are set in its model "
            f"config ([components.{name}.model.encoder] dropout, embedding_dropout, word_dropout), "
            "so set [training] dropout = 0.0"
        )


class RNNPipe(TrainablePipe):
    """Base class: the training step (update → get_loss → backprop) and disk and bytes
    serialization of cfg + lazily built torch model."""

    # --- training ------------------------------------------------------------------------------

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd=None,
               losses: Optional[Dict[str, float]] = None) -> Dict[str, float]:
        """One gradient step on ``examples``: the model's outputs in training mode, :meth:`get_loss`,
        backprop; then the optimizer's update when ``sgd`` is given."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{type(self).__name__}.update")
        refuse_drop(self.name, drop)
        examples = self.trainable(examples)
        if not examples:
            return losses
        outputs, backprop = self.model.begin_update(self.model_input(examples))
        loss, d_loss = self.get_loss(examples, outputs)
        backprop(d_loss)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], outputs: Any) -> Tuple[float, Any]:
        """spaCy's ``get_loss``: the torch module's loss of ``outputs`` (the named outputs of
        ``self.model.begin_update(self.model_input(examples))``) against :meth:`gold`. Returns the
        loss as a float and the scalar loss tensor, which is what the model's backprop takes."""
        loss = module_loss(self.model, outputs, self.gold(list(examples), outputs))
        return float(loss.detach()), loss

    def trainable(self, examples: List[Example]) -> List[Example]:
        """The examples a step learns from (all of them unless a task says otherwise)."""
        return examples

    def model_input(self, examples: List[Example]) -> Any:
        """The model's input for a training batch: the featurized predicted Docs."""
        return self.training_input(examples)

    def gold(self, examples: List[Example], outputs: Any) -> Any:
        """Gold tensors for ``outputs`` (their device and sizes), in the form the module's
        ``loss`` takes."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to make gold tensors")

    # --- serialization -------------------------------------------------------------------------

    def _model_is_built(self) -> bool:
        return bool(self.model.layers)

    def model_state(self) -> Tuple[Dict[str, Any], bytes]:
        """The model as JSON-able sizes and vocabularies plus safetensors weight bytes."""
        return get_model_state(self.model)

    def load_model_state(self, config: Dict[str, Any], weights: bytes) -> None:
        """Rebuild the model from :meth:`model_state` output (on the CPU or the model's device)."""
        set_model_state(self.model, config, weights)

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        if self._model_is_built():
            config, weights = self.model_state()
            srsly.write_json(path / "model.json", config)
            (path / "model.safetensors").write_bytes(weights)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = util.ensure_path(path)
        try:
            self.cfg.update(self._saved_cfg(srsly.read_json(path / "cfg")))
            self._on_cfg_loaded()
            if (path / "model.json").exists():
                config = srsly.read_json(path / "model.json")
                weights = (path / "model.safetensors").read_bytes()
                self.load_model_state(config, weights)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelLoadError(f"cannot load component {self.name!r} from {path}: {error}") from error
        return self

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        msg: Dict[str, Any] = {"cfg": self.cfg}
        if self._model_is_built():
            msg["model"], msg["weights"] = self.model_state()
        return srsly.msgpack_dumps(msg)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        self.cfg.update(self._saved_cfg(msg["cfg"]))
        self._on_cfg_loaded()
        if "model" in msg:
            self.load_model_state(msg["model"], msg["weights"])
        return self

    def _saved_cfg(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        """Hook for subclasses: a saved cfg as this version keeps it (e.g. an older layout read
        into the current one), before it updates :attr:`cfg`."""
        return saved

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
