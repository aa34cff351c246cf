"""The translation task (N → M): ``doc._.translation`` (and ``doc._.translation_attention``).

Gold is the reference Doc's ``user_data["translation"]`` (``nlp-rnn convert --format tatoeba`` /
``hf_parallel`` write it). Run-time settings (config.cfg, overridable at load time): the decoding
options of :mod:`nlp_rnn.translation_settings`. Predictions, from the torch model's search or the
exported graphs' numpy search (:mod:`nlp_rnn.array_search`): (output ids, attention or None) per
Doc. Scores: corpus BLEU and chrF (sacrebleu). No torch here: the torch half is
:class:`nlp_rnn.pipeline.translator.TranslatorTorchTask`.
"""

from typing import Any, Dict, List, Optional

from spacy.tokens import Doc
from spacy.training import Example

from ..array_search import beam_search, greedy_search
from ..evaluation.translation_metrics import translation_scores
from ..featurizer import DocFeaturizer
from ..onnx_runtime.parts import BYTES, ENCODER_FILE, FEATURIZER_FILE, JSON, STEP_FILE
from ..onnx_runtime.seq2seq import TranslatorRuntime
from ..target_vocab import TargetVocab
from ..translation_output import Prediction, write_translations
from ..translation_settings import DECODING_DEFAULTS, DecodingOptions
from .task import Task

TRANSLATION_KEY = "translation"  #: ``doc.user_data`` key of the gold translation


def gold_translation(example: Example) -> Optional[str]:
    """The reference translation of an example, or None when it has none."""
    value = example.reference.user_data.get(TRANSLATION_KEY)
    return value if isinstance(value, str) else None


class TranslatorTask(DecodingOptions, Task):
    """Translation; ``pipe.target_vocab``, ``pipe.hparams``, ``pipe.target_lang`` and the decoding
    settings (``pipe.beam_size`` …, settable)."""

    factory = "rnn_translator"
    exported_factory = "rnn_translator_onnx"
    exposes = ("target_vocab", "hparams", "target_lang", "max_output_length", *DECODING_DEFAULTS)
    exposed_methods = ("max_output_length",)
    exported_parts = ((FEATURIZER_FILE, JSON, True), (ENCODER_FILE, BYTES, True), (STEP_FILE, BYTES, True))

    def __init__(self, beam_size: int = DECODING_DEFAULTS["beam_size"], length_penalty: float = DECODING_DEFAULTS["length_penalty"],
                 max_length_ratio: float = DECODING_DEFAULTS["max_length_ratio"],
                 max_length_offset: int = DECODING_DEFAULTS["max_length_offset"],
                 store_attention: bool = DECODING_DEFAULTS["store_attention"]):
        self.set_decoding(beam_size, length_penalty, max_length_ratio, max_length_offset, store_attention)
        self._target: Optional[TargetVocab] = None
        self._target_data: Any = None

    def hparams(self, pipe) -> Dict[str, Any]:
        """The model settings decoding reads (``max_target_length``, ``target_lang``,
        ``target_units``, ``attention``): the exported cfg's copy."""
        return pipe.cfg.get("hparams", {})

    def target_lang(self, pipe) -> str:
        return self.hparams(pipe).get("target_lang", "en")

    def max_output_length(self, pipe, n_source: int) -> int:
        """The longest output for a source of ``n_source`` units (decoding settings, model cap)."""
        return self.output_bound(self.hparams(pipe)["max_target_length"])(n_source)

    def target_data(self, pipe) -> Any:
        """The target vocabulary as saved (JSON)."""
        return pipe.cfg.get("target_vocab")

    def target_vocab(self, pipe) -> TargetVocab:
        """The target vocabulary (cached; rebuilt when a loaded model brings another)."""
        data = self.target_data(pipe)
        if data is None:
            raise ValueError(f"{pipe.name!r} is not initialized: call nlp.initialize() first, or load a trained pipeline")
        if self._target is None or data is not self._target_data:
            self._target, self._target_data = TargetVocab.from_dict(data), data
        return self._target

    def source_max_length(self, pipe) -> Optional[int]:
        """Source tokens the model reads (longer sources are cut; attention rows are that long)."""
        return pipe.runtime.featurizer.max_length if pipe.runtime is not None else None

    def predict_exported(self, pipe, docs: List[Doc]) -> List[Prediction]:
        """Output ids and attention (or None) per Doc from the exported graphs, searched in numpy with
        the same decisions as torch; empty (or whitespace-only) Docs get an empty output without
        running the graphs."""
        predictions: List[Prediction] = [([], None) for _ in docs]
        todo = [i for i, doc in enumerate(docs) if doc.text.strip()]
        if not todo:
            return predictions
        runtime = pipe.runtime
        src_ids, src_lengths = runtime.featurizer([docs[i] for i in todo])
        bound = self.output_bound(self.hparams(pipe)["max_target_length"])
        if self.beam_size == 1:
            tokens, attention = greedy_search(runtime.model, src_ids, src_lengths, bound)
        else:
            tokens, attention = beam_search(runtime.model, src_ids, src_lengths, self.beam_size, bound, self.length_penalty)
        for i, seq, att in zip(todo, tokens, attention):
            predictions[i] = (seq, att)
        return predictions

    def write(self, pipe, docs: List[Doc], predictions: List[Prediction]) -> None:
        write_translations(docs, predictions, self.target_vocab(pipe), self.store_attention, self.source_max_length(pipe))

    def score(self, pipe, examples) -> Dict[str, Any]:
        """Corpus ``bleu`` and ``chrf`` (sacrebleu defaults, cased; Chinese targets with
        ``tokenize="zh"``) as fractions 0-1 (spaCy's tables show them × 100), over the examples
        that have a gold translation."""
        hypotheses, references = [], []
        for eg in examples:
            reference = gold_translation(eg)
            if reference is None:
                continue
            references.append(reference)
            hypotheses.append(eg.predicted._.translation or "")
        scores = translation_scores(hypotheses, references, self.target_lang(pipe))
        return {"bleu": scores["bleu"], "chrf": scores["chrf"]}

    def load_runtime(self, pipe, parts: Dict[str, Any]) -> TranslatorRuntime:
        return TranslatorRuntime(DocFeaturizer.from_dict(parts[FEATURIZER_FILE]), parts[ENCODER_FILE], parts[STEP_FILE])
