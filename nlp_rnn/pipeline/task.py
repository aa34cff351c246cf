"""The task contract: everything that differs between nlp_rnn's heads, in one object per component.

A head (intent, joint intent + slots, tagger, translator, character language model) is an ``nn``
module with its architecture, a :class:`Task` (and its torch half) and two factories, one for
each pipe (an entry-point line each in ``pyproject.toml``). Two pipes run any task:
:class:`nlp_rnn.pipeline.rnn_pipe.RNNPipe` (torch: trains, predicts, saves weights) and
:class:`nlp_rnn.export.exported_pipe.ExportedPipe` (the ONNX export: predicts with onnxruntime and
numpy, no torch); the seed ensemble's pipe (:mod:`nlp_rnn.pipeline.ensemble_pipe`) runs the
intent, joint and tagger tasks over K trained members (the exported and the ensemble pipe share
:class:`~nlp_rnn.pipeline.predict_only_pipe.PredictOnlyPipe`). The pipes own what spaCy needs
(``vocab``, ``name``, ``cfg``, ``model`` or the exported runtime, serialization); the task says the rest:

- **settings**: the component's ``cfg`` (:meth:`Task.new_cfg`, saved with the pipeline) and its
  run-time settings (attributes of the task, given by the factory: config.cfg, overridable at load);
- **labels**: which labels it has (:meth:`Task.labels`) and collects at ``initialize``;
- **training** (torch pipe, :class:`~nlp_rnn.pipeline.torch_task.TorchTask`): the model's input for
  a batch, gold tensors, which examples it learns from, or a whole update step of its own (the
  language model's TBPTT);
- **prediction**: ``TorchTask.predict`` (torch) and :meth:`Task.predict_exported` (numpy over the
  exported runtime's outputs) return the same predictions, which :meth:`Task.write` writes to the
  Docs for both pipes (records are read from the Docs by :mod:`nlp_rnn.records`);
- **scoring**: :meth:`Task.score`, the same for both pipes;
- **export**: the exported factory's name and the runtime's parts (:attr:`Task.exported_parts`);
  the graphs are traced by :mod:`nlp_rnn.export`.

Attributes a task adds to its pipes (``pipe.intents``, ``pipe.char_vocab``, …) are named in
:attr:`Task.exposes` (``pipe.X`` is then ``task.X(pipe)``, a method of the task bound to the pipe
when ``X`` is in :attr:`Task.exposed_methods`). This module and every head's task module import no
torch: the torch half of a head is a subclass of its task and :class:`~nlp_rnn.pipeline.torch_task.TorchTask`
in the head's torch module (``pipeline/intent.py`` …), and only the torch pipe holds one.
"""

import functools
from typing import Any, ClassVar, Dict, Iterable, List, Tuple

from spacy.tokens import Doc
from spacy.training import Example


class Task:
    """Base class: what a head says about itself. One instance per component (it may keep the
    component's caches: a tag set, lane states)."""

    #: the torch component's factory and the exported (ONNX) component's
    factory: str = ""
    exported_factory: str = ""
    #: attributes pipes answer from the task (``pipe.X`` → ``task.X(pipe)``)
    exposes: ClassVar[Tuple[str, ...]] = ()
    #: those of :attr:`exposes` that are methods (``pipe.X(...)`` → ``task.X(pipe, ...)``)
    exposed_methods: ClassVar[Tuple[str, ...]] = ()
    #: (file name, JSON or BYTES (:mod:`nlp_rnn.onnx_runtime.parts`), required) of the exported
    #: component's parts besides ``cfg``
    exported_parts: ClassVar[Tuple[Tuple[str, str, bool], ...]] = ()

    # --- settings and labels ---------------------------------------------------------------------

    def new_cfg(self) -> Dict[str, Any]:
        """The ``cfg`` of a new component (saved with the pipeline as JSON)."""
        return {}

    def labels(self, pipe) -> tuple:
        return tuple(pipe.cfg.get("labels", ()))

    def label_data(self, pipe) -> Any:
        """What ``spacy init labels`` saves for the component (None: nothing)."""
        return None

    def add_label(self, pipe, label: str) -> int:
        raise NotImplementedError(f"{pipe.name!r} ({type(self).__name__}) takes its labels from the training data")

    def saved_cfg(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        """A saved cfg as this version keeps it (an older layout read into the current one)."""
        return saved

    def on_cfg_loaded(self, pipe) -> None:
        """Apply settings of a loaded cfg (sizes from labels, a tag set)."""

    # --- prediction, annotation, scoring (both pipes) ------------------------------------------

    def predict_exported(self, pipe, docs: List[Doc]) -> Any:
        """The same predictions from the exported runtime (numpy, no torch)."""
        raise NotImplementedError(f"{type(self).__name__} predicts nothing when exported")

    def write(self, pipe, docs: List[Doc], predictions: Any) -> None:
        """Write ``predictions`` to ``docs`` (``set_annotations`` of both pipes)."""
        raise NotImplementedError

    def score(self, pipe, examples: Iterable[Example]) -> Dict[str, Any]:
        return {}

    # --- export --------------------------------------------------------------------------------

    def load_runtime(self, pipe, parts: Dict[str, Any]) -> Any:
        """The exported runtime (graphs, vocabularies: :mod:`nlp_rnn.onnx_runtime`) from the parts
        read from disk, after ``pipe.cfg`` was loaded."""
        raise NotImplementedError


def task_attribute(pipe, name: str) -> Any:
    """``pipe.NAME`` for a name the pipe's task exposes (the pipes' ``__getattr__``): a method of
    :attr:`Task.exposed_methods` bound to the pipe, a task method's value for the pipe, or a plain
    attribute of the task (a run-time setting such as ``beam_size``)."""
    task = pipe.__dict__.get("task")
    if task is None or name not in task.exposes:
        raise AttributeError(f"{type(pipe).__name__!r} object has no attribute {name!r}")
    value = getattr(task, name)
    if name in task.exposed_methods:
        return functools.partial(value, pipe)
    return value(pipe) if callable(value) else value


def set_task_attribute(pipe, name: str, value: Any) -> bool:
    """Set a run-time setting the pipe's task exposes (``pipe.beam_size = 1``); False when ``name``
    is not one (the pipe keeps it)."""
    task = pipe.__dict__.get("task")
    if task is None or name not in task.exposes or name in task.exposed_methods or callable(getattr(task, name, None)):
        return False
    setattr(task, name, value)
    return True


class TaskAttributes:
    """What both pipes take from their ``task``: ``labels``, ``label_data`` and the attributes the
    task exposes (:func:`task_attribute`; run-time settings are set on the task)."""

    task: Task

    def __getattr__(self, name: str) -> Any:
        return task_attribute(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not set_task_attribute(self, name, value):
            super().__setattr__(name, value)

    @property
    def labels(self) -> tuple:
        return self.task.labels(self)

    @property
    def label_data(self) -> Any:
        return self.task.label_data(self)
