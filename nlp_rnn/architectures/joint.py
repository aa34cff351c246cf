"""``nlp_rnn.JointIntentSlot.v2`` (one encoder, an intent head and a CRF slot head) and
``nlp_rnn.Tagger.v1`` (the slot head alone), both over a nested encoder block.

The tag list is not a setting: the component derives it from the slot labels it finds at
``initialize()`` and hands it over in ``model.attrs["build_info"]["tags"]``; the number of tags
follows from it. ``nlp_rnn.JointIntentSlot.v1`` (flat encoder settings, an ``n_tags`` dim) lives in
:mod:`.legacy`, for saved pipelines; it builds the same model.
"""

from typing import Any, Dict, List, Optional

import torch
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model

from ..featurizer import DocFeaturizer
from ..nn.bag_of_ngrams import BagOfNgrams
from ..nn.joint_model import JointIntentSlotModel
from ..nn.pooling import POOLINGS
from ..nn.slot_head import SlotHead
from ..nn.tag_constraints import allowed_transitions
from ..tag_schemes import MODEL_SCHEME
from .encoder_config import TextEncoderSettings, text_encoder_from_hparams
from .torch_model import make_lazy_torch_model


@registry.architectures("nlp_rnn.JointIntentSlot.v2")
def build_joint_intent_slot(
    encoder: TextEncoderSettings,
    pooling: str = "max",
    use_crf: bool = True,
    slot_to_intent: bool = False,
    ngram_size: int = 0,
    token_intent: bool = False,
    n_intents: Optional[int] = None,
    label_smoothing: float = 0.0,
    intent_to_slot: bool = False,
    co_attention: bool = False,
) -> Model[List[Doc], Any]:
    """Joint intent + slots. The slot head predicts BILUO tags, decoded with constraints so
    spans are always well formed; ``use_crf`` trains transition scores. ``slot_to_intent`` feeds
    the slot-tag distribution into the intent layer; ``ngram_size > 0`` adds a linear bag of
    word 1..n-grams as a second intent member; ``token_intent`` a member where every token votes.
    ``label_smoothing`` is the ε of the intent cross-entropy and, without ``use_crf``, of the
    per-token slot cross-entropy (with the CRF it smooths the intent loss only); this signature is
    where its default (0, off) is written. ``intent_to_slot`` (needs ``token_intent``) lets the slot
    head read each token's intent distribution (Stack-Propagation's intent → slot link);
    ``co_attention`` puts an intent–slot co-attention layer between the encoder and the heads. Outputs :class:`~nlp_rnn.nn.outputs.JointOutputs`."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), not {label_smoothing}")
    if intent_to_slot and not token_intent:
        raise ValueError("intent_to_slot reads the token-level intents: set token_intent = true too")
    encoder.check_one_state_per_token("JointIntentSlot")
    hparams = dict(encoder.hparams(), pooling=pooling, use_crf=use_crf, slot_to_intent=slot_to_intent,
                   ngram_size=ngram_size, token_intent=token_intent, label_smoothing=label_smoothing,
                   intent_to_slot=intent_to_slot, co_attention=co_attention)
    return make_lazy_torch_model("rnn_joint_intent_slot", hparams, _build_module, {"n_intents": n_intents})


@registry.architectures("nlp_rnn.Tagger.v1")
def build_tagger(encoder: TextEncoderSettings, use_crf: bool = True) -> Model[List[Doc], Any]:
    """Sequence tagger (slots, NER): the encoder block and a BILUO slot head, CRF-trained with
    ``use_crf``, constrained decoding either way. Outputs :class:`~nlp_rnn.nn.outputs.JointOutputs`
    without intents."""
    encoder.check_one_state_per_token("Tagger")
    hparams = dict(encoder.hparams(), use_crf=use_crf, pooling="max", slot_to_intent=False, ngram_size=0, token_intent=False)
    return make_lazy_torch_model("rnn_tagger", hparams, _build_module, {})


def _build_module(hparams: Dict[str, Any], featurizer: DocFeaturizer, dims: Dict[str, int]):
    text_encoder = text_encoder_from_hparams(hparams, featurizer)
    n_intents = dims.get("n_intents") or 0
    tags = hparams.get("tags") or []
    intent_to_slot = bool(hparams.get("intent_to_slot")) and n_intents > 0 and bool(tags)
    slot_head = None
    if tags:
        allowed, start, end = allowed_transitions(tags, MODEL_SCHEME)
        slot_head = SlotHead(
            text_encoder.width + (n_intents if intent_to_slot else 0), len(tags), use_crf=hparams["use_crf"],
            allowed=torch.as_tensor(allowed), allowed_start=torch.as_tensor(start), allowed_end=torch.as_tensor(end),
        )
    elif not n_intents:
        raise ValueError("the tagger has no tags: call nlp.initialize() with gold spans first")
    bag = None
    if hparams.get("ngram_size") and n_intents:
        bag = BagOfNgrams(featurizer.vocab_sizes[0], n_intents, hparams["ngram_size"])
    return JointIntentSlotModel(
        text_encoder, slot_head, n_intents, pooling=hparams["pooling"],
        slot_to_intent=hparams["slot_to_intent"], dropout=hparams["dropout"], bag_of_ngrams=bag,
        token_intent=hparams.get("token_intent", False),
        label_smoothing=hparams.get("label_smoothing", 0.0),  # the tagger has none: off
        intent_to_slot=intent_to_slot,
        co_attention=bool(hparams.get("co_attention")) and n_intents > 0 and bool(tags),
    )
