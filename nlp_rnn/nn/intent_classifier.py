"""Intent classification head (N → 1) over a :class:`TextEncoder`."""

import torch
from torch import nn

from .pooling import build_pooling
from .text_encoder import TextEncoder


class IntentClassifier(nn.Module):
    """Encode, pool, classify.

    Args:
        text_encoder: token ids → states. pooling: "last" | "max" | "mean" | "attention".
        n_labels: number of intents. dropout: before the output layer.
    """

    def __init__(self, text_encoder: TextEncoder, pooling: str, n_labels: int, dropout: float = 0.0):
        super().__init__()
        self.text_encoder = text_encoder
        self.pooling = build_pooling(pooling, text_encoder.width)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(text_encoder.width, n_labels)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (batch, T, n_features) long; lengths: (batch,) long → logits (batch, n_labels)."""
        outputs, final, mask = self.text_encoder(ids, lengths)
        pooled = self.pooling(outputs, final, mask)
        return self.output(self.dropout(pooled))
