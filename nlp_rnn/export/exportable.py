"""Torch modules rewritten for ONNX export, numerically the same as the trained ones.

Three things in the trained modules do not survive tracing into a graph with dynamic batch and
sequence length:

- packed sequences (``pack_padded_sequence`` with unsorted lengths): :class:`UnpackedRNNEncoder`
  runs each direction of each layer as a plain unidirectional RNN over the padded batch instead.
  Forwards, padding comes after the real steps, so it never changes them; backwards, each
  sequence is reversed *within its length* (a gather), run forwards, and reversed back. The final
  state of a direction is its output at the last real step. No initial state is passed (zeros, as
  in the trained module), so none is baked into the graph.
- ``nn.EmbeddingBag`` and the Python-level "sequence shorter than n" test in the bag of n-grams:
  :class:`ExportableBagOfNgrams` looks the rows up with a plain gather, masks padding and sums;
  every n-gram window is computed over a right-padded copy of the word ids, and windows that
  reach into padding fall into bucket 0 (which contributes nothing), so short sequences need no
  branch.
- an empty batch dimension of time (T = 0): the ONNX components pad the ids to one step before
  running the graph, as :class:`~nlp_rnn.nn.text_encoder.TextEncoder` does.

The graph wrappers (:class:`IntentGraph`, :class:`JointGraph`) take ``ids`` (batch, T, F) int64 and
``lengths`` (batch,) int64 and return raw logits / emissions; softmax, the ensemble mean, the prior
correction and CRF decoding stay in numpy (the tasks' ``predict_exported``: :mod:`nlp_rnn.pipeline.intent_task`,
:mod:`nlp_rnn.pipeline.joint_task`).
"""

import copy
from typing import List, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ..nn.bag_of_ngrams import _PRIMES, BagOfNgrams
from ..nn.encoder import CELLS, RNNEncoder
from ..nn.intent_classifier import IntentClassifier
from ..nn.joint_model import JointIntentSlotModel


class UnpackedRNNEncoder(nn.Module):
    """The same function as an :class:`RNNEncoder` (in eval mode) without packed sequences.

    forward(x (batch, T, E), lengths (batch,) >= 1) → outputs (batch, T', width) with zeros at
    padding, final (batch, width), lengths (batch,) — as :meth:`RNNEncoder.forward`.
    """

    def __init__(self, encoder: RNNEncoder):
        super().__init__()
        rnn = encoder.rnn
        self.conv = encoder.conv
        self.num_directions = encoder.num_directions
        self.hidden_size = rnn.hidden_size
        self.width = encoder.width
        self.layers = nn.ModuleList()
        state = rnn.state_dict()
        extra = {"nonlinearity": rnn.nonlinearity} if encoder.cell == "rnn" else {}
        for layer in range(rnn.num_layers):
            directions = nn.ModuleList()
            for direction in range(self.num_directions):
                input_size = rnn.input_size if layer == 0 else self.width
                single = CELLS[encoder.cell](input_size, rnn.hidden_size, batch_first=True, bias=rnn.bias, **extra)
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                single.load_state_dict({f"{name}_l0": state[f"{name}{suffix}"] for name in _weight_names(rnn.bias)})
                directions.append(single)
            self.layers.append(directions)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.conv is not None:
            x, lengths = self.conv(x, lengths)
        positions = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # (1, T)
        mask = positions < lengths.unsqueeze(1)  # (batch, T)
        # position of each step in its sequence read backwards; padding maps onto itself
        reverse_index = torch.where(mask, lengths.unsqueeze(1) - 1 - positions, positions)
        last = (lengths - 1).view(-1, 1, 1)
        layer_input = x
        finals: List[torch.Tensor] = []
        for directions in self.layers:
            outputs, finals = [], []
            for direction, rnn in enumerate(directions):
                source = _gather_steps(layer_input, reverse_index) if direction else layer_input
                out, _ = rnn(source)
                finals.append(out.gather(1, last.expand(-1, 1, out.shape[2])).squeeze(1))
                outputs.append(_gather_steps(out, reverse_index) if direction else out)
            layer_input = torch.cat(outputs, dim=-1) * mask.unsqueeze(-1).to(x.dtype)
        return layer_input, torch.cat(finals, dim=-1), lengths


