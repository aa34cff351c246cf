"""``nlp_rnn.JointIntentSlot.v1``: one encoder, an intent head and a (CRF) slot-tagging head."""

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
from .encoder_config import encoder_hparams, text_encoder_from_hparams
from .torch_model import make_lazy_torch_model


@registry.architectures("nlp_rnn.JointIntentSlot.v1")
def build_joint_intent_slot(
    features: List[str] = ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
    feature_widths: List[int] = [128, 32, 32, 16],
    min_freq: int = 1,
    max_length: int = 512,
    cell: str = "lstm",
    hidden_size: int = 128,
    num_layers: int = 1,
    bidirectional: bool = True,
    dropout: float = 0.2,
    embedding_dropout: float = 0.1,
    word_dropout: float = 0.0,
    include_static_vectors: bool = False,
    freeze_static_vectors: bool = True,
    pooling: str = "max",
    use_crf: bool = True,
    slot_to_intent: bool = False,
    ngram_size: int = 0,
    token_intent: bool = False,
    n_intents: Optional[int] = None,
    n_tags: Optional[int] = None,
) -> Model[List[Doc], Any]:
    """Joint intent + slots (``n_intents = 0``: slots only). The slot head predicts BILUO tags,
    decoded with constraints so spans are always well formed; ``use_crf`` trains transition
    scores. ``slot_to_intent`` feeds the slot-tag distribution into the intent layer.
    ``ngram_size > 0`` adds a linear bag of word 1..n-grams as a second intent member;
    ``token_intent`` a member where every token votes for the intent. There is no
    Conv1D option here: the tagger needs one encoder state per token."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    hparams = encoder_hparams(
        features, feature_widths, min_freq, max_length, cell, hidden_size, num_layers,
        bidirectional, dropout, embedding_dropout, word_dropout, 0, 3, 1,
        include_static_vectors, freeze_static_vectors,
    )
    hparams.update(pooling=pooling, use_crf=use_crf, slot_to_intent=slot_to_intent, ngram_size=ngram_size, token_intent=token_intent)
    return make_lazy_torch_model(
        "rnn_joint_intent_slot", hparams, _build_module, {"n_intents": n_intents, "n_tags": n_tags}
    )


def _build_module(hparams: Dict[str, Any], featurizer: DocFeaturizer, dims: Dict[str, int]):
    text_encoder = text_encoder_from_hparams(hparams, featurizer)
    slot_head = None
    if dims["n_tags"]:
        allowed, start, end = allowed_transitions(hparams["tags"], "BILUO")
        slot_head = SlotHead(
            text_encoder.width, dims["n_tags"], use_crf=hparams["use_crf"],
            allowed=torch.as_tensor(allowed), allowed_start=torch.as_tensor(start), allowed_end=torch.as_tensor(end),
        )
    bag = None
    if hparams.get("ngram_size") and dims["n_intents"]:
        bag = BagOfNgrams(featurizer.vocab_sizes[0], dims["n_intents"], hparams["ngram_size"])
    return JointIntentSlotModel(
        text_encoder, slot_head, dims["n_intents"], pooling=hparams["pooling"],
        slot_to_intent=hparams["slot_to_intent"], dropout=hparams["dropout"], bag_of_ngrams=bag,
        token_intent=hparams.get("token_intent", False),
    )
