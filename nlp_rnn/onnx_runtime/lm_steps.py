"""The exported language model's step graph behind the sampling step API (the same API as
:class:`nlp_rnn.generation.torch_steps.TorchLMSteps`), so :mod:`nlp_rnn.generation.generator`
samples from either with the same numpy sampling and random streams. No torch."""

from typing import Dict, List, Optional, Tuple

import numpy

from .session import NEXT, OnnxGraph

State = Dict[str, numpy.ndarray]


class OnnxLMSteps:
    """The sampling step API (see :class:`nlp_rnn.generation.torch_steps.TorchLMSteps`) over the
    step graph; the state is {"hidden": (rows, L, H)[, "cell": (rows, L, H)]}."""

    def __init__(self, graph: OnnxGraph, num_layers: int, hidden_size: int):
        self.graph = graph
        self.shape = (num_layers, hidden_size)
        self.state_names = [name for name in graph.input_names if name != "ids"]

    def __enter__(self) -> "OnnxLMSteps":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def _run(self, ids: numpy.ndarray, state: State) -> Tuple[numpy.ndarray, State]:
        outputs = self.graph.run_feeds(dict(state, ids=ids))
        return outputs["logits"], {name: outputs[NEXT + name] for name in self.state_names}

    def zero_state(self, rows: int) -> State:
        return {name: numpy.zeros((rows, *self.shape), dtype="float32") for name in self.state_names}

    def step(self, ids: numpy.ndarray, state: State) -> Tuple[numpy.ndarray, State]:
        """ids (rows, T) int64 → the logits after the last step (rows, V) and the new state."""
        return self._run(numpy.asarray(ids, dtype="int64"), state)

    def start(self, ids: List[int], rows: int) -> Tuple[numpy.ndarray, State]:
        """ids: the prompt's ids (BOUNDARY first) → logits (rows, V), state for ``rows`` rows."""
        logits, state = self._run(numpy.asarray([ids], dtype="int64"), self.zero_state(1))
        return numpy.repeat(logits, rows, axis=0), {name: numpy.repeat(value, rows, axis=0) for name, value in state.items()}

    def advance(self, ids: numpy.ndarray, state: State, reset: Optional[numpy.ndarray] = None) -> Tuple[numpy.ndarray, State]:
        """ids (rows,) int64; ``reset`` (rows,) bool or None → logits (rows, V), the new state."""
        if reset is not None and reset.any():
            keep = (~reset).astype("float32")[:, None, None]
            state = {name: value * keep for name, value in state.items()}
        return self._run(numpy.asarray(ids, dtype="int64")[:, None], state)
