"""Attention over encoder states: Bahdanau (additive) and Luong (dot, general).

All variants share one base class. A score function compares the decoder query with every
(projected) key; a softmax over the real source positions turns scores into weights; the context
is the weighted sum of the values. Keys that need a projection are projected once per source
sentence with :meth:`Attention.project_keys` and reused at every decoder step through
:meth:`Attention.attend`.
"""

from typing import Optional, Tuple

import torch
from torch import nn


class Attention(nn.Module):
    """Base class.

    forward(query (batch, Hq), keys (batch, S, Hk), values (batch, S, Hv), mask (batch, S) bool)
    → context (batch, Hv), weights (batch, S).

    Weights sum to 1 over real positions (mask True) and are exactly 0 at padding. A row with no
    real position at all gets all-zero weights and a zero context (never NaN).
    """

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """keys (batch, S, Hk) → projected keys (batch, S, K), computed once per source."""
        return keys

    def score(self, query: torch.Tensor, projected_keys: torch.Tensor) -> torch.Tensor:
        """query (batch, Hq), projected keys (batch, S, K) → unnormalised scores (batch, S)."""
        raise NotImplementedError

    def attend(
        self,
        query: torch.Tensor,
        projected_keys: torch.Tensor,
        values: torch.Tensor,
        mask: torch.Tensor,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Like :meth:`forward`, with keys already passed through :meth:`project_keys`."""
        scores = self.score(query, projected_keys).masked_fill(~mask, float("-inf"))
        # masked_fill after the softmax: exact zeros at padding, and zeros (not NaN) for a row
        # whose positions are all masked.
        weights = torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)
        context = torch.bmm(weights.unsqueeze(1), values).squeeze(1)
        return context, weights

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.attend(query, self.project_keys(keys), values, mask)


class BahdanauAttention(Attention):
    """Additive attention (Bahdanau et al. 2015): score = v · tanh(Wq q + Wk k).

    Args:
        query_size: Hq. key_size: Hk. hidden_size: width of the additive layer (default Hq).
    """

    def __init__(self, query_size: int, key_size: int, hidden_size: Optional[int] = None):
        super().__init__()
        hidden_size = hidden_size or query_size
        self.key_layer = nn.Linear(key_size, hidden_size, bias=False)
        self.query_layer = nn.Linear(query_size, hidden_size, bias=False)
        self.energy_layer = nn.Linear(hidden_size, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key_layer(keys)

    def score(self, query: torch.Tensor, projected_keys: torch.Tensor) -> torch.Tensor:
        energy = torch.tanh(self.query_layer(query).unsqueeze(1) + projected_keys)
        return self.energy_layer(energy).squeeze(-1)


class LuongDotAttention(Attention):
    """Multiplicative attention (Luong et al. 2015), "dot": score = q · k. Needs Hq == Hk."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        if query_size != key_size:
            raise ValueError(
                f"luong_dot attention needs query size == key size, got {query_size} and "
                f"{key_size}; use luong_general or bahdanau"
            )

    def score(self, query: torch.Tensor, projected_keys: torch.Tensor) -> torch.Tensor:
        return torch.bmm(projected_keys, query.unsqueeze(-1)).squeeze(-1)


class LuongGeneralAttention(LuongDotAttention):
    """Multiplicative attention, "general": score = q · (W k), W k precomputed per source."""

    def __init__(self, query_size: int, key_size: int):
        Attention.__init__(self)
        self.key_layer = nn.Linear(key_size, query_size, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key_layer(keys)


ATTENTIONS = ("bahdanau", "luong_dot", "luong_general", "none")


def build_attention(name: str, query_size: int, key_size: int) -> Optional[Attention]:
    """Attention by name; "none" returns None (the decoder then sees only its bridged state).

    query_size: decoder hidden size. key_size: encoder output width.
    """
    if name == "bahdanau":
        return BahdanauAttention(query_size, key_size)
    if name == "luong_dot":
        return LuongDotAttention(query_size, key_size)
    if name == "luong_general":
        return LuongGeneralAttention(query_size, key_size)
    if name == "none":
        return None
    raise ValueError(f"unknown attention {name!r}; choose one of {', '.join(ATTENTIONS)}")
