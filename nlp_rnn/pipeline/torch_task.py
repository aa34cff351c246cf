"""The torch half of a task: what the torch pipe (:class:`~nlp_rnn.pipeline.rnn_pipe.RNNPipe`)
asks of a head besides :class:`~nlp_rnn.pipeline.task.Task`'s numpy half. A head's torch task is
``class IntentTorchTask(TorchTask, IntentTask)``, in the head's torch module.

Training is spaCy's ``update`` → ``get_loss`` → backprop, once for every head: a task says the
model's input for a batch (:meth:`TorchTask.model_input`), gold tensors for its outputs
(:meth:`TorchTask.gold`) and which examples can be learned from (:meth:`TorchTask.trainable`);
a head whose step is different (the language model's truncated backpropagation through time)
gives its own :meth:`TorchTask.update`.
"""

from typing import Any, Dict, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.training import Example

from ..architectures.torch_model import get_model_state, module_loss, set_model_state
from .task import Task


class TorchTask(Task):
    """The torch half's contract (building, training, predicting, weights)."""

    def initialize(self, pipe, examples: List[Example], **given: Any) -> None:
        """Collect labels (or take ``given`` ones: ``[initialize.components.NAME]``) and build the
        model from ``examples``."""
        raise NotImplementedError

    def trainable(self, pipe, examples: List[Example]) -> List[Example]:
        """The examples a training step learns from (all unless the task says otherwise)."""
        return examples

    def model_input(self, pipe, examples: List[Example]) -> Any:
        """The model's input for a training batch: the featurized predicted Docs."""
        return pipe.training_input(examples)

    def gold(self, pipe, examples: List[Example], outputs: Any) -> Any:
        """Gold tensors for ``outputs`` (their device and sizes), in the form the module's
        ``loss`` takes."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to make gold tensors")

    def update(self, pipe, examples: List[Example], sgd, losses: Dict[str, float]) -> Optional[Dict[str, float]]:
        """A training step of the task's own (returns ``losses``), or None for the pipe's."""
        return None

    def get_loss(self, pipe, examples: List[Example], outputs: Any) -> Tuple[float, Any]:
        """The torch module's loss of ``outputs`` against :meth:`gold`: (the loss as a float, the
        scalar loss tensor the model's backprop takes)."""
        loss = module_loss(pipe.model, outputs, self.gold(pipe, examples, outputs))
        return float(loss.detach()), loss

    def predict(self, pipe, docs: List[Doc]) -> Any:
        """Predictions of the torch model for ``docs``, in the form :meth:`Task.write` takes (the
        same as :meth:`Task.predict_exported`'s)."""
        raise NotImplementedError

    def model_state(self, pipe) -> Tuple[Dict[str, Any], bytes]:
        """The model as JSON-able sizes and vocabularies plus safetensors weight bytes."""
        return get_model_state(pipe.model)

    def load_model_state(self, pipe, config: Dict[str, Any], weights: bytes) -> None:
        """Rebuild the model from :meth:`model_state` output (on the CPU or the model's device)."""
        set_model_state(pipe.model, config, weights)

    def is_built(self, pipe) -> bool:
        """Whether the model has weights (initialized or loaded)."""
        return bool(pipe.model.layers)
