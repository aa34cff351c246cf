"""Joint intent classification + slot tagging over one shared encoder."""

from typing import Optional

import torch
from torch import nn

from .bag_of_ngrams import BagOfNgrams
from .co_attention import IntentSlotCoAttention
from .losses import intent_member_loss, mixup_outlier_loss
from .outputs import IntentGold, JointGold, JointOutputs, JointPredictions
from .pooling import build_pooling
from .shapes import check_same_batch
from .slot_head import SlotHead
from .text_encoder import TextEncoder


def fit_steps(per_step: torch.Tensor, steps: int) -> torch.Tensor:
    """(B, T', ...) per-step targets cut or zero-padded to (B, steps, ...): the outputs' steps."""
    fitted = per_step.new_zeros((per_step.shape[0], steps) + tuple(per_step.shape[2:]))
    width = min(steps, per_step.shape[1])
    fitted[:, :width] = per_step[:, :width]
    return fitted


class JointIntentSlotModel(nn.Module):
    """One encoder, two heads; either head may be absent (``n_intents = 0`` → a plain tagger).

    Args:
        text_encoder: ids → states (the encoder must not stride: one state per token).
        slot_head: the tagging head, or None for intent only.
        n_intents: intent classes. pooling: "last" | "max" | "mean" | "attention".
        slot_to_intent: feed the pooled slot-tag distribution into the intent layer
            (a slot-gated / stack-propagation style link from slots to the intent).
        dropout: before the intent output layer.
        bag_of_ngrams: optional linear n-gram intent classifier over the word ids (feature 0), a
            second intent ensemble member with its own loss (as in :class:`IntentClassifier`).
        token_intent: add a token-level intent member (stack-propagation style voting): every
            token's state predicts the sentence's intent, and the member's logits are the mean of
            the tokens' log-probabilities (a normalised geometric-mean vote).
        intent_to_slot: the slot head reads each token's intent distribution beside its state
            (Stack-Propagation's intent → slot link; needs ``token_intent`` and a slot head whose
            width is the encoder's plus ``n_intents``). The slot loss trains the token intents too.
        co_attention: an :class:`IntentSlotCoAttention` layer over the encoder states: the intent
            pooling and token vote read its intent states, the slot head its slot states (both
            heads present; the encoder's width either way).
        label_smoothing: ε of the intent cross-entropy (every member) and, with a softmax slot
            head, of the per-token slot cross-entropy; a CRF slot head's sequence likelihood is not
            smoothed, so with ``use_crf`` ε acts on the intent loss only (0: off).
    """

    def __init__(
        self,
        text_encoder: TextEncoder,
        slot_head: Optional[SlotHead],
        n_intents: int,
        *,
        pooling: str,
        slot_to_intent: bool,
        dropout: float,
        token_intent: bool,
        label_smoothing: float,
        intent_to_slot: bool,
        co_attention: bool,
        bag_of_ngrams: Optional[BagOfNgrams] = None,
    ):
        super().__init__()
        if intent_to_slot and not (token_intent and n_intents and slot_head is not None):
            raise ValueError("intent_to_slot needs token_intent, intents and a slot head")
        if co_attention and not (n_intents and slot_head is not None):
            raise ValueError("co_attention needs both intents and a slot head")
        self.label_smoothing = label_smoothing
        self.bag_of_ngrams = bag_of_ngrams if n_intents else None
        self.text_encoder = text_encoder
        self.slot_head = slot_head
        self.n_intents = n_intents
        self.slot_to_intent = slot_to_intent and slot_head is not None
        if n_intents:
            self.pooling = build_pooling(pooling, text_encoder.width)
            extra = slot_head.emission.out_features if self.slot_to_intent else 0
            self.intent_output = nn.Linear(text_encoder.width + extra, n_intents)
        self.token_intent_output = nn.Linear(text_encoder.width, n_intents) if token_intent and n_intents else None
        self.intent_to_slot = intent_to_slot
        self.co_attention = IntentSlotCoAttention(text_encoder.width) if co_attention else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> JointOutputs:
        """ids: (B, T, F); lengths: (B,).

        Returns intent logits (B, n_members, n_intents) — the recurrent member first, then the
        bag of n-grams and the token-level vote if present; (B, 1, 0) without intents — slot
        emissions (B, T, K) (K = 0 without slots), the mask (B, T) bool and the pooled features
        (B, W') the intent output layer reads (W' includes the slot distribution with
        ``slot_to_intent``; (B, 0) without intents).
        """
        outputs, final, mask = self.text_encoder(ids, lengths)
        batch, steps = mask.shape
        intent_states = slot_states = outputs
        if self.co_attention is not None:
            intent_states, slot_states = self.co_attention(outputs, mask)
        # computed here only when the slots read them, so without intent_to_slot dropout draws in the order it always did
        token_log_probs = self._token_log_probs(intent_states) if self.intent_to_slot else None
        emissions = outputs.new_zeros((batch, steps, 0))
        if self.slot_head is not None:
            slot_input = torch.cat([slot_states, token_log_probs.exp()], dim=-1) if self.intent_to_slot else slot_states
            emissions = self.slot_head(slot_input)
        intent_logits = outputs.new_zeros((batch, 1, 0))
        pooled = outputs.new_zeros((batch, 0))
        if self.n_intents:
            pooled = self.pooling(intent_states, final, mask)
            if self.slot_to_intent:
                tag_probs = torch.softmax(emissions, dim=-1) * mask.unsqueeze(-1)
                pooled = torch.cat([pooled, tag_probs.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)], dim=-1)
            members = [self.intent_output(self.dropout(pooled))]
            if self.bag_of_ngrams is not None:
                members.append(self.bag_of_ngrams(ids[:, :, 0]))
            if self.token_intent_output is not None:
                token_log_probs = self._token_log_probs(intent_states) if token_log_probs is None else token_log_probs
                members.append(self._token_vote(token_log_probs, mask))
            intent_logits = torch.stack(members, dim=1)
        return JointOutputs(intent_logits, emissions, mask, pooled)

    def loss(self, outputs: JointOutputs, gold: JointGold) -> torch.Tensor:
        """``intent_weight`` × intent cross-entropy (every member on its own, explicit
        out-of-scope docs towards uniform) + ``slot_weight`` × slot NLL (CRF or per token), the
        cross-entropies smoothed by ``label_smoothing`` (the CRF NLL never); with ``gold.distill``,
        plus its weight × (the cross-entropy of every intent member to the teachers' intent
        probabilities + the slot head's cross-entropy to their tag marginals, :meth:`SlotHead.soft_loss`).
        gold.tag_ids (B, T') is cut or padded to the T steps of the outputs."""
        loss = outputs.emissions.new_zeros(())
        batch, steps = outputs.mask.shape
        if self.n_intents:
            check_same_batch("gold intents", gold.intent.targets, batch)
            loss = loss + gold.intent_weight * intent_member_loss(outputs.intent_logits, gold.intent, label_smoothing=self.label_smoothing)
            if gold.intent.mixup_outliers > 0 and self.training:
                outliers = mixup_outlier_loss(outputs.features, lambda f: self.intent_output(self.dropout(f)), gold.intent)
                loss = loss + gold.intent_weight * gold.intent.mixup_outliers * outliers
        if self.slot_head is not None:
            check_same_batch("gold tags", gold.tag_ids, batch)
            tags = fit_steps(gold.tag_ids.to(torch.long), steps)
            loss = loss + gold.slot_weight * self.slot_head.loss(outputs.emissions, tags, outputs.mask, label_smoothing=self.label_smoothing)
        if gold.distill is not None:
            loss = loss + gold.distill.weight * self._distill_loss(outputs, gold.distill)
        return loss

    def _distill_loss(self, outputs: JointOutputs, distill) -> torch.Tensor:
        """Soft cross-entropies to the teachers' intent probabilities (B, C) and tag marginals
        (B, T', K), T' cut or padded to the outputs' T steps."""
        loss = outputs.emissions.new_zeros(())
        batch, steps = outputs.mask.shape
        if self.n_intents:
            teacher = IntentGold(distill.intent.to(outputs.intent_logits.dtype), outputs.mask.new_ones(batch, dtype=outputs.intent_logits.dtype), True)
            loss = loss + intent_member_loss(outputs.intent_logits, teacher, label_smoothing=0.0)
        if self.slot_head is not None:
            tags = fit_steps(distill.tags.to(outputs.emissions.dtype), steps)
            loss = loss + self.slot_head.soft_loss(outputs.emissions, tags, outputs.mask)
        return loss

    @staticmethod
    def intent_probabilities(outputs: JointOutputs) -> torch.Tensor:
        """(B, C) member-averaged intent probabilities (softmax of the logits; calibration is the pipe's);
        (B, 0) without intents."""
        return torch.softmax(outputs.intent_logits, dim=-1).mean(dim=1)

    def decode(self, outputs: JointOutputs, span_confidence: bool = True) -> JointPredictions:
        """:meth:`intent_probabilities` and, per doc, the best well-formed tag ids with their marginal
        confidences (empty without slots; ``None`` per doc with ``span_confidence`` False, which
        skips the forward-backward pass)."""
        probs = self.intent_probabilities(outputs)
        batch = outputs.mask.shape[0]
        if self.slot_head is None:
            return JointPredictions(probs, [[] for _ in range(batch)], [[] for _ in range(batch)])
        tags, confidence = self.slot_head.decode(outputs.emissions, outputs.mask, confidences=span_confidence)
        lengths = outputs.mask.sum(1).tolist()
        tags = tags.cpu().tolist()
        confidences = [None] * batch if confidence is None else [row[:n] for row, n in zip(confidence.cpu().tolist(), lengths)]
        return JointPredictions(probs, [row[:n] for row, n in zip(tags, lengths)], confidences)

    def _token_log_probs(self, outputs: torch.Tensor) -> torch.Tensor:
        """outputs (batch, T, width) → (batch, T, n_intents): each token's intent log-probabilities."""
        return torch.log_softmax(self.token_intent_output(self.dropout(outputs)), dim=-1)

    @staticmethod
    def _token_vote(log_probs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log_probs (batch, T, n_intents) of each token's intent, mask (batch, T) → (batch,
        n_intents): their mean over real tokens."""
        weights = mask.unsqueeze(-1).to(log_probs.dtype)
        return (log_probs * weights).sum(1) / weights.sum(1).clamp(min=1)
