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

import torch
from thinc.api import Optimizer, PyTorchShim, xp2torch


class AveragingPyTorchShim(PyTorchShim):
    """PyTorchShim whose ``use_params`` understands the optimizer's ``(id, name)`` average keys,
    and whose update leaves recurrent weights in cuDNN's single contiguous buffer."""

    def finish_update(self, optimizer: Optimizer) -> None:
        """thinc's update, which re-wraps every parameter's ``.data``; on a GPU that takes the RNN
        weights out of cuDNN's flat buffer ("RNN module weights are not part of single contiguous
        chunk of memory ... compacted at every call"), so they are compacted here, once per step
        (a no-op on CPU)."""
        super().finish_update(optimizer)
        for module in self._model.modules():
            if isinstance(module, torch.nn.RNNBase):
                module.flatten_parameters()

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
