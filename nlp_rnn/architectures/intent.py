"""``nlp_rnn.IntentClassifier.v1``: Docs → intent logits (batch, n_members, n_labels)."""

from typing import Any, Dict, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats3d

from ..featurizer import DocFeaturizer
from ..nn.bag_of_ngrams import BagOfNgrams
from ..nn.intent_classifier import IntentClassifier
from ..nn.pooling import POOLINGS
from .encoder_config import encoder_hparams, text_encoder_from_hparams
from .torch_model import make_lazy_torch_model


@registry.architectures("nlp_rnn.IntentClassifier.v1")
def build_intent_classifier(
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
) -> Model[List[Doc], Floats3d]:
    """A (Bi)RNN intent classifier returning raw logits; the component applies softmax/sigmoid.

    ``features`` are spaCy token attributes embedded side by side (widths ``feature_widths``);
    vocabularies come from the training data (``min_freq``); ``conv_filters > 0`` adds a Conv1D
    front end; ``include_static_vectors`` concatenates the pipeline's vectors (frozen unless
    ``freeze_static_vectors = false``). ``ngram_size > 0`` adds a linear bag of word 1..n-grams
    as a second ensemble member. Output: logits (batch, n_members, nO). Docs longer than
    ``max_length`` tokens are truncated.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    hparams = encoder_hparams(
        features, feature_widths, min_freq, max_length, cell, hidden_size, num_layers,
        bidirectional, dropout, embedding_dropout, word_dropout, conv_filters, conv_kernel, conv_stride,
        include_static_vectors, freeze_static_vectors,
    )
    hparams.update(pooling=pooling, ngram_size=ngram_size)
    return make_lazy_torch_model("rnn_intent_classifier", hparams, _build_module, {"nO": nO})


def _build_module(hparams: Dict[str, Any], featurizer: DocFeaturizer, dims: Dict[str, int]):
    text_encoder = text_encoder_from_hparams(hparams, featurizer)
    bag = None
    if hparams.get("ngram_size"):
        bag = BagOfNgrams(featurizer.vocab_sizes[0], dims["nO"], hparams["ngram_size"])
    return IntentClassifier(text_encoder, hparams["pooling"], dims["nO"], hparams["dropout"], bag)
