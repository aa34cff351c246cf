"""nn-level tests of the joint intent + slot model and the slot head (no spaCy involved)."""

import pytest
import torch

from nlp_rnn.nn.bag_of_ngrams import BagOfNgrams
from nlp_rnn.nn.joint_model import JointIntentSlotModel
from nlp_rnn.nn.masking import lengths_to_mask
from nlp_rnn.nn.outputs import IntentGold, JointGold
from nlp_rnn.nn.slot_head import SlotHead
from nlp_rnn.nn.tag_constraints import allowed_transitions, is_well_formed
from nlp_rnn.nn.text_encoder import build_text_encoder

TAGS = ["O", "B-time", "I-time", "L-time", "U-time", "B-place", "I-place", "L-place", "U-place"]
VOCAB = 30


def padded_ids(lengths, n_features=2, seed=0):
    """(batch, max_len, n_features) ids in [2, VOCAB) with zeros at padding."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, VOCAB, (len(lengths), max(lengths), n_features), generator=generator)
    return ids * lengths_to_mask(torch.tensor(lengths), max(lengths)).unsqueeze(-1)


#: the tiny models' settings (the nn modules have no defaults of their own)
ENCODER = dict(cell="lstm", num_layers=1, bidirectional=True, dropout=0.0, embedding_dropout=0.0, word_dropout=0.0,
               conv_filters=0, conv_kernel=3, conv_stride=1)
JOINT = dict(pooling="max", slot_to_intent=False, dropout=0.0, token_intent=False, label_smoothing=0.0, intent_to_slot=False,
             co_attention=False)


def build_joint(n_intents=3, use_crf=True, slots=True, **options):
    torch.manual_seed(0)
    encoder = build_text_encoder([VOCAB, VOCAB], [8, 4], 6, **ENCODER)
    head = None
    if slots:
        allowed, start, end = allowed_transitions(TAGS, "BILUO")
        width = encoder.width + (n_intents if options.get("intent_to_slot") else 0)
        head = SlotHead(width, len(TAGS), use_crf=use_crf, allowed=allowed, allowed_start=start, allowed_end=end)
    return JointIntentSlotModel(encoder, head, n_intents, **dict(JOINT, **options))


@pytest.mark.parametrize(
    "options, members",
    [({}, 1), ({"token_intent": True}, 2), ({"slot_to_intent": True, "token_intent": True}, 2),
     ({"token_intent": True, "intent_to_slot": True, "slot_to_intent": True}, 2),
     ({"co_attention": True, "token_intent": True, "pooling": "attention"}, 2)],
)
def test_joint_forward_shapes(options, members):
    model = build_joint(**options).eval()
    logits, emissions, mask, _ = model(padded_ids([5, 2, 3]), torch.tensor([5, 2, 3]))
    assert logits.shape == (3, members, 3)
    assert emissions.shape == (3, 5, len(TAGS))
    assert mask.sum(1).tolist() == [5, 2, 3]


def test_joint_with_bag_of_ngrams_adds_a_member():
    torch.manual_seed(0)
    model = build_joint(bag_of_ngrams=BagOfNgrams(VOCAB, 3, ngram_size=2), token_intent=True).eval()
    logits, _, _, _ = model(padded_ids([4, 1]), torch.tensor([4, 1]))
    assert logits.shape == (2, 3, 3)


def test_intent_to_slot_feeds_the_token_intents_to_the_slot_head():
    """The slot emissions change with the token-intent layer's weights (and only with
    intent_to_slot); asking for the link without token-level intents is an error."""
    ids, lengths = padded_ids([4, 2]), torch.tensor([4, 2])
    for linked in (True, False):
        model = build_joint(token_intent=True, intent_to_slot=linked).eval()
        before = model(ids, lengths).emissions
        with torch.no_grad():
            model.token_intent_output.weight.add_(torch.randn_like(model.token_intent_output.weight))
        assert torch.allclose(before, model(ids, lengths).emissions) is not linked
    with pytest.raises(ValueError, match="intent_to_slot"):
        build_joint(token_intent=False, intent_to_slot=True)


def test_co_attention_lets_the_slots_read_the_intent_view():
    """The slot emissions move with the co-attention's intent view (the slot states attend over
    the intent states); the layer needs both heads."""
    ids, lengths = padded_ids([4, 2]), torch.tensor([4, 2])
    model = build_joint(co_attention=True).eval()
    before = model(ids, lengths).emissions
    with torch.no_grad():
        model.co_attention.intent_view.weight.add_(torch.randn_like(model.co_attention.intent_view.weight))
    assert not torch.allclose(before, model(ids, lengths).emissions)
    with pytest.raises(ValueError, match="co_attention"):
        build_joint(n_intents=0, co_attention=True)


def test_tagger_without_intents_and_intents_without_slots():
    tagger = build_joint(n_intents=0).eval()
    logits, emissions, _, _ = tagger(padded_ids([4, 2]), torch.tensor([4, 2]))
    assert logits.shape == (2, 1, 0) and emissions.shape == (2, 4, len(TAGS))
    classifier = build_joint(slots=False).eval()
    logits, emissions, _, _ = classifier(padded_ids([4, 2]), torch.tensor([4, 2]))
    assert logits.shape == (2, 1, 3) and emissions.shape == (2, 4, 0)


@pytest.mark.parametrize("options", [{}, {"slot_to_intent": True, "token_intent": True, "pooling": "attention"},
                                     {"token_intent": True, "intent_to_slot": True},
                                     {"co_attention": True, "token_intent": True, "intent_to_slot": True}])
def test_joint_outputs_do_not_depend_on_padding(options):
    """A sentence gets the same intent logits and emissions alone and inside a padded batch."""
    model = build_joint(**options).eval()
    batch = padded_ids([7, 3, 5])
    logits, emissions, _, _ = model(batch, torch.tensor([7, 3, 5]))
    alone_logits, alone_emissions, _, _ = model(batch[1:2, :3], torch.tensor([3]))
    torch.testing.assert_close(logits[1], alone_logits[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(emissions[1, :3], alone_emissions[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("use_crf", [True, False])
def test_slot_head_learns_a_tiny_tagging_task(use_crf):
    """A few dozen steps on two sentences: the loss falls and decoding reproduces the gold tags."""
    model = build_joint(n_intents=0, use_crf=use_crf)
    ids = padded_ids([4, 3], seed=1)
    lengths = torch.tensor([4, 3])
    gold = torch.tensor([[0, 1, 2, 3], [4, 0, 8, 0]])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        _, emissions, mask, _ = model(ids, lengths)
        loss = model.slot_head.loss(emissions, gold, mask, label_smoothing=0.0)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5
    model.eval()
    _, emissions, mask, _ = model(ids, lengths)
    tags, confidence = model.slot_head.decode(emissions, mask)
    assert tags[0].tolist() == [0, 1, 2, 3]
    assert tags[1, :3].tolist() == [4, 0, 8]
    assert torch.all(confidence[1, 3:] == 0) and torch.all(confidence[mask] > 0.5)


def test_slot_head_decoding_is_always_well_formed():
    """Random emissions that favour broken sequences still decode to well-formed BILUO."""
    model = build_joint(n_intents=0, use_crf=False).eval()
    generator = torch.Generator().manual_seed(3)
    emissions = torch.randn(16, 6, len(TAGS), generator=generator) * 5
    emissions[:, :, 2] += 4  # I-time everywhere: never well formed on its own
    lengths = torch.randint(1, 7, (16,), generator=generator)
    mask = lengths_to_mask(lengths, 6)
    tags, confidence = model.slot_head.decode(emissions, mask)
    for row, length in zip(tags.tolist(), lengths.tolist()):
        assert is_well_formed([TAGS[i] for i in row[:length]], "BILUO")
    assert torch.all((confidence >= 0) & (confidence <= 1 + 1e-6))


def test_softmax_slot_loss_ignores_padding():
    head = build_joint(n_intents=0, use_crf=False).slot_head
    emissions = torch.randn(1, 4, len(TAGS))
    tags = torch.tensor([[1, 3, 0, 0]])
    short_mask = torch.tensor([[True, True, False, False]])
    changed = emissions.clone()
    changed[0, 2:] = torch.randn(2, len(TAGS)) * 10
    assert head.loss(emissions, tags, short_mask, label_smoothing=0.0).item() == pytest.approx(head.loss(changed, tags, short_mask, label_smoothing=0.0).item())


def _gold(batch, steps, intent_ids, n_intents=3, seed=0):
    targets = torch.zeros(batch, n_intents)
    mask = torch.zeros(batch)
    for row, intent in enumerate(intent_ids):
        if intent is not None:
            targets[row, intent], mask[row] = 1.0, 1.0
    generator = torch.Generator().manual_seed(seed)
    tags = torch.zeros(batch, steps, dtype=torch.long)
    tags[:, 0] = torch.randint(0, 2, (batch,), generator=generator) * 4  # O or U-time
    return JointGold(IntentGold(targets, mask, True), tags)


def test_joint_contract_loss_trains_and_decode_gives_well_formed_tags():
    model = build_joint(token_intent=True)
    ids, lengths = padded_ids([5, 3, 4]), torch.tensor([5, 3, 4])
    gold = _gold(3, 5, [0, 2, None])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(40):
        optimizer.zero_grad()
        loss = model.loss(model(ids, lengths), gold)
        first = loss.item() if first is None else first
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 3
    model.eval()
    predictions = model.decode(model(ids, lengths))
    assert predictions.intent_probs.shape == (3, 3)
    assert predictions.intent_probs[:2].argmax(-1).tolist() == [0, 2]
    assert [len(row) for row in predictions.tag_ids] == [5, 3, 4]
    for row in predictions.tag_ids:
        assert is_well_formed([TAGS[i] for i in row], "BILUO")
    assert predictions.tag_ids[0][0] == gold.tag_ids[0, 0].item()


def test_joint_loss_ignores_docs_without_gold_intent_and_weights_the_parts():
    model = build_joint().eval()
    ids, lengths = padded_ids([4, 2]), torch.tensor([4, 2])
    outputs = model(ids, lengths)
    gold = _gold(2, 4, [1, None])
    slots_only = model.loss(outputs, gold._replace(intent_weight=0.0)).item()
    intents_only = model.loss(outputs, gold._replace(slot_weight=0.0)).item()
    assert model.loss(outputs, gold).item() == pytest.approx(slots_only + intents_only, rel=1e-5)
    # the second doc has no gold intent: changing its logits cannot change the intent loss
    expected = torch.nn.functional.cross_entropy(outputs.intent_logits[:1, 0], torch.tensor([1])).item()
    assert intents_only == pytest.approx(expected, rel=1e-5)


def test_shape_checks_name_the_tensor():
    model = build_joint().eval()
    with pytest.raises(ValueError, match="ids must be"):
        model(torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 3]))
    with pytest.raises(ValueError, match="lengths must be"):
        model(padded_ids([3, 3]), torch.tensor([3, 3, 3]))
    outputs = model(padded_ids([3, 3]), torch.tensor([3, 3]))
    with pytest.raises(ValueError, match="gold intents has batch size 3"):
        model.loss(outputs, _gold(3, 3, [0, 1, 2]))


def test_a_softmax_slot_head_decodes_with_the_constraints_alone():
    """Without use_crf the transition, start and end scores are zero, as documented (the CRF's
    random start values would make two heads of the same emissions decode differently)."""
    head = build_joint(n_intents=0, use_crf=False).slot_head
    assert all(float(p.abs().sum()) == 0.0 and not p.requires_grad for p in head.crf.parameters())
