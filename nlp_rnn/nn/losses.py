"""Training losses of the intent heads (the slot CRF and the translator have theirs beside them:
:meth:`nlp_rnn.nn.slot_head.SlotHead.loss`, :func:`nlp_rnn.nn.seq2seq.sequence_cross_entropy`)."""

from typing import Callable

import torch

from .outputs import IntentGold

MIXUP_RANGE = (0.3, 0.7)  # mixing weights of the two docs: well between the two intents


def smooth_targets(targets: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    """Label smoothing of target distributions (..., C): ``(1 − ε)·targets + ε/C``.

    The cross-entropy to these targets is ``(1 − ε)·CE(targets) + ε·CE(uniform)``, the loss the
    translator's :func:`~nlp_rnn.nn.seq2seq.sequence_cross_entropy` smooths with (there the uniform
    part leaves out the padding id). A uniform row (an explicit out-of-scope doc) stays uniform;
    ``ε = 0`` returns ``targets`` itself, so the loss is exactly the unsmoothed one.
    """
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), not {label_smoothing}")
    if label_smoothing == 0.0:
        return targets
    return (1.0 - label_smoothing) * targets + label_smoothing / targets.shape[-1]


def intent_member_loss(logits: torch.Tensor, gold: IntentGold, *, label_smoothing: float) -> torch.Tensor:
    """Every ensemble member on its own loss, mean over gold docs and members.

    logits: (B, M, C). Exclusive: cross-entropy to ``gold.targets`` (a uniform row trains an
    explicit out-of-scope doc towards the uniform distribution, outlier exposure), smoothed by
    ``label_smoothing`` ε (:func:`smooth_targets`); multi-label: binary cross-entropy per label
    (never smoothed). Docs with ``gold.mask`` 0 contribute nothing.
    """
    targets = gold.targets.to(logits.dtype).unsqueeze(1)  # (B, 1, C)
    mask = gold.mask.to(logits.dtype).view(-1, 1, 1)
    n = gold.mask.sum().clamp(min=1.0) * logits.shape[1]
    if gold.exclusive:
        per_label = -smooth_targets(targets, label_smoothing) * torch.log_softmax(logits, dim=-1)
    else:
        per_label = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, targets.expand_as(logits), reduction="none"
        )
    return (per_label * mask).sum() / n


def soft_tag_loss(emissions: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the per-token softmax of ``emissions`` (B, T, K) to target distributions
    (B, T, K) (a teacher's tag marginals), mean over the real tokens of ``mask`` (B, T)."""
    per_token = -(targets * torch.log_softmax(emissions, dim=-1)).sum(-1)
    return (per_token * mask).sum() / mask.sum().clamp(min=1)


def mixup_outlier_loss(features: torch.Tensor, classify: Callable[[torch.Tensor], torch.Tensor], gold: IntentGold) -> torch.Tensor:
    """Outlier exposure on synthetic outliers made from in-scope data (exclusive intents only).

    Each gold doc of the batch is paired with another (a random permutation, torch's seeded
    generator); for pairs of different intents, the convex mixture ``λ·f_a + (1 − λ)·f_b`` of their
    pooled features (λ uniform in :data:`MIXUP_RANGE`) lies between two intents, where no in-scope
    query should be confident, and is trained towards the uniform distribution — the same target
    as an explicit out-of-scope doc (cf. Zhan et al. 2021, "Out-of-scope intent detection with
    self-supervision and discriminative training"). The encoder learns to keep the intents apart,
    so the softmax (and the feature-space scores) separate real outliers better.

    features: (B, W) pooled features; ``classify`` maps (n, W) → (n, C) logits (the recurrent
    member's output layer). Returns the mean cross-entropy to uniform (0 without a pair).
    """
    one_hot = (gold.mask > 0) & (gold.targets.max(dim=-1).values >= 1.0)
    docs = one_hot.nonzero().flatten()
    if len(docs) < 2:
        return features.new_zeros(())
    partners = docs[torch.randperm(len(docs)).to(docs.device)]
    labels = gold.targets.argmax(dim=-1)
    differ = labels[docs] != labels[partners]
    if not bool(differ.any()):
        return features.new_zeros(())
    first, second = docs[differ], partners[differ]
    low, high = MIXUP_RANGE
    weight = torch.rand((len(first), 1)).to(features.device, features.dtype) * (high - low) + low
    mixed = weight * features[first] + (1.0 - weight) * features[second]
    return -torch.log_softmax(classify(mixed), dim=-1).mean()
