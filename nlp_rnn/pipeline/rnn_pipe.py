"""The torch component of every head: one pipe class, a task per head (:mod:`nlp_rnn.pipeline.task`).

Training: spaCy's ``update`` → ``get_loss`` → backprop path, once for every task. The task says
what differs: the model's input for a batch, gold tensors for the model's outputs and, when some
examples cannot be learned from, which ones it learns from (:mod:`nlp_rnn.pipeline.torch_task`).
Dropout rates are part of the model config (``[components.X.model.encoder] dropout``,
``embedding_dropout``, ``word_dropout``), so a ``drop`` from spaCy's ``[training] dropout`` other
than 0 is refused with a message that says so, never silently ignored.

Serialization:
A component folder holds ``cfg`` (JSON: labels and settings), ``model.json`` (vocabularies and
sizes) and ``model.safetensors`` (weights). Loading rebuilds the torch module from the JSON before
loading the weights, so a saved pipeline loads in a fresh process, and on CPU when trained on GPU.
"""

import inspect
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import srsly
from spacy import util
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc
from spacy.training import Example, validate_examples, validate_get_examples
from thinc.api import Model

from ..extensions import install_extensions
from ..featurizer import FeaturizedBatch
from ..training.example_cache import BatchCompute, ExampleCache
from .task import TaskAttributes
from .torch_task import TorchTask


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


class RNNPipe(TaskAttributes, TrainablePipe):
    """The torch component of every head: a :class:`~nlp_rnn.pipeline.torch_task.TorchTask` says
    what differs (labels, gold, predictions, annotations, scores); this class is spaCy's side of it
    (initialize, the training step, predict / set_annotations, disk and bytes serialization)."""

    def __init__(self, vocab, model: Model, name: str, task: TorchTask):
        install_extensions()
        self.vocab = vocab
        self.model = model
        self.name = name
        self.task = task
        self.cfg = task.new_cfg()

    def add_label(self, label: str) -> int:
        return self.task.add_label(self, label)

    # --- building and training -----------------------------------------------------------------

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None,
                   labels: Optional[List[str]] = None, intents: Optional[List[str]] = None, slot_labels: Optional[List[str]] = None,
                   target_vocab: Optional[List[str]] = None, chars: Optional[List[str]] = None,
                   init_encoder: Optional[Union[str, Path]] = None, teachers: Optional[List[str]] = None,
                   distill_weight: Optional[float] = None) -> None:
        """Collect the labels and build the model (the task's ``initialize``). The settings of
        ``[initialize.components.NAME]`` (spaCy checks their names against this signature): labels
        given instead of collected (``labels`` for intents; ``intents`` and ``slot_labels`` for the
        joint task and the tagger; ``target_vocab`` for the translator; ``chars`` for the language
        model), ``init_encoder`` (a folder written by ``nlp-rnn pretrain``) and, for the joint task,
        ``teachers`` / ``distill_weight`` (distillation; the default weight is the task's). A
        setting the task does not take is one error naming it."""
        validate_get_examples(get_examples, f"{self.name}.initialize")
        given = {"labels": labels, "intents": intents, "slot_labels": slot_labels, "target_vocab": target_vocab, "chars": chars,
                 "init_encoder": init_encoder, "teachers": teachers, "distill_weight": distill_weight}
        given = {key: value for key, value in given.items() if value is not None}
        taken = inspect.signature(self.task.initialize).parameters
        unknown = sorted(key for key in given if key not in taken)
        if unknown:
            raise ValueError(f"[initialize.components.{self.name}] {', '.join(unknown)}: not a setting of {self.task.factory!r}")
        self.task.initialize(self, list(get_examples()), **given)

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd=None,
               losses: Optional[Dict[str, float]] = None) -> Dict[str, float]:
        """One gradient step on ``examples``: the model's outputs in training mode, :meth:`get_loss`,
        backprop; then the optimizer's update when ``sgd`` is given (or the task's own step)."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{self.name}.update")
        refuse_drop(self.name, drop)
        own = self.task.update(self, examples, sgd, losses)
        if own is not None:
            return own
        examples = self.task.trainable(self, examples)
        if not examples:
            return losses
        outputs, backprop = self.model.begin_update(self.task.model_input(self, examples))
        loss, d_loss = self.get_loss(examples, outputs)
        backprop(d_loss)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], outputs: Any) -> Tuple[float, Any]:
        """spaCy's ``get_loss``: the task's loss of ``outputs`` (the model's outputs for
        ``examples``): the loss as a float and what the model's backprop takes."""
        return self.task.get_loss(self, list(examples), outputs)

    # --- prediction and scoring ----------------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> Any:
        return self.task.predict(self, list(docs))

    def set_annotations(self, docs: Iterable[Doc], predictions: Any) -> None:
        self.task.write(self, list(docs), predictions)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
        return self.task.score(self, list(examples))

    # --- serialization -------------------------------------------------------------------------

    def _model_is_built(self) -> bool:
        return self.task.is_built(self)

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        if self._model_is_built():
            config, weights = self.task.model_state(self)
            srsly.write_json(path / "model.json", config)
            (path / "model.safetensors").write_bytes(weights)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = util.ensure_path(path)
        try:
            self.cfg.update(self.task.saved_cfg(srsly.read_json(path / "cfg")))
            self.task.on_cfg_loaded(self)
            if (path / "model.json").exists():
                config = srsly.read_json(path / "model.json")
                weights = (path / "model.safetensors").read_bytes()
                self.task.load_model_state(self, config, weights)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelLoadError(f"cannot load component {self.name!r} from {path}: {error}") from error
        return self

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        msg: Dict[str, Any] = {"cfg": self.cfg}
        if self._model_is_built():
            msg["model"], msg["weights"] = self.task.model_state(self)
        return srsly.msgpack_dumps(msg)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        self.cfg.update(self.task.saved_cfg(msg["cfg"]))
        self.task.on_cfg_loaded(self)
        if "model" in msg:
            self.task.load_model_state(self, msg["model"], msg["weights"])
        return self

    # --- the training data path ----------------------------------------------------------------

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
