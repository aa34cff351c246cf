"""The exported translator's step API in numpy (what :mod:`nlp_rnn.array_search` searches over).

Two onnxruntime sessions: the encoder graph (ids (B, S, F), lengths (B,) → the decoder's start
state) and the decoder-step graph (prev (N,), n_best, state → the n_best best next ids and their
log-probabilities (N, n_best), next state, attention weights (N, S)); see
:mod:`nlp_rnn.export.sequence_graphs`. The state is a dict of arrays whose
first axis is the row (sentence, or sentence × beam). No torch.
"""

from typing import Dict, Optional, Tuple

import numpy

from .session import NEXT, OnnxGraph


State = Dict[str, numpy.ndarray]


class OnnxSeq2Seq:
    """encode / step over the two graphs (``encoder`` and ``step`` hold their ONNX bytes)."""

    def __init__(self, encoder: bytes, step: bytes, threads: Optional[int] = None):
        self.encoder = OnnxGraph(encoder, threads)
        self.step_graph = OnnxGraph(step, threads)
        self.with_attention = "weights" in self.step_graph.output_names

    def encode(self, src_ids: numpy.ndarray, src_lengths: numpy.ndarray) -> State:
        """src_ids (B, S, F) int64 (S = 0 is padded to one step), src_lengths (B,) → state."""
        return self.encoder.run(src_ids, src_lengths)

    def step(self, prev: numpy.ndarray, state: State, n_best: int) -> Tuple[numpy.ndarray, numpy.ndarray, State, Optional[numpy.ndarray]]:
        """prev (N,) int64, state (rows N) → top_log_probs (N, c) float32 and top_ids (N, c) int64
        (c = min(n_best, V), PAD and BOS left out, best first), next state, weights (N, S) or None."""
        feeds = dict(state, prev=prev.astype("int64", copy=False), n_best=numpy.asarray(n_best, dtype="int64"))
        outputs = self.step_graph.run_feeds(feeds)
        state = dict(state)
        for name, value in outputs.items():
            if name.startswith(NEXT):
                state[name[len(NEXT):]] = value
        return outputs["top_log_probs"], outputs["top_ids"], state, outputs.get("weights")


class TranslatorRuntime:
    """An exported translator: the featurizer (Doc → source ids) and the two graphs."""

    def __init__(self, featurizer, encoder_bytes: bytes, step_bytes: bytes):
        self.featurizer = featurizer
        self.model = OnnxSeq2Seq(encoder_bytes, step_bytes)
