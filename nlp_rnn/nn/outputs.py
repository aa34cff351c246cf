"""The named structures every torch model in :mod:`nlp_rnn.nn` speaks (the component contract).

Each task model exposes three methods, so every pipe trains and predicts the same way
(:mod:`nlp_rnn.architectures.torch_model` is the only thinc/torch glue):

* ``forward(ids, lengths[, target_in]) -> outputs`` — one of the ``*Outputs`` tuples below;
* ``loss(outputs, gold) -> scalar tensor`` — ``gold`` one of the ``*Gold`` tuples;
* ``decode(outputs, ...) -> predictions`` — what the pipe writes into Docs. The translator
  decodes by search from the source (``Seq2Seq.decode(ids, lengths, ...)``): teacher-forced
  outputs cannot be decoded.

Shapes: B batch, T tokens, M ensemble members, C intents, K slot tags, W pooled width,
S target steps, V target vocabulary.
"""

from typing import List, NamedTuple, Optional

import torch


class IntentOutputs(NamedTuple):
    logits: torch.Tensor  #: (B, M, C) — the recurrent member first, then the optional ones
    features: torch.Tensor  #: (B, W) pooled encoder features the recurrent member classifies


class IntentGold(NamedTuple):
    targets: torch.Tensor  #: (B, C) float: one-hot / multi-hot; uniform for an out-of-scope doc
    mask: torch.Tensor  #: (B,) float: 1 for docs with gold (or explicit out-of-scope docs)
    exclusive: bool  #: softmax cross-entropy (True) or per-label binary cross-entropy
    mixup_outliers: float = 0.0  #: weight of the synthetic-outlier loss (:func:`~nlp_rnn.nn.losses.mixup_outlier_loss`; 0: off)


class JointOutputs(NamedTuple):
    intent_logits: torch.Tensor  #: (B, M, C); (B, 1, 0) without intents
    emissions: torch.Tensor  #: (B, T, K) slot-tag scores; (B, T, 0) without slots
    mask: torch.Tensor  #: (B, T) bool, real tokens
    features: torch.Tensor  #: (B, W) what the intent output layer reads; (B, 0) without intents

    @property
    def logits(self) -> torch.Tensor:
        """The intent logits, under the name :class:`IntentOutputs` gives them."""
        return self.intent_logits


class DistillTargets(NamedTuple):
    """Soft targets from teacher models (:mod:`nlp_rnn.pipeline.distillation`)."""

    intent: torch.Tensor  #: (B, C) the teachers' mean intent probabilities
    tags: torch.Tensor  #: (B, T, K) their mean tag marginals (0 at padding)
    weight: float  #: of the distillation loss, beside the gold loss's weight 1


class JointGold(NamedTuple):
    intent: IntentGold  #: exclusive intent targets (unused without intents)
    tag_ids: torch.Tensor  #: (B, T) long gold tag per token (0 = O at padding)
    intent_weight: float = 1.0
    slot_weight: float = 1.0
    distill: Optional[DistillTargets] = None  #: teachers' soft targets while distilling


class JointPredictions(NamedTuple):
    intent_probs: torch.Tensor  #: (B, C) member-averaged probabilities
    tag_ids: List[List[int]]  #: best well-formed tag ids per doc, one per real token
    confidences: List[Optional[List[float]]]  #: the chosen tags' marginal probabilities (None: not computed)


class Seq2SeqOutputs(NamedTuple):
    logits: torch.Tensor  #: (B, S, V) teacher-forced next-unit scores


class Seq2SeqGold(NamedTuple):
    target_out: torch.Tensor  #: (B, S) long: target + EOS, PAD at padding
