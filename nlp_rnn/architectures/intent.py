"""``nlp_rnn.IntentClassifier.v2``: Docs → intent logits over a nested encoder block.

``nlp_rnn.IntentClassifier.v1`` (every encoder setting flat in the model block) lives in
:mod:`.legacy`, for pipelines saved with it; it builds the same model.
"""

from typing import Any, Dict, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model

from ..featurizer import DocFeaturizer
from ..nn.bag_of_ngrams import BagOfNgrams
from ..nn.intent_classifier import IntentClassifier
from ..nn.pooling import POOLINGS
from .encoder_config import TextEncoderSettings, text_encoder_from_hparams
from .torch_model import make_lazy_torch_model


@registry.architectures("nlp_rnn.IntentClassifier.v2")
def build_intent_classifier(
    encoder: TextEncoderSettings, pooling: str = "max", ngram_size: int = 1, nO: Optional[int] = None
) -> Model[List[Doc], Any]:
    """A (Bi)RNN intent classifier (:class:`~nlp_rnn.nn.intent_classifier.IntentClassifier`):
    the ``encoder`` block, ``pooling`` (last | max | mean | attention) and, with
    ``ngram_size > 0``, a linear bag of word 1..n-grams as a second ensemble member. Outputs
    :class:`~nlp_rnn.nn.outputs.IntentOutputs`: logits (B, n_members, nO) and pooled features."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    hparams = dict(encoder.hparams(), pooling=pooling, ngram_size=ngram_size)
    return make_lazy_torch_model("rnn_intent_classifier", hparams, _build_module, {"nO": nO})


def _build_module(hparams: Dict[str, Any], featurizer: DocFeaturizer, dims: Dict[str, int]):
    text_encoder = text_encoder_from_hparams(hparams, featurizer)
    bag = None
    if hparams.get("ngram_size"):
        bag = BagOfNgrams(featurizer.vocab_sizes[0], dims["nO"], hparams["ngram_size"])
    return IntentClassifier(text_encoder, hparams["pooling"], dims["nO"], hparams["dropout"], bag)
