"""Torch modules traced into the exported translator's and language model's step graphs.

A sequence model is exported as graphs that the numpy runtime calls in a loop: the search
(:mod:`nlp_rnn.array_search`) and the sampling (:mod:`nlp_rnn.generation.sampling`) stay in numpy.
Every array that travels from one step to the next has the batch (rows) as its first axis, so
beam reordering is one fancy index per array; recurrent states, (layers, rows, H) in torch, are
transposed to (rows, layers, H) at the graph's edge.

- :class:`TranslatorEncoderGraph`: ids (B, S, F), lengths (B,) → the decoder's start state.
- :class:`TranslatorStepGraph`: one :meth:`RNNDecoder.step` (the same code as torch's search) and
  the best next ids of each row (ONNX ``TopK``).
- :class:`LMStepGraph`: ids (B, T), state → next-character logits after the last step, new state.
"""

import copy
from typing import List

import torch
from torch import nn

from ..nn.char_lm import CharLM
from ..nn.decoder import DecoderState
from ..nn.seq2seq import Seq2Seq
from ..target_vocab import BOS, PAD
from .exportable import UnpackedRNNEncoder
from ..onnx_runtime.session import NEXT


def _batch_first(state: torch.Tensor) -> torch.Tensor:
    """(layers, rows, H) → (rows, layers, H)."""
    return state.transpose(0, 1)


def _layers_first(state: torch.Tensor) -> torch.Tensor:
    """(rows, layers, H) → (layers, rows, H), contiguous (what the RNN kernels want)."""
    return state.transpose(0, 1).contiguous()


class TranslatorEncoderGraph(nn.Module):
    """forward(ids (B, S >= 1, F) int64, lengths (B,) int64) → the state names of
    :attr:`output_names`: ``memory`` (B, S', He) encoder outputs and ``mask`` (B, S') bool (with
    attention), ``hidden`` (B, L, H), ``cell`` (B, L, H) for an LSTM decoder, ``att_vector``
    (B, H) and ``keys`` (B, S', K), the attention keys projected once (Bahdanau, Luong general)."""

    def __init__(self, module: Seq2Seq):
        super().__init__()
        module = copy.deepcopy(module).eval()
        module.encoder.encoder = UnpackedRNNEncoder(module.encoder.encoder)
        self.encoder, self.decoder = module.encoder, module.decoder
        attention = self.decoder.attention
        self.with_attention = attention is not None
        self.with_keys = hasattr(attention, "key_layer")  # Luong "dot" attends to the memory itself
        self.output_names = state_names(self.decoder.cell == "lstm", self.with_attention, self.with_keys)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor):
        memory, final, mask = self.encoder(ids, lengths)
        state = self.decoder.init_state(final, memory if self.with_keys else None)
        values = {"memory": memory, "mask": mask, "hidden": _batch_first(state.hidden), "att_vector": state.att_vector}
        if state.cell is not None:
            values["cell"] = _batch_first(state.cell)
        if self.with_keys:
            values["keys"] = state.projected_keys
        return tuple(values[name] for name in self.output_names)


def state_names(lstm: bool, attention: bool, keys: bool) -> List[str]:
    """The decoder state's arrays, in graph order."""
    return (["memory", "mask"] if attention else []) + ["hidden"] + (["cell"] if lstm else []) + ["att_vector"] + (["keys"] if keys else [])


class TranslatorStepGraph(nn.Module):
    """forward(prev (N,) int64, n_best () int64, *state (the encoder graph's outputs, rows N)) →
    ``top_log_probs`` (N, c) float32 and ``top_ids`` (N, c) int64, the c = min(n_best, V) most
    probable next ids of each row other than PAD and BOS (best first, the lower id first on ties:
    ONNX ``TopK``), the new ``next_hidden`` / ``next_cell`` (N, L, H) and ``next_att_vector``
    (N, H), and with attention ``weights`` (N, S') (exactly 0 at padding). Only the best ids leave
    the graph: a beam of k needs 2k of each row, and choosing them here is what makes the
    exported search fast."""

    def __init__(self, encoder_graph: TranslatorEncoderGraph):
        super().__init__()
        self.decoder = encoder_graph.decoder
        self.state_names = list(encoder_graph.output_names)
        self.input_names = ["prev", "n_best"] + self.state_names
        carried = ["hidden"] + (["cell"] if "cell" in self.state_names else []) + ["att_vector"]
        self.output_names = ["top_log_probs", "top_ids"] + [NEXT + name for name in carried]
        self.output_names += ["weights"] if encoder_graph.with_attention else []
        banned = torch.zeros(self.decoder.vocab_size, dtype=torch.bool)
        banned[[PAD, BOS]] = True
        self.register_buffer("banned", banned, persistent=False)

    def forward(self, prev: torch.Tensor, n_best: torch.Tensor, *state: torch.Tensor):
        x = dict(zip(self.state_names, state))
        cell = _layers_first(x["cell"]) if "cell" in x else None
        keys = x.get("keys", x.get("memory"))
        start = DecoderState(_layers_first(x["hidden"]), cell, x["att_vector"], keys)
        log_probs, new, weights = self.decoder.step(prev, start, x.get("memory"), x.get("mask"))
        best, ids = torch.topk(log_probs.masked_fill(self.banned, float("-inf")), n_best.clamp(max=self.decoder.vocab_size), dim=-1)
        values = {"top_log_probs": best, "top_ids": ids, NEXT + "hidden": _batch_first(new.hidden), NEXT + "att_vector": new.att_vector,
                  "weights": weights}
        if new.cell is not None:
            values[NEXT + "cell"] = _batch_first(new.cell)
        return tuple(values[name] for name in self.output_names)


class LMStepGraph(nn.Module):
    """forward(ids (B, T >= 1) int64, hidden (B, L, H)[, cell (B, L, H) for an LSTM]) → ``logits``
    (B, V) after the last step, the new ``next_hidden`` (and ``next_cell``) (B, L, H). Evaluation
    mode: no dropout."""

    def __init__(self, module: CharLM):
        super().__init__()
        self.module = copy.deepcopy(module).eval()
        lstm = self.module.cell == "lstm"
        self.input_names = ["ids", "hidden"] + (["cell"] if lstm else [])
        self.output_names = ["logits", NEXT + "hidden"] + ([NEXT + "cell"] if lstm else [])

    def forward(self, ids: torch.Tensor, hidden: torch.Tensor, cell: torch.Tensor = None):
        state = (_layers_first(hidden), _layers_first(cell)) if cell is not None else _layers_first(hidden)
        output, state = self.module.rnn(self.module.embedding(ids), state)
        logits = self.module.logits(output[:, -1])
        if isinstance(state, tuple):
            return logits, _batch_first(state[0]), _batch_first(state[1])
        return logits, _batch_first(state)
