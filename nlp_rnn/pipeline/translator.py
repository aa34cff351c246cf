"""``rnn_translator``: sequence-to-sequence translation (N → M) writing ``doc._.translation``.

Training gold is the reference Doc's ``user_data["translation"]`` (``nlp-rnn convert --format
tatoeba`` / ``hf_parallel`` write it; ``DocBin(store_user_data=True)`` keeps it and spaCy's
Corpus reader delivers it as ``example.reference.user_data``). The loss is teacher-forced
cross-entropy with label smoothing, averaged over target tokens.

Decoding settings (``beam_size``, ``length_penalty``, ``max_length_ratio``,
``max_length_offset``, ``store_attention``) are factory arguments, not ``cfg``: they are saved in
the pipeline's ``config.cfg`` and can be overridden at load time, e.g.
``spacy.load(path, config={"components": {"rnn_translator": {"beam_size": 1}}})``.
"""

from typing import Any, Callable, Dict, Iterable, List, Optional

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example, validate_get_examples
from spacy.util import registry
from thinc.api import Model

from ..architectures.encoder_config import encoder_block
from ..architectures.torch_model import decode, featurize
from ..architectures.translator import TargetVocab, set_target_vocab, target_vocab
from ..evaluation.translation_metrics import translation_scores
from ..extensions import install_extensions
from ..nn.outputs import Seq2SeqGold
from ..nn.target_ids import make_targets
from ..translation_output import Prediction, write_translations
from ..translation_settings import DECODING_DEFAULTS, DecodingOptions
from .rnn_pipe import RNNPipe

TRANSLATION_KEY = "translation"  #: ``doc.user_data`` key of the gold translation

DEFAULT_MODEL = {  # only what differs from the architecture's defaults (filling the config adds them)
    "@architectures": "nlp_rnn.Seq2SeqTranslator.v2",
    "encoder": encoder_block(features=["ORTH"], feature_widths=[256], max_length=256, cell="gru"),
}


@Language.factory(
    "rnn_translator",
    assigns=["doc._.translation"],
    default_config={"model": DEFAULT_MODEL, **DECODING_DEFAULTS},
    default_score_weights={"bleu": 1.0, "chrf": 0.0},
)
def make_rnn_translator(
    nlp: Language,
    name: str,
    model: Model,
    beam_size: int,
    length_penalty: float,
    max_length_ratio: float,
    max_length_offset: int,
    store_attention: bool,
) -> "RNNTranslator":
    """Translator. ``beam_size`` 1 is greedy search; ``length_penalty`` is GNMT's alpha; an output
    has at most ``max_length_ratio * source tokens + max_length_offset`` units (and never more
    than the model's ``max_target_length``); ``store_attention`` also writes
    ``doc._.translation_attention``."""
    return RNNTranslator(
        nlp.vocab,
        model,
        name,
        beam_size=beam_size,
        length_penalty=length_penalty,
        max_length_ratio=max_length_ratio,
        max_length_offset=max_length_offset,
        store_attention=store_attention,
    )


@registry.callbacks("nlp_rnn.TranslatorDevBeam.v1")
def make_translator_dev_beam(beam_size: int = 1) -> Callable[[Language, Dict[str, Any]], None]:
    """A ``[training.before_update]`` callback: while training, decode with ``beam_size`` (1 =
    greedy) so the periodic dev evaluation is fast. Only the running pipeline changes: the saved
    ``model-best`` keeps the ``beam_size`` of its config."""

    def before_update(nlp: Language, info: Dict[str, Any]) -> None:
        for _, pipe in nlp.pipeline:
            if isinstance(pipe, RNNTranslator):
                pipe.beam_size = beam_size

    return before_update