def _weight_names(bias: bool) -> List[str]:
    return ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])


def _gather_steps(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x (batch, T, W), index (batch, T) → x[b, index[b, t]] (batch, T, W)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[2]))


class ExportableBagOfNgrams(nn.Module):
    """The same function as a :class:`BagOfNgrams` with gathers instead of ``EmbeddingBag``.

    forward(words (batch, T) int64, T >= 1, 0 at padding) → logits (batch, n_labels)."""

    def __init__(self, bag: BagOfNgrams):
        super().__init__()
        self.ngram_size = bag.ngram_size
        self.n_buckets = bag.n_buckets
        self.unigrams = nn.Parameter(bag.unigrams.weight.detach().clone())
        self.ngrams = nn.Parameter(bag.ngrams.weight.detach().clone()) if bag.ngrams is not None else None
        self.bias = nn.Parameter(bag.bias.detach().clone())

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        logits = _masked_bag_sum(self.unigrams, words) + self.bias
        if self.ngrams is None:
            return logits
        buckets = []
        for n in range(2, self.ngram_size + 1):
            # window starting at t: words[t .. t+n-1], zeros past the end of the batch
            shifted = [words if i == 0 else F.pad(words, (0, i))[:, i:] for i in range(n)]  # each (batch, T)
            hashed = sum(s * _PRIMES[i] for i, s in enumerate(shifted)) % self.n_buckets + 1
            padded = torch.stack(shifted, dim=2) == 0
            buckets.append(hashed.masked_fill(padded.any(dim=2), 0))
        return logits + _masked_bag_sum(self.ngrams, torch.cat(buckets, dim=1))


def _masked_bag_sum(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Sum of ``table`` rows over the non-zero ``ids`` (batch, n) → (batch, width)."""
    rows = F.embedding(ids, table)
    return (rows * (ids != 0).unsqueeze(-1).to(rows.dtype)).sum(dim=1)


def _exportable_copy(module: nn.Module) -> nn.Module:
    """A deep copy in eval mode with the encoder and bag of n-grams replaced."""
    module = copy.deepcopy(module).eval()
    module.text_encoder.encoder = UnpackedRNNEncoder(module.text_encoder.encoder)
    if getattr(module, "bag_of_ngrams", None) is not None:
        module.bag_of_ngrams = ExportableBagOfNgrams(module.bag_of_ngrams)
    return module


class IntentGraph(nn.Module):
    """forward(ids (batch, T >= 1, F), lengths (batch,)) → logits (batch, n_members, n_labels),
    and with ``with_features`` the pooled features (batch, width) (out-of-scope scoring)."""

    def __init__(self, module: IntentClassifier, with_features: bool = False):
        super().__init__()
        self.module = _exportable_copy(module)
        self.with_features = with_features
        self.output_names = ["intent_logits"] + (["features"] if with_features else [])

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor):
        outputs = self.module(ids, lengths)
        return (outputs.logits, outputs.features) if self.with_features else outputs.logits


class JointGraph(nn.Module):
    """forward(ids (batch, T >= 1, F), lengths (batch,)) → intent logits (batch, n_members,
    n_intents) when the model has intents, then slot emissions (batch, T, K) when it has slots,
    then with ``with_features`` the pooled intent features (batch, width')."""

    def __init__(self, module: JointIntentSlotModel, with_features: bool = False):
        super().__init__()
        self.module = _exportable_copy(module)
        self.with_intents = bool(module.n_intents)
        self.with_slots = module.slot_head is not None
        self.with_features = with_features and self.with_intents
        self.output_names = (
            (["intent_logits"] if self.with_intents else []) + (["emissions"] if self.with_slots else [])
            + (["features"] if self.with_features else [])
        )

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor):
        joint = self.module(ids, lengths)
        outputs = ([joint.intent_logits] if self.with_intents else []) + ([joint.emissions] if self.with_slots else [])
        outputs += [joint.features] if self.with_features else []
        return tuple(outputs) if len(outputs) > 1 else outputs[0]
