"""The factories of the exported (ONNX) components: one :class:`~nlp_rnn.export.exported_pipe.ExportedPipe`
with the head's task for each. ``nlp-rnn export`` writes them in place of the torch ones
(:mod:`nlp_rnn.export.to_onnx`); their settings and labels come from disk, their run-time settings
(``span_confidence``, the translator's decoding options) from config.cfg, overridable at load time
exactly as for the torch components. This module and everything it imports must not import torch.
"""

from spacy.language import Language

from ..pipeline.intent_task import IntentTask
from ..pipeline.joint_task import JointTask
from ..pipeline.lm_task import LMTask
from ..pipeline.translator_task import TranslatorTask
from ..translation_settings import DECODING_DEFAULTS
from .exported_pipe import ExportedPipe


@Language.factory("rnn_intent_onnx", assigns=["doc.cats"], default_config={}, default_score_weights={"intent_acc": 1.0})
def make_rnn_intent_onnx(nlp: Language, name: str) -> ExportedPipe:
    """``rnn_intent`` exported to ONNX (see ``nlp-rnn export``)."""
    return ExportedPipe(nlp.vocab, name, IntentTask())


@Language.factory(
    "rnn_joint_onnx", assigns=["doc.cats", "doc.ents"], default_config={"span_confidence": True},
    default_score_weights={"intent_acc": 0.5, "span_f": 0.5},
)
def make_rnn_joint_onnx(nlp: Language, name: str, span_confidence: bool) -> ExportedPipe:
    """``rnn_joint`` exported to ONNX. ``span_confidence = false`` skips the CRF forward-backward
    pass and leaves ``span._.confidence`` at None (faster when nobody reads it)."""
    return ExportedPipe(nlp.vocab, name, JointTask(with_intents=True, span_confidence=span_confidence))


@Language.factory(
    "rnn_tagger_onnx", assigns=["doc.ents"], default_config={"span_confidence": True}, default_score_weights={"span_f": 1.0},
)
def make_rnn_tagger_onnx(nlp: Language, name: str, span_confidence: bool) -> ExportedPipe:
    """``rnn_tagger`` exported to ONNX (``span_confidence`` as for ``rnn_joint_onnx``)."""
    return ExportedPipe(nlp.vocab, name, JointTask(with_intents=False, span_confidence=span_confidence))


@Language.factory(
    "rnn_translator_onnx", assigns=["doc._.translation"], default_config=dict(DECODING_DEFAULTS),
    default_score_weights={"bleu": 1.0, "chrf": 0.0},
)
def make_rnn_translator_onnx(nlp: Language, name: str, beam_size: int, length_penalty: float, max_length_ratio: float,
                             max_length_offset: int, store_attention: bool) -> ExportedPipe:
    """``rnn_translator`` exported to ONNX, with its decoding settings."""
    task = TranslatorTask(beam_size, length_penalty, max_length_ratio, max_length_offset, store_attention)
    return ExportedPipe(nlp.vocab, name, task)


@Language.factory(
    "rnn_lm_onnx", assigns=["doc._.lm_log_loss", "doc._.lm_chars"], default_config={},
    default_score_weights={"lm_char_prob": 1.0, "lm_cross_entropy": 0.0, "lm_bits_per_char": None, "lm_perplexity": None},
)
def make_rnn_lm_onnx(nlp: Language, name: str) -> ExportedPipe:
    """``rnn_lm`` exported to ONNX: ``nlp-rnn generate`` samples from it, and it scores Docs."""
    return ExportedPipe(nlp.vocab, name, LMTask())