class RNNTranslator(DecodingOptions, RNNPipe):
    """Translates each Doc into ``doc._.translation`` with an attentional encoder-decoder."""

    def __init__(
        self,
        vocab,
        model: Model,
        name: str = "rnn_translator",
        *,
        beam_size: int = DECODING_DEFAULTS["beam_size"],
        length_penalty: float = DECODING_DEFAULTS["length_penalty"],
        max_length_ratio: float = DECODING_DEFAULTS["max_length_ratio"],
        max_length_offset: int = DECODING_DEFAULTS["max_length_offset"],
        store_attention: bool = DECODING_DEFAULTS["store_attention"],
    ):
        install_extensions()
        self.set_decoding(beam_size, length_penalty, max_length_ratio, max_length_offset, store_attention)
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg: Dict[str, Any] = {}
        self._target: Optional[TargetVocab] = None
        self._target_data: Optional[dict] = None

    # --- vocabulary and settings -------------------------------------------------------------

    @property
    def target_vocab(self) -> TargetVocab:
        """The target vocabulary (cached; rebuilt when a loaded model brings another)."""
        data = self.model.attrs["build_info"].get("target_vocab")
        if self._target is None or data is not self._target_data:
            self._target, self._target_data = target_vocab(self.model), data
        return self._target

    @property
    def hparams(self) -> Dict[str, Any]:
        return self.model.attrs["hparams"]

    @property
    def target_lang(self) -> str:
        return self.hparams["target_lang"]

    # --- training ----------------------------------------------------------------------------

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        target_vocab: Optional[List[str]] = None,
    ) -> None:
        """Build the target vocabulary from the gold translations (or take ``target_vocab``, a
        list of units) and the source vocabularies from the examples' Docs."""
        validate_get_examples(get_examples, f"{type(self).__name__}.initialize")
        examples = list(get_examples())
        targets = [gold_translation(eg) for eg in examples]
        targets = [t for t in targets if t is not None]
        hp = self.hparams
        if target_vocab is not None:
            vocab = TargetVocab(target_vocab, hp["target_units"], hp["target_lang"])
        else:
            if not targets:
                raise ValueError(
                    f"{self.name!r} found no gold translations: the reference Docs need "
                    f'user_data["{TRANSLATION_KEY}"] (nlp-rnn convert --format tatoeba writes it)'
                )
            vocab = TargetVocab.from_texts(
                targets, hp["target_units"], hp["target_lang"], hp["target_min_freq"]
            )
        set_target_vocab(self.model, vocab)
        self.model.initialize(X=[eg.predicted for eg in examples])

    def trainable(self, examples: List[Example]) -> List[Example]:
        """Examples without a gold translation are left out."""
        return [eg for eg in examples if gold_translation(eg) is not None]

    def model_input(self, examples: List[Example]):
        """(source ids, target input ids (B, T_tgt)): the model is teacher-forced."""
        return self.training_input(examples), self._targets(examples)[0]

    def gold(self, examples: List[Example], outputs) -> Seq2SeqGold:
        """Target output ids (B, T_tgt) for the teacher-forced cross-entropy (label smoothing is
        the module's)."""
        return Seq2SeqGold(self._targets(examples)[1].to(outputs.logits.device))

    def _targets(self, examples: List[Example]):
        """(target input ids, target output ids), each (B, T_tgt), from ids encoded once per Example;
        padded once per batch (``model_input`` and ``gold`` of one step ask for the same batch)."""
        last = getattr(self, "_batch_targets", None)  # (the batch's Examples, held so no id is reused; targets)
        if last is not None and len(last[0]) == len(examples) and all(a is b for a, b in zip(last[0], examples)):
            return last[1]
        vocab, limit = self.target_vocab, self.hparams["max_target_length"]
        targets = self.cached_arrays(
            examples, "target", lambda egs: [numpy.asarray(vocab.encode(gold_translation(eg), limit), dtype="int64") for eg in egs]
        )
        self._batch_targets = (tuple(examples), make_targets(targets))
        return self._batch_targets[1]

    # --- prediction --------------------------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[Prediction]:
        """Output ids and attention (or None) per Doc; empty (or whitespace-only) Docs get an empty
        output without running the model. A Doc translates the same alone or in any batch."""
        docs = list(docs)
        predictions: List[Prediction] = [([], None) for _ in docs]
        todo = [i for i, doc in enumerate(docs) if doc.text.strip()]
        if not todo:
            return predictions
        src_ids, src_lengths = featurize(self.model, [docs[i] for i in todo])
        tokens, attention = decode(
            self.model, src_ids, src_lengths, self.max_output_length, beam_size=self.beam_size, length_penalty=self.length_penalty
        )
        for i, seq, att in zip(todo, tokens, attention):
            predictions[i] = (seq, att)
        return predictions

    def set_annotations(self, docs: Iterable[Doc], predictions: List[Prediction]) -> None:
        max_src = self.model.attrs["featurizer"].max_length if self._model_is_built() else None
        write_translations(docs, predictions, self.target_vocab, self.store_attention, max_src)

    # --- scoring -----------------------------------------------------------------------------

    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
        """Corpus ``bleu`` and ``chrf`` (sacrebleu defaults, cased; Chinese targets with
        ``tokenize="zh"``) as fractions 0-1 (spaCy's tables show them × 100), over the
        examples that have a gold translation."""
        hypotheses, references = [], []
        for eg in examples:
            reference = gold_translation(eg)
            if reference is None:
                continue
            references.append(reference)
            hypotheses.append(eg.predicted._.translation or "")
        scores = translation_scores(hypotheses, references, self.target_lang)
        return {"bleu": scores["bleu"], "chrf": scores["chrf"]}


def gold_translation(example: Example) -> Optional[str]:
    """The reference translation of an example, or None when it has none."""
    value = example.reference.user_data.get(TRANSLATION_KEY)
    return value if isinstance(value, str) else None
