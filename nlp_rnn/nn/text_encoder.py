"""Token ids → contextual token states: feature embeddings, optional Conv1D, RNN encoder."""

from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from .conv import ConvFrontEnd
from .embedding import FeatureEmbedding
from .encoder import RNNEncoder
from .masking import lengths_to_mask
from .shapes import check_token_inputs


class TextEncoder(nn.Module):
    """The shared front half of every model (intent, tagging, translation)."""

    def __init__(self, embedding: FeatureEmbedding, encoder: RNNEncoder):
        super().__init__()
        self.embedding = embedding
        self.encoder = encoder
        self.width = encoder.width

    def forward(
        self, ids: torch.Tensor, lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """ids: (batch, T, n_features) long, 0 = padding; lengths: (batch,) long.

        Returns outputs (batch, T', width), final (batch, width), mask (batch, T') bool.
        Empty sequences (length 0) are encoded as one padding step.
        """
        check_token_inputs(ids, lengths)
        lengths = lengths.clamp(min=1)
        if ids.shape[1] == 0:
            ids = ids.new_zeros((ids.shape[0], 1, ids.shape[2]))
        embedded = self.embedding(ids)
        outputs, final, lengths = self.encoder(embedded, lengths)
        return outputs, final, lengths_to_mask(lengths.to(outputs.device), outputs.shape[1])


def build_text_encoder(
    vocab_sizes: Sequence[int],
    widths: Sequence[int],
    hidden_size: int,
    *,
    cell: str,
    num_layers: int,
    bidirectional: bool,
    dropout: float,
    embedding_dropout: float,
    word_dropout: float,
    conv_filters: int,
    conv_kernel: int,
    conv_stride: int,
    static_vectors: Optional[torch.Tensor] = None,
    static_width: int = 0,
    freeze_static: bool = True,
    char_columns: int = 0,
) -> TextEncoder:
    """Assemble a :class:`TextEncoder`; ``conv_filters = 0`` means no Conv1D front end."""
    embedding = FeatureEmbedding(
        vocab_sizes,
        widths,
        static_vectors=static_vectors,
        static_width=static_width,
        freeze_static=freeze_static,
        dropout=embedding_dropout,
        word_dropout=word_dropout,
        char_columns=char_columns,
    )
    conv = None
    if conv_filters:
        conv = ConvFrontEnd(embedding.width, conv_filters, conv_kernel, conv_stride)
    encoder = RNNEncoder(
        embedding.width,
        hidden_size,
        cell=cell,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=dropout,
        conv=conv,
    )
    return TextEncoder(embedding, encoder)
