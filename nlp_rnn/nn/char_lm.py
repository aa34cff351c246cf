"""A character-level recurrent language model (Karpathy's char-rnn): embedding → stacked LSTM/GRU
→ softmax over the character vocabulary, with optional tied input/output embeddings.

The hidden state is an explicit input and output, so a caller can carry it across consecutive
chunks of one long text (truncated backpropagation through time) or across sampling steps.
Shapes: ``B`` batch (lanes), ``T`` time steps, ``V`` vocabulary size, ``L`` layers, ``H`` hidden
size, ``E`` embedding width.
"""

from typing import Optional, Tuple, Union

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# LSTM: (h, c), each (L, B, H); GRU: h (L, B, H)
State = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]
CELLS = ("lstm", "gru")


class CharLM(nn.Module):
    """Next-character model.

    Args:
        vocab_size: ``V``, the number of ids (special ids included).
        embedding_width: ``E``.
        hidden_size: ``H``.
        num_layers: ``L`` stacked recurrent layers.
        cell: "lstm" | "gru".
        dropout: on the embeddings' output, between layers and before the output layer.
        tie_embeddings: the output layer reuses the input embedding matrix (``V x E``); when
            ``H != E`` a linear projection ``H → E`` comes first.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_width: int,
        hidden_size: int,
        num_layers: int,
        cell: str,
        dropout: float,
        tie_embeddings: bool,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {cell!r}")
        self.cell = cell
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_width)
        rnn_class = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn_class(
            embedding_width,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.tie_embeddings = tie_embeddings
        if tie_embeddings:
            self.projection = (
                nn.Linear(hidden_size, embedding_width) if hidden_size != embedding_width else nn.Identity()
            )
            self.output_bias = nn.Parameter(torch.zeros(vocab_size))
        else:
            self.output = nn.Linear(hidden_size, vocab_size)

    def initial_state(self, batch_size: int, device: Optional[torch.device] = None) -> State:
        """The zero state for ``batch_size`` sequences: (L, B, H) tensors."""
        device = device or self.embedding.weight.device
        zeros = torch.zeros(self.num_layers, batch_size, self.hidden_size, device=device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros

    def forward(
        self,
        ids: torch.Tensor,
        state: Optional[State] = None,
        lengths: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, State]:
        """Logits for the next character after each input position.

        Args:
            ids: (B, T) input ids.
            state: the state before the first step ((L, B, H) tensors), or None for zeros.
            lengths: (B,) CPU int64 true lengths when rows are right-padded; the returned state
                is then each row's state after its own last real step.
        Returns:
            logits (B, T, V) and the state after the last step ((L, B, H) tensors).
        """
        if state is None:
            state = self.initial_state(ids.shape[0], ids.device)
        x = self.dropout(self.embedding(ids))
        if lengths is not None and bool((lengths < ids.shape[1]).any()):
            packed = pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
            output, state = self.rnn(packed, state)
            output, _ = pad_packed_sequence(output, batch_first=True, total_length=ids.shape[1])
        else:
            output, state = self.rnn(x, state)
        return self.logits(self.dropout(output)), state

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., H) top-layer outputs → (..., V) logits."""
        if self.tie_embeddings:
            return nn.functional.linear(self.projection(hidden), self.embedding.weight, self.output_bias)
        return self.output(hidden)


def detach_state(state: State) -> State:
    """The state cut from the autograd graph (truncated BPTT)."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def select_state(state: State, index: torch.Tensor) -> State:
    """Rows ``index`` (K,) of every (L, B, H) tensor → (L, K, H)."""
    if isinstance(state, tuple):
        return tuple(s.index_select(1, index) for s in state)
    return state.index_select(1, index)
