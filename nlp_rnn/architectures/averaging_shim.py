"""A PyTorchShim that can run with the optimizer's parameter averages (``use_averages = true``).

thinc's optimizer keeps a moving average of every parameter it updates, keyed ``(shim.id,
parameter name)`` — the key ``PyTorchShim.finish_update`` passes it. spaCy's training loop then
evaluates and saves inside ``nlp.use_params(optimizer.averages)``. thinc 8.3's ``PyTorchShim.use_params``
only looks for string keys ``"pytorch_{id}_{name}"``, so for torch models the averages were
silently ignored. This shim reads the tuple keys too, so ``[training.optimizer] use_averages = true``
gives torch components the same Polyak-style weight averaging that spaCy's own components get.
"""

import contextlib
from typing import Any, Dict

from thinc.api import PyTorchShim, xp2torch


class AveragingPyTorchShim(PyTorchShim):
    """PyTorchShim whose ``use_params`` understands the optimizer's ``(id, name)`` average keys."""

    @contextlib.contextmanager
    def use_params(self, params: Dict[Any, Any]):
        averaged = {}
        for name, _ in self._model.named_parameters():
            value = params.get((self.id, name))
            if value is not None:
                averaged[name] = xp2torch(value, device=self.device)
        if not averaged:
            with super().use_params(params):
                yield
            return
        backup = {k: v.clone() for k, v in self._model.state_dict().items()}
        state = dict(backup)
        state.update({name: value.reshape(backup[name].shape) for name, value in averaged.items()})
        self._model.load_state_dict(state)
        try:
            yield
        finally:
            self._model.load_state_dict(backup)
