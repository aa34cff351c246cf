"""Sequence-to-sequence model (N → M): the shared :class:`TextEncoder` + an :class:`RNNDecoder`.

Target ids reserve four values (PAD, UNK, BOS, EOS: :mod:`.target_ids`); real target tokens start
at ``N_SPECIAL`` = 4. Decoding is :mod:`.search`, over the step API this model offers.
"""

from typing import Callable, List, Optional, Tuple

import numpy
import torch
from torch import nn

from .decoder import RNNDecoder
from .outputs import Seq2SeqGold, Seq2SeqOutputs
from .search import beam_search, greedy_search
from .shapes import check_same_batch
from .target_ids import PAD
from .text_encoder import TextEncoder


class Seq2Seq(nn.Module):
    """Encoder-decoder with attention.

    Args:
        encoder: source ids (batch, S, n_features) → states (see :class:`TextEncoder`).
        decoder: an :class:`RNNDecoder` whose ``encoder_size`` equals ``encoder.width``.
        label_smoothing: the ε of the training loss (:func:`sequence_cross_entropy`).
    """

    def __init__(self, encoder: TextEncoder, decoder: RNNDecoder, label_smoothing: float):
        super().__init__()
        self.label_smoothing = label_smoothing
        if decoder.encoder_size != encoder.width:
            raise ValueError(
                f"decoder expects encoder width {decoder.encoder_size}, "
                f"encoder gives {encoder.width}"
            )
        self.encoder = encoder
        self.decoder = decoder

    def encode(
        self, src_ids: torch.Tensor, src_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """src_ids (batch, S, n_features) long, 0 = padding; src_lengths (batch,).

        Returns outputs (batch, S', He), final (batch, He), mask (batch, S') bool. An empty source
        is encoded as one padding step (S' >= 1).
        """
        return self.encoder(src_ids, src_lengths)

    def forward(self, src_ids: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> Seq2SeqOutputs:
        """Teacher forcing: tgt_in (batch, T) = BOS + target, 0-padded → logits (batch, T, V)."""
        check_same_batch("tgt_in", tgt_in, src_ids.shape[0])
        outputs, final, mask = self.encode(src_ids, src_lengths)
        logits, _ = self.decoder(tgt_in, outputs, final, mask)
        return Seq2SeqOutputs(logits)

    def loss(self, outputs: Seq2SeqOutputs, gold: Seq2SeqGold) -> torch.Tensor:
        """Label-smoothed cross-entropy, mean over the real target tokens (see
        :func:`sequence_cross_entropy`); gold.target_out (batch, T)."""
        if gold.target_out.shape != outputs.logits.shape[:2]:
            raise ValueError(f"target_out {tuple(gold.target_out.shape)} does not match logits {tuple(outputs.logits.shape)}")
        return sequence_cross_entropy(outputs.logits, gold.target_out, PAD, label_smoothing=self.label_smoothing)

    def decode(
        self,
        src_ids: torch.Tensor,
        src_lengths: torch.Tensor,
        max_length: Callable[[int], int],
        beam_size: int = 1,
        length_penalty: float = 0.0,
    ) -> Tuple[List[List[int]], List[Optional[numpy.ndarray]]]:
        """Search from the source (greedy for ``beam_size`` 1, else beam search): output ids per
        sentence and its attention (n_out, S) or None. ``max_length(n_source)`` bounds each
        output. Runs in evaluation mode without gradients."""
        was_training = self.training
        self.eval()
        try:
            if beam_size == 1:
                return greedy_search(self, src_ids, src_lengths, max_length)
            return beam_search(self, src_ids, src_lengths, beam_size, max_length, length_penalty=length_penalty)
        finally:
            self.train(was_training)


def sequence_cross_entropy(
    logits: torch.Tensor, tgt_out: torch.Tensor, pad_id: int = PAD, *, label_smoothing: float
) -> torch.Tensor:
    """Token-level cross-entropy, **averaged over the real (non-padding) target tokens**.

    logits: (batch, T, V); tgt_out: (batch, T) long, target + EOS, ``pad_id`` at padding.
    Positions whose target is ``pad_id`` contribute nothing. With label smoothing ε the target
    distribution is (1 - ε) on the gold token + ε spread uniformly over the V - 1 non-padding
    ids. Returns a scalar (0 when there is no real token).
    """
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    real = tgt_out != pad_id
    nll = -log_probs.gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)
    if label_smoothing > 0:
        vocab = log_probs.shape[-1]
        uniform = -(log_probs.sum(dim=-1) - log_probs[..., pad_id]) / (vocab - 1)
        nll = (1.0 - label_smoothing) * nll + label_smoothing * uniform
    nll = nll.masked_fill(~real, 0.0)
    return nll.sum() / real.sum().clamp(min=1)


def attach_decoder(
    encoder: TextEncoder, tgt_vocab_size: int, tgt_embedding_size: int, decoder_hidden: int,
    *, label_smoothing: float, **decoder_options
) -> Seq2Seq:
    """A :class:`Seq2Seq` of an existing encoder and a new :class:`RNNDecoder` sized to it;
    ``decoder_options`` are RNNDecoder's keyword arguments (cell, attention, dropout, ...)."""
    decoder = RNNDecoder(tgt_vocab_size, tgt_embedding_size, decoder_hidden, encoder.width, **decoder_options)
    return Seq2Seq(encoder, decoder, label_smoothing)
