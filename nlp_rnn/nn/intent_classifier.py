"""Intent classification head (N → 1) over a :class:`TextEncoder`."""

from typing import Optional, Tuple

import torch
from torch import nn

from .bag_of_ngrams import BagOfNgrams
from .pooling import build_pooling
from .text_encoder import TextEncoder


class IntentClassifier(nn.Module):
    """Encode, pool, classify.

    Args:
        text_encoder: token ids → states. pooling: "last" | "max" | "mean" | "attention".
        n_labels: number of intents. dropout: before the output layer.
        bag_of_ngrams: optional linear n-gram classifier over the word ids (feature 0), a second
            ensemble member trained with its own loss beside the recurrent one.
    """

    def __init__(self, text_encoder: TextEncoder, pooling: str, n_labels: int, dropout: float = 0.0, bag_of_ngrams: Optional[BagOfNgrams] = None):
        super().__init__()
        self.bag_of_ngrams = bag_of_ngrams
        self.text_encoder = text_encoder
        self.pooling = build_pooling(pooling, text_encoder.width)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(text_encoder.width, n_labels)

    @property
    def n_members(self) -> int:
        return 1 + (self.bag_of_ngrams is not None)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (batch, T, n_features) long; lengths: (batch,) long.

        Returns logits (batch, n_members, n_labels): the recurrent member first, then the bag of
        n-grams if present. Each member is trained on its own loss; predictions average them.
        """
        return self.forward_with_features(ids, lengths)[0]

    def forward_with_features(self, ids: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """As :meth:`forward`, plus the pooled encoder features (batch, width) the recurrent
        member classifies (what an out-of-scope feature-space scorer reads)."""
        outputs, final, mask = self.text_encoder(ids, lengths)
        pooled = self.pooling(outputs, final, mask)
        members = [self.output(self.dropout(pooled))]
        if self.bag_of_ngrams is not None:
            members.append(self.bag_of_ngrams(ids[:, :, 0]))
        return torch.stack(members, dim=1), pooled
