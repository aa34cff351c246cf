"""The torch ``rnn_lm``'s sampling steps: a :class:`~nlp_rnn.nn.char_lm.CharLM` behind the step API
of :mod:`nlp_rnn.generation.generator` (numpy logits in and out of the loop).

``start(ids, rows)`` reads a prompt once and gives ``rows`` copies of its state; ``advance(ids,
state, reset)`` reads one id per row, from the zero state for the rows flagged in ``reset`` (a new
document). Both return the next-character logits (rows, V) float32. Use it as a context manager:
evaluation mode, no gradients and torch's own LSTM kernel (oneDNN's costs ~4x more for one step
of a small batch) hold inside it and are restored after.
"""

from typing import List, Optional, Tuple

import numpy
import torch

from ..nn.char_lm import CharLM, State


class TorchLMSteps:
    """Sampling steps over a torch character LM (see the module docstring)."""

    def __init__(self, module: CharLM):
        self.module = module
        self.device = next(module.parameters()).device

    def __enter__(self) -> "TorchLMSteps":
        self._was_training, self._mkldnn = self.module.training, torch.backends.mkldnn.enabled
        self._grad = torch.is_grad_enabled()
        self.module.eval()
        torch.backends.mkldnn.enabled = False
        torch.set_grad_enabled(False)
        return self

    def __exit__(self, *exc) -> None:
        torch.set_grad_enabled(self._grad)
        torch.backends.mkldnn.enabled = self._mkldnn
        self.module.train(self._was_training)

    def _logits(self, output: torch.Tensor) -> numpy.ndarray:
        return self.module.logits(output[:, -1]).float().cpu().numpy()

    def start(self, ids: List[int], rows: int) -> Tuple[numpy.ndarray, State]:
        """ids: the prompt's ids (BOUNDARY first) → logits (rows, V), state for ``rows`` rows."""
        tensor = torch.tensor([ids], device=self.device)
        output, state = self.module.rnn(self.module.embedding(tensor), self.module.initial_state(1, self.device))
        hidden = output[:, -1:].expand(rows, -1, -1)
        if isinstance(state, tuple):
            state = tuple(s.expand(-1, rows, -1).contiguous() for s in state)
        else:
            state = state.expand(-1, rows, -1).contiguous()
        return self._logits(hidden), state

    def advance(self, ids: numpy.ndarray, state: State, reset: Optional[numpy.ndarray] = None) -> Tuple[numpy.ndarray, State]:
        """ids (rows,) int64; ``reset`` (rows,) bool or None → logits (rows, V), the new state."""
        if reset is not None and reset.any():
            keep = torch.from_numpy(~reset).to(self.device, torch.float32)[None, :, None]
            state = tuple(s * keep for s in state) if isinstance(state, tuple) else state * keep
        tensor = torch.from_numpy(numpy.asarray(ids, dtype="int64")).to(self.device)[:, None]
        output, state = self.module.rnn(self.module.embedding(tensor), state)
        return self._logits(output), state
