"""``nlp_rnn.Seq2SeqTranslator.v2``: Docs → target-token ids with an attentional encoder-decoder
over a nested encoder block (``.v1``, flat encoder settings, is in :mod:`.legacy` for saved pipelines).

The source side goes through the shared :class:`DocFeaturizer` (e.g. Chinese characters from
spaCy's ``zh`` ``segmenter = "char"``, plus jieba ``SOFTWORD`` / ``JIEBA_WORD`` features). The
target vocabulary is a :class:`TargetVocab`, built at ``initialize()`` from the training
translations and stored (JSON) in ``model.attrs["build_info"]["target_vocab"]``, so a saved
pipeline rebuilds the same output layer before loading its weights.

Target units (``target_units``):

* ``"tokens"``: spaCy's tokenizer for ``target_lang`` (rules for English). A token that follows
  whitespace carries a leading ``▁`` (SentencePiece's marker), so the text is rebuilt exactly
  (``I'm here.`` → ``I 'm ▁here .``) and contractions stay glued for BLEU's 13a tokenizer.
  On Tatoeba English this costs 7,200 types instead of 7,011 for bare token texts (9,326 when
  the trailing whitespace is glued to the token instead).
* ``"chars"``: one unit per character (spaces included), rebuilt by concatenation: Chinese
  targets (3,452 characters in Tatoeba train, 0.3 % of dev characters unseen).
"""

from typing import Any, Dict, List

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model

from ..featurizer import DocFeaturizer
from ..nn.attention import ATTENTIONS
from ..nn.seq2seq import Seq2Seq, attach_decoder
from ..target_vocab import SPACE_MARK, TARGET_UNITS, UNK_TEXT, TargetVocab  # noqa: F401  (re-exported)
from .encoder_config import TextEncoderSettings, text_encoder_from_hparams
from .torch_model import make_lazy_torch_model


@registry.architectures("nlp_rnn.Seq2SeqTranslator.v2")
def build_seq2seq_translator(
    encoder: TextEncoderSettings,
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
    label_smoothing: float = 0.1,
) -> Model[List[Doc], Any]:
    """Attentional encoder-decoder (Bahdanau / Luong) over spaCy Docs.

    Encoder: the nested ``encoder`` block (sources longer than its ``max_length`` are
    truncated). Decoder: ``decoder_cell`` of ``decoder_hidden_size``, ``decoder_layers``, target
    embeddings of ``target_width``, ``attention`` (bahdanau | luong_dot | luong_general | none),
    ``input_feeding``, initial state bridged from the encoder, the encoder's ``dropout`` and
    ``embedding_dropout``. Targets: ``target_units`` of ``target_lang`` (see the module
    docstring), units seen fewer than ``target_min_freq`` times become UNK, training targets are
    cut at ``max_target_length`` units (also the hard limit on a decoded output).
    ``label_smoothing`` is the ε of the training loss.
    """
    if target_units not in TARGET_UNITS:
        raise ValueError(f"target_units must be one of {TARGET_UNITS}, not {target_units!r}")
    if attention not in ATTENTIONS:
        raise ValueError(f"attention must be one of {ATTENTIONS}, not {attention!r}")
    if decoder_cell not in ("gru", "lstm"):
        raise ValueError(f"decoder_cell must be 'gru' or 'lstm', not {decoder_cell!r}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), not {label_smoothing}")
    if max_target_length < 1:
        raise ValueError("max_target_length must be >= 1")
    hparams = dict(
        encoder.hparams(),
        decoder_cell=decoder_cell,
        decoder_hidden_size=decoder_hidden_size,
        decoder_layers=decoder_layers,
        attention=attention,
        input_feeding=input_feeding,
        target_width=target_width,
        target_units=target_units,
        target_lang=target_lang,
        target_min_freq=target_min_freq,
        max_target_length=max_target_length,
        tie_embeddings=tie_embeddings,
        label_smoothing=label_smoothing,
    )
    return make_lazy_torch_model("rnn_seq2seq_translator", hparams, _build_module, {})


def _build_module(hparams: Dict[str, Any], featurizer: DocFeaturizer, dims: Dict[str, int]) -> Seq2Seq:
    if "target_vocab" not in hparams:
        raise ValueError("the translator needs its target vocabulary: call nlp.initialize() first")
    target = TargetVocab.from_dict(hparams["target_vocab"])
    return attach_decoder(
        text_encoder_from_hparams(hparams, featurizer),
        len(target),
        hparams["target_width"],
        hparams["decoder_hidden_size"],
        cell=hparams["decoder_cell"],
        num_layers=hparams["decoder_layers"],
        attention=hparams["attention"],
        input_feeding=hparams["input_feeding"],
        dropout=hparams["dropout"],
        embedding_dropout=hparams["embedding_dropout"],
        tie_embeddings=hparams["tie_embeddings"],
        label_smoothing=hparams.get("label_smoothing", 0.0),
    )


def set_target_vocab(model: Model, vocab: TargetVocab) -> None:
    """Store the vocabulary where :func:`build_torch_layer` and the saved JSON find it."""
    model.attrs["build_info"] = dict(model.attrs["build_info"], target_vocab=vocab.to_dict())
