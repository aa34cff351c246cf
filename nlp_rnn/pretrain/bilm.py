"""``BiLanguageModel``: a :class:`TextEncoder` trained to predict the next token with its forward
states and the previous token with its backward states (ELMo's bidirectional LM objective).

Only ``text_encoder`` is kept after pretraining; the output layer (one ``Linear(H, n_words)``
shared by both directions, as ELMo shares its softmax) is thrown away. See :mod:`.leaks` for why
the forward states never see the token they predict, and :mod:`.targets` for the targets.
"""

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ..featurizer import PAD_ID
from ..nn.text_encoder import TextEncoder
from .targets import IGNORE, shifted_targets


@dataclass
class LMLoss:
    """``loss``: the scalar to minimise, the mean of the two directions' mean token losses;
    ``nll`` / ``count``: summed negative log-likelihood (nats) and number of targets per direction
    (``backward`` entries are 0 for a unidirectional encoder)."""

    loss: torch.Tensor
    forward_nll: float
    forward_count: int
    backward_nll: float
    backward_count: int


class BiLanguageModel(nn.Module):
    """Args:
        text_encoder: the encoder being pretrained (its state dict is what ``nlp-rnn pretrain`` writes).
        n_words: softmax size: word ids (feature 0) ``>= n_words`` are predicted as UNK.
        masked_columns: id columns set to padding before encoding (features computed from
            neighbouring tokens, :func:`.leaks.masked_columns`).
        window: (left, right) tokens a Conv1D front end reads around each position (:func:`.leaks.conv_window`).
    """

    def __init__(self, text_encoder: TextEncoder, n_words: int, masked_columns: Sequence[int] = (), window: Tuple[int, int] = (0, 0)):
        super().__init__()
        self.text_encoder = text_encoder
        self.hidden_size = text_encoder.encoder.rnn.hidden_size
        self.bidirectional = text_encoder.encoder.num_directions == 2
        self.n_words = n_words
        self.masked_columns = list(masked_columns)
        self.left, self.right = window
        self.output = nn.Linear(self.hidden_size, n_words)

    def states(self, ids: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor], torch.Tensor]:
        """ids: (B, T, n_columns) long, 0 = padding; lengths: (B,) long >= 1.

        Returns forward states (B, T', H), backward states (B, T', H) or None (unidirectional),
        state lengths (B,). The context features are replaced by padding first."""
        if self.masked_columns:
            ids = ids.clone()
            ids[:, :, self.masked_columns] = PAD_ID
        outputs, _, mask = self.text_encoder(ids, lengths)
        forward = outputs[:, :, : self.hidden_size]
        backward = outputs[:, :, self.hidden_size :] if self.bidirectional else None
        return forward, backward, mask.sum(dim=1)

    def loss(self, ids: torch.Tensor, lengths: torch.Tensor) -> LMLoss:
        """ids: (B, T, n_columns), lengths: (B,) as for :meth:`states`. Cross-entropy of both
        directions over every target (:mod:`.targets`)."""
        forward, backward, state_lengths = self.states(ids, lengths)
        words = ids[:, :, 0]
        n_states = forward.shape[1]
        args = (words, lengths, state_lengths, n_states)
        f_loss, f_nll, f_count = self._direction(forward, shifted_targets(*args, shift=self.right + 1, n_words=self.n_words))
        if backward is None:
            return LMLoss(f_loss, f_nll, f_count, 0.0, 0)
        b_loss, b_nll, b_count = self._direction(backward, shifted_targets(*args, shift=-self.left - 1, n_words=self.n_words))
        return LMLoss((f_loss + b_loss) / 2, f_nll, f_count, b_nll, b_count)

    def _direction(self, states: torch.Tensor, targets: torch.Tensor) -> Tuple[torch.Tensor, float, int]:
        """states (B, T', H), targets (B, T') → (mean loss, summed nll, count); only the
        positions with a target go through the softmax."""
        keep = targets != IGNORE
        count = int(keep.sum())
        if count == 0:
            zero = states.sum() * 0.0
            return zero, 0.0, 0
        logits = self.output(states[keep])  # (N, n_words)
        nll = F.cross_entropy(logits, targets[keep], reduction="sum")
        return nll / count, float(nll.detach()), count
