"""The v1 architectures: every encoder setting flat in the model block.

They stay registered so that pipelines saved with them keep loading, and each builds exactly the
model its v2 successor builds with the same settings (``tests/test_v1_configs.py``). Their
signatures are frozen copies of what v1 offered, defaults included: this module is the one place
outside the settings' homes (the v2 signatures and
:class:`~nlp_rnn.architectures.encoder_config.TextEncoderSettings`) where a setting's default is
written, and a saved v1 pipeline must keep meaning what it meant. New configs use the v2 blocks.
"""

from typing import Any, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model

from .encoder_config import TextEncoderSettings
from .intent import build_intent_classifier
from .joint import build_joint_intent_slot
from .translator import build_seq2seq_translator


@registry.architectures("nlp_rnn.IntentClassifier.v1")
def build_intent_classifier_v1(
    features: List[str] = ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
    feature_widths: List[int] = [128, 32, 32, 16],
    min_freq: int = 1,
    max_length: int = 512,
    cell: str = "lstm",
    hidden_size: int = 256,
    num_layers: int = 1,
    bidirectional: bool = True,
    dropout: float = 0.2,
    embedding_dropout: float = 0.1,
    word_dropout: float = 0.1,
    conv_filters: int = 0,
    conv_kernel: int = 3,
    conv_stride: int = 1,
    include_static_vectors: bool = False,
    freeze_static_vectors: bool = True,
    pooling: str = "max",
    ngram_size: int = 1,
    nO: Optional[int] = None,
) -> Model[List[Doc], Any]:
    """The flat v1 block of ``nlp_rnn.IntentClassifier.v2``, with these encoder settings."""
    return build_intent_classifier(TextEncoderSettings.pick(locals()), pooling, ngram_size, nO)


@registry.architectures("nlp_rnn.JointIntentSlot.v1")
def build_joint_intent_slot_v1(
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
    """The flat v1 block of ``nlp_rnn.JointIntentSlot.v2``, with these encoder settings; ``n_tags``
    is ignored (the tags come from the component)."""
    return build_joint_intent_slot(
        TextEncoderSettings.pick(locals()), pooling, use_crf, slot_to_intent, ngram_size, token_intent, n_intents
    )


@registry.architectures("nlp_rnn.Seq2SeqTranslator.v1")
def build_seq2seq_translator_v1(
    features: List[str] = ["ORTH"],
    feature_widths: List[int] = [256],
    min_freq: int = 1,
    max_length: int = 256,
    cell: str = "gru",
    hidden_size: int = 256,
    num_layers: int = 1,
    bidirectional: bool = True,
    decoder_cell: str = "gru",
    decoder_hidden_size: int = 512,
    decoder_layers: int = 1,
    attention: str = "bahdanau",
    input_feeding: bool = True,
    target_width: int = 256,
    target_units: str = "tokens",
    target_lang: str = "en",
    target_min_freq: int = 1,
    max_target_length: int = 128,
    tie_embeddings: bool = False,
    dropout: float = 0.2,
    embedding_dropout: float = 0.1,
    label_smoothing: float = 0.1,
) -> Model[List[Doc], Any]:
    """The flat v1 block of ``nlp_rnn.Seq2SeqTranslator.v2``, with these encoder settings (no word
    dropout, Conv1D or static vectors, as v1 had none)."""
    return build_seq2seq_translator(
        TextEncoderSettings.pick(locals()), decoder_cell, decoder_hidden_size, decoder_layers, attention, input_feeding, target_width,
        target_units, target_lang, target_min_freq, max_target_length, tie_embeddings, label_smoothing,
    )
