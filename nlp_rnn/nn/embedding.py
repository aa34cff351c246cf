"""Token embeddings from several categorical features, plus optional static vectors."""

from typing import Optional, Sequence

import torch
from torch import nn

from .char_cnn import CharCNN


class FeatureEmbedding(nn.Module):
    """Concatenate one learned embedding per token feature (word, prefix, suffix, shape...).

    Feature ids use 0 for padding (embedded as zeros) and 1 for unknown values.

    Args:
        vocab_sizes: number of ids of each feature.
        widths: embedding width of each feature.
        static_vectors: optional (vocab_sizes[0], dim) pretrained table, looked up with the ids of
            feature 0 (the word) and concatenated after the learned embeddings.
        freeze_static: keep the static table fixed (True) or fine-tune it (False).
        dropout: dropout on the concatenated embedding.
        word_dropout: in training, the probability of replacing a token's word id (feature 0) by
            the unknown id (1), so the model learns to use the other features for unseen words.
        char_columns: C > 0 when the last feature is the characters of each token: then the last
            C id columns are character ids, and the last vocabulary size / width pair belongs to a
            :class:`CharCNN` instead of an embedding table.
    """

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        widths: Sequence[int],
        *,
        dropout: float,
        word_dropout: float,
        static_vectors: Optional[torch.Tensor] = None,
        static_width: int = 0,
        freeze_static: bool = True,
        char_columns: int = 0,
    ):
        super().__init__()
        self.word_dropout = word_dropout
        if len(vocab_sizes) != len(widths):
            raise ValueError(f"{len(vocab_sizes)} feature vocabularies but {len(widths)} widths")
        self.char_columns = char_columns
        self.chars = CharCNN(vocab_sizes[-1], widths[-1]) if char_columns else None
        token_features = len(vocab_sizes) - (1 if char_columns else 0)
        self.tables = nn.ModuleList(
            nn.Embedding(size, width, padding_idx=0)
            for size, width in zip(vocab_sizes[:token_features], widths[:token_features])
        )
        if static_vectors is not None:
            static_width = static_vectors.shape[1]
        self.static = None
        if static_width:
            self.static = nn.Embedding(vocab_sizes[0], static_width, padding_idx=0)
            if static_vectors is not None:
                with torch.no_grad():
                    self.static.weight.copy_(static_vectors)
            self.static.weight.requires_grad_(not freeze_static)
        self.dropout = nn.Dropout(dropout)
        self.width = sum(widths) + static_width

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids: (batch, T, n_features) long (the last ``char_columns`` of them character ids).

        Returns (batch, T, width); padding rows are zero."""
        if self.training and self.word_dropout > 0:
            words = ids[:, :, 0]
            drop = (torch.rand(words.shape, device=ids.device) < self.word_dropout) & (words != 0)
            ids = torch.cat([words.masked_fill(drop, 1).unsqueeze(-1), ids[:, :, 1:]], dim=-1)
        parts = [table(ids[:, :, i]) for i, table in enumerate(self.tables)]
        if self.chars is not None:
            parts.append(self.chars(ids[:, :, ids.shape[2] - self.char_columns :]))
        if self.static is not None:
            static = self.static(ids[:, :, 0])
            parts.append(static * (ids[:, :, :1] != 0))
        return self.dropout(torch.cat(parts, dim=-1))
