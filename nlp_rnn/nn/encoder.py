"""Recurrent encoder over packed variable-length input."""

from typing import Optional, Tuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .conv import ConvFrontEnd

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNNEncoder(nn.Module):
    """A stacked (bi)directional RNN / LSTM / GRU with an optional Conv1D front end.

    Sequences are packed, so padding never changes the result for a sequence.

    Args:
        input_size: input width E. hidden_size: H per direction. cell: "rnn" | "lstm" | "gru".
        num_layers: stacked layers. bidirectional: two directions (output width 2H).
        dropout: between stacked layers and on the output.
        conv: optional :class:`ConvFrontEnd` applied before the RNN.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: str,
        num_layers: int,
        bidirectional: bool,
        dropout: float,
        conv: Optional[ConvFrontEnd] = None,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {sorted(CELLS)}")
        if num_layers < 1:
            raise ValueError("num_layers must be >= 1")
        self.cell = cell
        self.conv = conv
        rnn_input = conv.width if conv is not None else input_size
        self.rnn = CELLS[cell](
            rnn_input,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.output_dropout = nn.Dropout(dropout)
        self.num_directions = 2 if bidirectional else 1
        self.width = hidden_size * self.num_directions

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: (batch, T, E), zeros at padding; lengths: (batch,) >= 1 (on any device).

        Returns:
            outputs: (batch, T', width), zeros at padding (T' = T unless the conv strides).
            final: (batch, width), last layer's final state of each direction, concatenated.
            lengths: (batch,) lengths of ``outputs``.
        """
        if self.conv is not None:
            x, lengths = self.conv(x, lengths)
        total_length = x.shape[1]
        packed = pack_padded_sequence(
            x, lengths.to("cpu", torch.int64), batch_first=True, enforce_sorted=False
        )
        packed_out, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=total_length)
        hidden = state[0] if self.cell == "lstm" else state
        # hidden: (layers * directions, batch, H) -> last layer, directions concatenated
        last = hidden[-self.num_directions :]
        final = torch.cat(list(last), dim=-1)
        return self.output_dropout(outputs), self.output_dropout(final), lengths
