"""Pool a sequence of encoder states into one vector: last | max | mean | attention."""

import torch
from torch import nn


class Pooling(nn.Module):
    """Base class. forward(outputs (batch, T, W), final (batch, W), mask (batch, T) bool) →
    (batch, W). Padding positions never contribute."""

    def forward(self, outputs: torch.Tensor, final: torch.Tensor, mask: torch.Tensor):
        raise NotImplementedError


class LastPooling(Pooling):
    """The encoder's final state (last real step forwards, first step backwards)."""

    def forward(self, outputs, final, mask):
        return final


class MaxPooling(Pooling):
    """Element-wise maximum over real positions."""

    def forward(self, outputs, final, mask):
        filled = outputs.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        return filled.max(dim=1).values


class MeanPooling(Pooling):
    """Average over real positions."""

    def forward(self, outputs, final, mask):
        weights = mask.unsqueeze(-1).to(outputs.dtype)
        return (outputs * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class AttentionPooling(Pooling):
    """Additive self-attention: score_t = v · tanh(W h_t), softmax over real positions."""

    def __init__(self, width: int):
        super().__init__()
        self.project = nn.Linear(width, width)
        self.score = nn.Linear(width, 1, bias=False)

    def attention_weights(self, outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Returns (batch, T) weights summing to 1 over real positions."""
        scores = self.score(torch.tanh(self.project(outputs))).squeeze(-1)
        return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)

    def forward(self, outputs, final, mask):
        weights = self.attention_weights(outputs, mask)
        return torch.bmm(weights.unsqueeze(1), outputs).squeeze(1)


POOLINGS = ("last", "max", "mean", "attention")


def build_pooling(name: str, width: int) -> Pooling:
    """Pooling by name; ``width`` is the encoder output width."""
    if name == "last":
        return LastPooling()
    if name == "max":
        return MaxPooling()
    if name == "mean":
        return MeanPooling()
    if name == "attention":
        return AttentionPooling(width)
    raise ValueError(f"unknown pooling {name!r}; choose one of {', '.join(POOLINGS)}")
