"""Intent–slot co-attention: a light interaction layer between the intent and the slot view of
the encoder states (after the co-interactive / bi-directional interrelated joint models), with
the recurrent encoder underneath."""

import math
from typing import Tuple

import torch
from torch import nn


def masked_attention(queries: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention of every query over the real keys, which are also the values.

    queries, keys: (batch, T, W); mask (batch, T) bool → (batch, T, W). Padding keys get weight 0,
    so a sentence's outputs do not depend on the padding beside it in a batch.
    """
    scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1])
    scores = scores.masked_fill(~mask.unsqueeze(1), torch.finfo(scores.dtype).min)
    return torch.bmm(torch.softmax(scores, dim=-1), keys)


class IntentSlotCoAttention(nn.Module):
    """forward(states (batch, T, W), mask (batch, T) bool) → (intent states, slot states), each
    (batch, T, W): two linear views of the states, each updated with attention over the other
    (residual, layer-normalised), so the intent head sees the tokens as slots and the slot head
    sees them as intent evidence."""

    def __init__(self, width: int):
        super().__init__()
        self.intent_view = nn.Linear(width, width)
        self.slot_view = nn.Linear(width, width)
        self.intent_norm = nn.LayerNorm(width)
        self.slot_norm = nn.LayerNorm(width)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        intent, slot = self.intent_view(states), self.slot_view(states)
        intent_states = self.intent_norm(intent + masked_attention(intent, slot, mask))
        slot_states = self.slot_norm(slot + masked_attention(slot, intent, mask))
        return intent_states, slot_states
