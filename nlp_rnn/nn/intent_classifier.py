"""Intent classification head (N → 1) over a :class:`TextEncoder`."""

from typing import Optional

import torch
from torch import nn

from .bag_of_ngrams import BagOfNgrams
from .losses import intent_member_loss, mixup_outlier_loss
from .outputs import IntentGold, IntentOutputs
from .pooling import build_pooling
from .shapes import check_same_batch
from .text_encoder import TextEncoder


class IntentClassifier(nn.Module):
    """Encode, pool, classify.

    Args:
        text_encoder: token ids → states. pooling: "last" | "max" | "mean" | "attention".
        n_labels: number of intents. dropout: before the output layer.
        bag_of_ngrams: optional linear n-gram classifier over the word ids (feature 0), a second
            ensemble member trained with its own loss beside the recurrent one.
    """

    def __init__(self, text_encoder: TextEncoder, pooling: str, n_labels: int, dropout: float, bag_of_ngrams: Optional[BagOfNgrams] = None):
        super().__init__()
        self.bag_of_ngrams = bag_of_ngrams
        self.text_encoder = text_encoder
        self.pooling = build_pooling(pooling, text_encoder.width)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(text_encoder.width, n_labels)

    @property
    def n_members(self) -> int:
        return 1 + (self.bag_of_ngrams is not None)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> IntentOutputs:
        """ids: (B, T, F) long; lengths: (B,) long.

        Returns logits (B, n_members, n_labels) — the recurrent member first, then the bag of
        n-grams if present; each member is trained on its own loss, predictions average them —
        and the pooled features (B, width) the recurrent member classifies.
        """
        outputs, final, mask = self.text_encoder(ids, lengths)
        pooled = self.pooling(outputs, final, mask)
        members = [self.output(self.dropout(pooled))]
        if self.bag_of_ngrams is not None:
            members.append(self.bag_of_ngrams(ids[:, :, 0]))
        return IntentOutputs(torch.stack(members, dim=1), pooled)

    def loss(self, outputs: IntentOutputs, gold: IntentGold) -> torch.Tensor:
        """Cross-entropy (exclusive) or binary cross-entropy per label, every member on its own;
        plus ``gold.mixup_outliers`` × the synthetic-outlier loss while training (exclusive)."""
        check_same_batch("gold targets", gold.targets, outputs.logits.shape[0])
        loss = intent_member_loss(outputs.logits, gold, label_smoothing=0.0)  # IntentClassifier.v2 offers no smoothing
        if gold.exclusive and gold.mixup_outliers > 0 and self.training:
            loss = loss + gold.mixup_outliers * mixup_outlier_loss(outputs.features, lambda f: self.output(self.dropout(f)), gold)
        return loss

    def decode(self, outputs: IntentOutputs, exclusive: bool = True) -> torch.Tensor:
        """(B, n_labels) probabilities averaged over the members: softmax of the logits
        (exclusive), else sigmoid. Calibration is the pipe's (:mod:`nlp_rnn.oos.temperature`)."""
        if exclusive:
            return torch.softmax(outputs.logits, dim=-1).mean(dim=1)
        return torch.sigmoid(outputs.logits).mean(dim=1)
