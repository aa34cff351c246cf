"""``rnn_translator_onnx``: the exported ``rnn_translator``, run by onnxruntime and numpy, no torch.

The encoder and one decoder step are ONNX graphs (:mod:`.onnx_seq2seq`); greedy and beam search
run in numpy (:mod:`nlp_rnn.array_search`, the same decisions as torch's search), with the
decoding settings the torch pipeline was saved with (factory arguments in ``config.cfg``,
overridable at load time exactly as for ``rnn_translator``). ``doc._.translation`` is written by
the same function as the torch component's.

A component folder holds ``cfg`` (the torch component's settings, the target vocabulary and the
model settings decoding reads, ``hparams``), ``featurizer.json``, ``encoder.onnx`` and ``decoder_step.onnx``.
"""

from typing import Dict, Iterable, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from ..array_search import beam_search, greedy_search
from ..evaluation.translation_metrics import translation_scores
from ..extensions import install_extensions
from ..featurizer import DocFeaturizer
from ..target_vocab import TargetVocab
from ..translation_output import Prediction, write_translations
from ..translation_settings import DECODING_DEFAULTS, DecodingOptions
from .exported_pipe import BYTES, JSON, ExportedPipe
from .onnx_seq2seq import OnnxSeq2Seq

ENCODER_FILE = "encoder.onnx"
STEP_FILE = "decoder_step.onnx"
FEATURIZER_FILE = "featurizer.json"
TRANSLATION_KEY = "translation"  #: ``doc.user_data`` key of the gold translation (as for ``rnn_translator``)


@Language.factory(
    "rnn_translator_onnx", assigns=["doc._.translation"], default_config=dict(DECODING_DEFAULTS),
    default_score_weights={"bleu": 1.0, "chrf": 0.0},
)
def make_rnn_translator_onnx(
    nlp: Language, name: str, beam_size: int, length_penalty: float, max_length_ratio: float, max_length_offset: int,
    store_attention: bool,
) -> "OnnxTranslator":
    """``rnn_translator`` exported to ONNX (see ``nlp-rnn export``), with its decoding settings."""
    return OnnxTranslator(
        nlp.vocab, name, beam_size=beam_size, length_penalty=length_penalty, max_length_ratio=max_length_ratio,
        max_length_offset=max_length_offset, store_attention=store_attention,
    )


class OnnxTranslator(DecodingOptions, ExportedPipe):
    """``doc._.translation`` from the exported encoder and decoder-step graphs."""

    PARTS = ((FEATURIZER_FILE, JSON, True), (ENCODER_FILE, BYTES, True), (STEP_FILE, BYTES, True))

    def __init__(self, vocab, name: str, *, beam_size: int, length_penalty: float, max_length_ratio: float,
                 max_length_offset: int, store_attention: bool):
        install_extensions()
        self.set_decoding(beam_size, length_penalty, max_length_ratio, max_length_offset, store_attention)
        self.vocab = vocab
        self.name = name
        self.cfg: Dict = {}
        self.featurizer: Optional[DocFeaturizer] = None
        self.target_vocab: Optional[TargetVocab] = None
        self.model: Optional[OnnxSeq2Seq] = None
        self.graphs: Dict[str, bytes] = {}

    @property
    def hparams(self) -> Dict:
        """The torch model's settings the exported one keeps (``max_target_length``,
        ``target_lang``, ``target_units``, ``attention``)."""
        return self.cfg.get("hparams", {})

    @property
    def target_lang(self) -> str:
        return self.hparams.get("target_lang", "en")

    def predict(self, docs: Iterable[Doc]) -> List[Prediction]:
        """Output ids and attention (or None) per Doc, as ``rnn_translator`` predicts them; empty
        (or whitespace-only) Docs get an empty output without running the graphs."""
        if self.model is None:
            raise ValueError(f"{self.name!r} has no model: load it from a folder written by `nlp-rnn export`")
        docs = list(docs)
        predictions: List[Prediction] = [([], None) for _ in docs]
        todo = [i for i, doc in enumerate(docs) if doc.text.strip()]
        if not todo:
            return predictions
        src_ids, src_lengths = self.featurizer([docs[i] for i in todo])
        if self.beam_size == 1:
            tokens, attention = greedy_search(self.model, src_ids, src_lengths, self.max_output_length)
        else:
            tokens, attention = beam_search(self.model, src_ids, src_lengths, self.beam_size, self.max_output_length, self.length_penalty)
        for i, seq, att in zip(todo, tokens, attention):
            predictions[i] = (seq, att)
        return predictions

    def set_annotations(self, docs: Iterable[Doc], predictions: List[Prediction]) -> None:
        max_source = self.featurizer.max_length if self.featurizer is not None else None
        write_translations(docs, predictions, self.target_vocab, self.store_attention, max_source)

    def score(self, examples: Iterable[Example], **kwargs) -> Dict:
        """Corpus ``bleu`` and ``chrf`` as ``rnn_translator`` scores them."""
        pairs = [(eg.predicted._.translation or "", eg.reference.user_data.get(TRANSLATION_KEY)) for eg in examples]
        pairs = [(hypothesis, reference) for hypothesis, reference in pairs if isinstance(reference, str)]
        scores = translation_scores([h for h, _ in pairs], [r for _, r in pairs], self.target_lang)
        return {"bleu": scores["bleu"], "chrf": scores["chrf"]}

    def parts(self) -> Dict:
        if self.featurizer is None:
            return {}
        return {FEATURIZER_FILE: self.featurizer.to_dict(), **self.graphs}

    def set_parts(self, cfg: Dict, parts: Dict) -> None:
        """Install settings, featurizer and graphs."""
        self.cfg.update(cfg)
        self.featurizer = DocFeaturizer.from_dict(parts[FEATURIZER_FILE])
        self.target_vocab = TargetVocab.from_dict(cfg["target_vocab"])
        self.graphs = {ENCODER_FILE: parts[ENCODER_FILE], STEP_FILE: parts[STEP_FILE]}
        self.model = OnnxSeq2Seq(self.graphs[ENCODER_FILE], self.graphs[STEP_FILE])
