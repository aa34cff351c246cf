"""Slot tagging head (N → N): per-token emissions decoded by a CRF, or by softmax.

Decoding is always constrained by the tag scheme's allowed transitions, so BIO / BILUO output is
well formed. Without ``use_crf`` the transition scores stay at zero (not trained) and the CRF
machinery only enforces the constraints over log-softmax emissions.
"""

from typing import Optional, Tuple

import torch
from torch import nn

from .crf import CRF
from .losses import smooth_targets, soft_tag_loss


class SlotHead(nn.Module):
    """Args:
        width: encoder output width W. n_tags: K.
        use_crf: train transition scores with the CRF likelihood (else token cross-entropy).
        allowed, allowed_start, allowed_end: (K, K), (K,), (K,) bool transition constraints.
    """

    def __init__(
        self,
        width: int,
        n_tags: int,
        use_crf: bool,
        allowed: Optional[torch.Tensor] = None,
        allowed_start: Optional[torch.Tensor] = None,
        allowed_end: Optional[torch.Tensor] = None,
    ):
        super().__init__()
        self.use_crf = use_crf
        self.emission = nn.Linear(width, n_tags)
        self.crf = CRF(n_tags, allowed=allowed, allowed_start=allowed_start, allowed_end=allowed_end)
        if not use_crf:  # constraints only: zero scores (not the CRF's small random start), never trained
            for parameter in self.crf.parameters():
                nn.init.zeros_(parameter)
                parameter.requires_grad_(False)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """states: (batch, T, W) → emissions (batch, T, K)."""
        return self.emission(states)

    def loss(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, *, label_smoothing: float) -> torch.Tensor:
        """Mean negative log-likelihood per sentence (CRF) or per token (softmax).

        emissions: (batch, T, K); tags: (batch, T) long; mask: (batch, T) bool. ``label_smoothing``
        ε smooths the per-token cross-entropy (softmax head only: the CRF likelihood of a whole tag
        sequence is never smoothed, so with ``use_crf`` ε has no effect here).
        """
        if self.use_crf:
            return self.crf.neg_log_likelihood(emissions, tags, mask, reduction="mean")
        log_probs = torch.log_softmax(emissions, dim=-1)
        if label_smoothing > 0:
            one_hot = torch.nn.functional.one_hot(tags, log_probs.shape[-1]).to(log_probs.dtype)
            picked = (smooth_targets(one_hot, label_smoothing) * log_probs).sum(-1)
        else:
            picked = log_probs.gather(-1, tags.unsqueeze(-1)).squeeze(-1)
        return -(picked * mask).sum() / mask.sum().clamp(min=1)

    def soft_loss(self, emissions: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy to per-token tag distributions ``targets`` (B, T, K) (a teacher's
        marginals), mean per sentence (CRF: ``log Z − expected score``, so the CRF's own marginals
        move towards the targets) or per token (softmax)."""
        if self.use_crf:
            losses = self.crf.log_partition(emissions, mask) - self.crf.expected_score(emissions, targets, mask)
            return losses.mean() if losses.numel() else losses.sum()
        return soft_tag_loss(emissions, targets, mask)

    def _path_scores(self, emissions: torch.Tensor) -> torch.Tensor:
        """What the CRF decodes: the emissions (CRF head) or their log-softmax (softmax head)."""
        return emissions if self.use_crf else torch.log_softmax(emissions, dim=-1)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """p(tag at t = k) under the head's constrained decoding, (batch, T, K), 0 at padding."""
        return self.crf.marginals(self._path_scores(emissions), mask)

    def decode(
        self, emissions: torch.Tensor, mask: torch.Tensor, confidences: bool = True
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Best well-formed tag sequence and each chosen tag's marginal probability.

        Returns tags (batch, T) long and confidences (batch, T) float, 0 at padding; ``None``
        for the confidences when ``confidences`` is False (the forward-backward pass is skipped).
        """
        tags, _ = self.crf.viterbi_decode(self._path_scores(emissions), mask)
        if not confidences:
            return tags, None
        marginals = self.marginals(emissions, mask)
        confidence = marginals.gather(-1, tags.unsqueeze(-1)).squeeze(-1) * mask
        return tags, confidence
