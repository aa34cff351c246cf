"""Recurrent decoder with attention, input feeding and a bridge from the encoder (JoeyNMT style).

One decoder step (``_advance``)::

    e_t  = dropout(embed(y_{t-1}))                          (batch, E)
    x_t  = [e_t ; h~_{t-1}]   (input feeding)               (batch, E + H)
    s_t  = RNN(x_t, s_{t-1})  (GRU or LSTM, num_layers)     top layer h_t: (batch, H)
    c_t, a_t = attention(query=h_t, keys/values=encoder outputs, mask)
    h~_t = tanh(W_c dropout([h_t ; c_t]))                   the attentional vector (batch, H)
    p_t  = log_softmax(W_out dropout(h~_t))                 (batch, V)

Without attention, h~_t = h_t and there is no input feeding: the decoder only sees the source
through its initial state, bridged from the encoder's final state.

Teacher forcing (:meth:`RNNDecoder.forward`) and search (``search.py``) both run this same step.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

import torch
from torch import nn

from .attention import build_attention

DECODER_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}
INIT_HIDDEN = ("bridge", "zeros")


@dataclass
class DecoderState:
    """Everything the decoder carries from one step to the next.

    hidden: (num_layers, batch, H). cell: (num_layers, batch, H) for LSTM, else None.
    att_vector: (batch, H), the previous attentional vector h~ (zeros before the first step).
    projected_keys: (batch, S, K) attention keys projected once per source, or None.
    """

    hidden: torch.Tensor
    cell: Optional[torch.Tensor]
    att_vector: torch.Tensor
    projected_keys: Optional[torch.Tensor] = None

    def index_select(self, index: torch.Tensor) -> "DecoderState":
        """Rows ``index`` (1-D long) of every tensor, in that order (beam reordering)."""
        return DecoderState(
            hidden=self.hidden.index_select(1, index),
            cell=None if self.cell is None else self.cell.index_select(1, index),
            att_vector=self.att_vector.index_select(0, index),
            projected_keys=(
                None if self.projected_keys is None else self.projected_keys.index_select(0, index)
            ),
        )


class RNNDecoder(nn.Module):
    """Conditional recurrent decoder over target ids (0 = padding).

    Args:
        vocab_size: target vocabulary V. embedding_size: target embedding E.
        hidden_size: decoder RNN width H (also the attentional vector width).
        encoder_size: encoder output width He (keys/values of attention, bridge input).
        cell: "gru" | "lstm". num_layers: stacked RNN layers.
        attention: "bahdanau" | "luong_dot" | "luong_general" | "none".
        input_feeding: concatenate the previous attentional vector to the input (with attention).
        init_hidden: "bridge" (tanh(Linear(encoder final)) per layer) | "zeros".
        lstm_cell_init: LSTM cell state init, "zeros" | "bridge" (own Linear + tanh).
        dropout: on the RNN between layers and before the attentional / output layers.
        embedding_dropout: on the target embeddings.
        tie_embeddings: share the output projection's weight with the target embedding
            (needs E == H).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int,
        hidden_size: int,
        encoder_size: int,
        *,
        cell: str,
        num_layers: int,
        attention: str,
        input_feeding: bool,
        dropout: float,
        embedding_dropout: float,
        tie_embeddings: bool,
        init_hidden: str = "bridge",
        lstm_cell_init: str = "zeros",
    ):
        super().__init__()
        if cell not in DECODER_CELLS:
            raise ValueError(
                f"unknown decoder cell {cell!r}; choose one of {sorted(DECODER_CELLS)}"
            )
        if num_layers < 1:
            raise ValueError("num_layers must be >= 1")
        if init_hidden not in INIT_HIDDEN:
            raise ValueError(f"unknown init_hidden {init_hidden!r}; choose one of {INIT_HIDDEN}")
        if lstm_cell_init not in INIT_HIDDEN:
            raise ValueError(
                f"unknown lstm_cell_init {lstm_cell_init!r}; choose one of {INIT_HIDDEN}"
            )
        if tie_embeddings and embedding_size != hidden_size:
            raise ValueError(
                f"tie_embeddings needs embedding_size == hidden_size, got {embedding_size} and "
                f"{hidden_size}"
            )
        self.cell = cell
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.encoder_size = encoder_size
        self.vocab_size = vocab_size
        self.init_hidden = init_hidden
        self.lstm_cell_init = lstm_cell_init

        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=0)
        self.attention = build_attention(attention, hidden_size, encoder_size)
        self.input_feeding = input_feeding and self.attention is not None
        rnn_input = embedding_size + (hidden_size if self.input_feeding else 0)
        self.rnn = DECODER_CELLS[cell](
            rnn_input,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.bridge = None
        if init_hidden == "bridge":
            self.bridge = nn.Linear(encoder_size, num_layers * hidden_size)
        self.cell_bridge = None
        if cell == "lstm" and lstm_cell_init == "bridge":
            self.cell_bridge = nn.Linear(encoder_size, num_layers * hidden_size)
        self.att_vector_layer = None
        if self.attention is not None:
            self.att_vector_layer = nn.Linear(hidden_size + encoder_size, hidden_size)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.hidden_dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, vocab_size)
        if tie_embeddings:
            self.output.weight = self.embedding.weight

    def _bridge(self, layer: Optional[nn.Linear], encoder_final: torch.Tensor) -> torch.Tensor:
        """(batch, He) → (num_layers, batch, H): tanh(Linear) split per layer, or zeros."""
        batch = encoder_final.shape[0]
        if layer is None:
            return encoder_final.new_zeros((self.num_layers, batch, self.hidden_size))
        bridged = torch.tanh(layer(encoder_final))
        return bridged.view(batch, self.num_layers, self.hidden_size).transpose(0, 1).contiguous()

    def init_state(
        self, encoder_final: torch.Tensor, encoder_outputs: Optional[torch.Tensor] = None
    ) -> DecoderState:
        """encoder_final (batch, He) → the state before the first step.

        Pass encoder_outputs (batch, S, He) to project the attention keys once here; without it,
        every :meth:`step` projects them again.
        """
        hidden = self._bridge(self.bridge, encoder_final)
        cell = self._bridge(self.cell_bridge, encoder_final) if self.cell == "lstm" else None
        att_vector = encoder_final.new_zeros((encoder_final.shape[0], self.hidden_size))
        projected_keys = None
        if self.attention is not None and encoder_outputs is not None:
            projected_keys = self.attention.project_keys(encoder_outputs)
        return DecoderState(hidden, cell, att_vector, projected_keys)

    def _advance(
        self,
        prev_tokens: torch.Tensor,
        state: DecoderState,
        encoder_outputs: torch.Tensor,
        src_mask: torch.Tensor,
    ) -> Tuple[torch.Tensor, DecoderState, Optional[torch.Tensor]]:
        """One step up to the attentional vector → (h~ (batch, H), new state, weights or None)."""
        embedded = self.embedding_dropout(self.embedding(prev_tokens))
        if self.input_feeding:
            rnn_input = torch.cat([embedded, state.att_vector], dim=-1)
        else:
            rnn_input = embedded
        if self.cell == "lstm":
            _, (hidden, cell) = self.rnn(rnn_input.unsqueeze(1), (state.hidden, state.cell))
        else:
            _, hidden = self.rnn(rnn_input.unsqueeze(1), state.hidden)
            cell = None
        query = hidden[-1]
        if self.attention is None:
            return query, DecoderState(hidden, cell, query, None), None
        keys = state.projected_keys
        if keys is None:
            keys = self.attention.project_keys(encoder_outputs)
        context, weights = self.attention.attend(query, keys, encoder_outputs, src_mask)
        combined = self.hidden_dropout(torch.cat([query, context], dim=-1))
        att_vector = torch.tanh(self.att_vector_layer(combined))
        return att_vector, DecoderState(hidden, cell, att_vector, keys), weights

    def step(
        self,
        prev_tokens: torch.Tensor,
        state: DecoderState,
        encoder_outputs: torch.Tensor,
        src_mask: torch.Tensor,
    ) -> Tuple[torch.Tensor, DecoderState, Optional[torch.Tensor]]:
        """One decoding step.

        prev_tokens: (batch,) long, the previous target ids (BOS first).
        encoder_outputs: (batch, S, He); src_mask: (batch, S) bool, True at real positions.
        Returns log_probs (batch, V), the new state, attention weights (batch, S) or None.
        """
        att_vector, state, weights = self._advance(prev_tokens, state, encoder_outputs, src_mask)
        logits = self.output(self.hidden_dropout(att_vector))
        return torch.log_softmax(logits, dim=-1), state, weights

    def forward(
        self,
        targets_in: torch.Tensor,
        encoder_outputs: torch.Tensor,
        encoder_final: torch.Tensor,
        src_mask: torch.Tensor,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Teacher forcing.

        targets_in: (batch, T) long, BOS + target (0 = padding). encoder_outputs (batch, S, He),
        encoder_final (batch, He), src_mask (batch, S) bool.
        Returns logits (batch, T, V) and attention (batch, T, S), or None without attention.
        """
        state = self.init_state(encoder_final, encoder_outputs)
        vectors, weights = [], []
        for t in range(targets_in.shape[1]):
            att_vector, state, step_weights = self._advance(
                targets_in[:, t], state, encoder_outputs, src_mask
            )
            vectors.append(att_vector)
            weights.append(step_weights)
        if not vectors:
            empty = encoder_final.new_zeros((targets_in.shape[0], 0, self.vocab_size))
            attention = None
            if self.attention is not None:
                attention = encoder_outputs.new_zeros((targets_in.shape[0], 0, src_mask.shape[1]))
            return empty, attention
        logits = self.output(self.hidden_dropout(torch.stack(vectors, dim=1)))
        attention = None if self.attention is None else torch.stack(weights, dim=1)
        return logits, attention
