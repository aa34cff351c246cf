"""Label smoothing of the joint model's intent and slot cross-entropies (nn level, tiny sizes)."""

import pytest
import torch

from nlp_rnn.nn.joint_model import JointIntentSlotModel
from nlp_rnn.nn.losses import intent_member_loss, smooth_targets
from nlp_rnn.nn.masking import lengths_to_mask
from nlp_rnn.nn.outputs import IntentGold, JointGold
from nlp_rnn.nn.slot_head import SlotHead
from nlp_rnn.nn.tag_constraints import allowed_transitions
from nlp_rnn.nn.text_encoder import build_text_encoder

TAGS = ["O", "B-time", "I-time", "L-time", "U-time"]
VOCAB = 20
LENGTHS = [5, 2, 3]
#: the tiny encoder's settings (the nn modules have no defaults of their own)
ENCODER = dict(cell="lstm", num_layers=1, bidirectional=True, dropout=0.0, embedding_dropout=0.0, word_dropout=0.0,
               conv_filters=0, conv_kernel=3, conv_stride=1)


def joint(use_crf: bool, label_smoothing: float) -> JointIntentSlotModel:
    torch.manual_seed(0)
    encoder = build_text_encoder([VOCAB], [8], 6, **ENCODER)
    allowed, start, end = allowed_transitions(TAGS, "BILUO")
    head = SlotHead(encoder.width, len(TAGS), use_crf=use_crf, allowed=allowed, allowed_start=start, allowed_end=end)
    return JointIntentSlotModel(encoder, head, 3, pooling="max", slot_to_intent=False, dropout=0.0, token_intent=True,
                                label_smoothing=label_smoothing, intent_to_slot=False, co_attention=False).eval()


def batch():
    generator = torch.Generator().manual_seed(1)
    mask = lengths_to_mask(torch.tensor(LENGTHS), max(LENGTHS))
    ids = torch.randint(2, VOCAB, (len(LENGTHS), max(LENGTHS), 1), generator=generator) * mask.unsqueeze(-1)
    tags = torch.tensor([[1, 2, 3, 0, 4], [4, 0, 0, 0, 0], [0, 1, 3, 0, 0]])  # well formed (BILUO), O at padding
    targets = torch.tensor([[1.0, 0, 0], [0, 0, 1.0], [1 / 3, 1 / 3, 1 / 3]])  # the last: explicit out of scope
    gold = JointGold(IntentGold(targets, torch.ones(3), True), tags)
    return ids, torch.tensor(LENGTHS), gold


def old_loss(model: JointIntentSlotModel, outputs, gold) -> torch.Tensor:
    """The unsmoothed loss, written out: intent cross-entropy per member + slot NLL."""
    log_probs = torch.log_softmax(outputs.intent_logits, dim=-1)
    intent = -(gold.intent.targets.unsqueeze(1) * log_probs).sum(-1).mean()
    if model.slot_head.use_crf:
        slots = model.slot_head.crf.neg_log_likelihood(outputs.emissions, gold.tag_ids, outputs.mask, reduction="mean")
    else:
        token = torch.log_softmax(outputs.emissions, -1).gather(-1, gold.tag_ids.unsqueeze(-1)).squeeze(-1)
        slots = -(token * outputs.mask).sum() / outputs.mask.sum()
    return intent + slots


@pytest.mark.parametrize("use_crf", [True, False])
def test_zero_smoothing_is_the_old_loss_and_positive_differs(use_crf):
    ids, lengths, gold = batch()
    plain = joint(use_crf, 0.0)
    outputs = plain(ids, lengths)
    loss = plain.loss(outputs, gold)
    assert torch.allclose(loss, old_loss(plain, outputs, gold), atol=1e-6)
    smoothed = joint(use_crf, 0.1)
    smoothed.load_state_dict(plain.state_dict())
    smoothed_loss = smoothed.loss(smoothed(ids, lengths), gold)
    assert torch.isfinite(smoothed_loss) and not torch.allclose(smoothed_loss, loss)


def test_crf_slot_loss_is_not_smoothed():
    """With a CRF the smoothed and plain joint losses differ only by their intent terms."""
    ids, lengths, gold = batch()
    plain, smoothed = joint(True, 0.0), joint(True, 0.2)
    smoothed.load_state_dict(plain.state_dict())
    outputs = plain(ids, lengths)
    slots_only = lambda model: model.loss(outputs, gold._replace(intent_weight=0.0))  # noqa: E731
    assert torch.allclose(slots_only(plain), slots_only(smoothed))


def test_smoothed_intent_loss_is_the_mixture_with_uniform():
    """(1 − ε)·CE(gold) + ε·CE(uniform), as the translator's sequence loss; out-of-scope rows unchanged."""
    logits = torch.randn(3, 2, 4, generator=torch.Generator().manual_seed(0))
    targets = torch.tensor([[0, 1.0, 0, 0], [1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]])
    gold = IntentGold(targets, torch.ones(3), True)
    eps = 0.1
    log_probs = torch.log_softmax(logits, -1)
    nll = -(targets.unsqueeze(1) * log_probs).sum(-1)
    expected = ((1 - eps) * nll + eps * -log_probs.mean(-1)).mean()
    assert torch.allclose(intent_member_loss(logits, gold, label_smoothing=eps), expected, atol=1e-6)
    assert torch.equal(smooth_targets(targets, 0.0), targets)
    assert torch.allclose(smooth_targets(targets, eps)[2], targets[2])
    with pytest.raises(ValueError):
        smooth_targets(targets, 1.0)


def test_setting_flows_from_config_to_module():
    from spacy.util import registry
    from thinc.api import Config

    from nlp_rnn.architectures.joint import build_joint_intent_slot

    assert registry.architectures.get("nlp_rnn.JointIntentSlot.v2") is build_joint_intent_slot
    block = {"@architectures": "nlp_rnn.JointIntentSlot.v2", "encoder": {"@architectures": "nlp_rnn.TextEncoder.v1"}}
    default = registry.resolve(Config({"model": block}))["model"]
    assert default.attrs["hparams"]["label_smoothing"] == 0.0
    smoothed = registry.resolve(Config({"model": dict(block, label_smoothing=0.1)}))["model"]
    assert smoothed.attrs["hparams"]["label_smoothing"] == 0.1
    with pytest.raises(ValueError):
        registry.resolve(Config({"model": dict(block, label_smoothing=1.5)}))
