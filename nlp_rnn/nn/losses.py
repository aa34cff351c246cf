"""Training losses of the intent heads (the slot CRF and the translator have theirs beside them:
:meth:`nlp_rnn.nn.slot_head.SlotHead.loss`, :func:`nlp_rnn.nn.seq2seq.sequence_cross_entropy`)."""

import torch

from .outputs import IntentGold


def intent_member_loss(logits: torch.Tensor, gold: IntentGold) -> torch.Tensor:
    """Every ensemble member on its own loss, mean over gold docs and members.

    logits: (B, M, C). Exclusive: cross-entropy to ``gold.targets`` (a uniform row trains an
    explicit out-of-scope doc towards the uniform distribution, outlier exposure); multi-label:
    binary cross-entropy per label. Docs with ``gold.mask`` 0 contribute nothing.
    """
    targets = gold.targets.to(logits.dtype).unsqueeze(1)  # (B, 1, C)
    mask = gold.mask.to(logits.dtype).view(-1, 1, 1)
    n = gold.mask.sum().clamp(min=1.0) * logits.shape[1]
    if gold.exclusive:
        per_label = -targets * torch.log_softmax(logits, dim=-1)
    else:
        per_label = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, targets.expand_as(logits), reduction="none"
        )
    return (per_label * mask).sum() / n
