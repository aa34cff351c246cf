"""``rnn_translator``: sequence-to-sequence translation (N → M) writing ``doc._.translation``: the
factory and the torch half of :class:`~nlp_rnn.pipeline.translator_task.TranslatorTask`.

Training gold is the reference Doc's ``user_data["translation"]`` (``nlp-rnn convert --format
tatoeba`` / ``hf_parallel`` write it; ``DocBin(store_user_data=True)`` keeps it and spaCy's
Corpus reader delivers it as ``example.reference.user_data``). The loss is teacher-forced
cross-entropy with label smoothing, averaged over target tokens.

Decoding settings (``beam_size``, ``length_penalty``, ``max_length_ratio``,
``max_length_offset``, ``store_attention``) are factory arguments, not ``cfg``: they are saved in
the pipeline's ``config.cfg`` and can be overridden at load time, e.g.
``spacy.load(path, config={"components": {"rnn_translator": {"beam_size": 1}}})``.
"""

from typing import Any, Callable, Dict, List, Optional

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import registry
from thinc.api import Model

from ..architectures.encoder_config import encoder_block
from ..architectures.torch_model import decode, featurize
from ..architectures.translator import TargetVocab, set_target_vocab
from ..nn.outputs import Seq2SeqGold
from ..nn.target_ids import make_targets
from ..translation_output import Prediction
from ..translation_settings import DECODING_DEFAULTS
from .rnn_pipe import RNNPipe
from .torch_task import TorchTask
from .translator_task import TRANSLATION_KEY, TranslatorTask, gold_translation

__all__ = ["TRANSLATION_KEY", "TranslatorTorchTask", "make_rnn_translator", "make_translator_dev_beam"]

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
) -> RNNPipe:
    """Translator. ``beam_size`` 1 is greedy search; ``length_penalty`` is GNMT's alpha; an output
    has at most ``max_length_ratio * source tokens + max_length_offset`` units (and never more
    than the model's ``max_target_length``); ``store_attention`` also writes
    ``doc._.translation_attention``."""
    task = TranslatorTorchTask(beam_size, length_penalty, max_length_ratio, max_length_offset, store_attention)
    return RNNPipe(nlp.vocab, model, name, task)


@registry.callbacks("nlp_rnn.TranslatorDevBeam.v1")
def make_translator_dev_beam(beam_size: int = 1) -> Callable[[Language, Dict[str, Any]], None]:
    """A ``[training.before_update]`` callback: while training, decode with ``beam_size`` (1 =
    greedy) so the periodic dev evaluation is fast. Only the running pipeline changes: the saved
    ``model-best`` keeps the ``beam_size`` of its config."""

    def before_update(nlp: Language, info: Dict[str, Any]) -> None:
        for _, pipe in nlp.pipeline:
            if isinstance(getattr(pipe, "task", None), TranslatorTask):
                pipe.task.beam_size = beam_size

    return before_update



class TranslatorTorchTask(TorchTask, TranslatorTask):
    """The translation task's torch half: the target vocabulary and the model at ``initialize``,
    teacher-forced training input and gold, the torch search."""

    def hparams(self, pipe) -> Dict[str, Any]:
        return pipe.model.attrs["hparams"]

    def target_data(self, pipe) -> Any:
        return pipe.model.attrs["build_info"].get("target_vocab")

    def source_max_length(self, pipe) -> Optional[int]:
        return pipe.model.attrs["featurizer"].max_length if self.is_built(pipe) else None

    def initialize(self, pipe, examples: List[Example], *, target_vocab: Optional[List[str]] = None) -> None:
        """Build the target vocabulary from the gold translations (or take ``target_vocab``, a
        list of units) and the source vocabularies from the examples' Docs."""
        targets = [t for t in (gold_translation(eg) for eg in examples) if t is not None]
        hp = self.hparams(pipe)
        if target_vocab is not None:
            vocab = TargetVocab(target_vocab, hp["target_units"], hp["target_lang"])
        else:
            if not targets:
                raise ValueError(
                    f"{pipe.name!r} found no gold translations: the reference Docs need "
                    f'user_data["{TRANSLATION_KEY}"] (nlp-rnn convert --format tatoeba writes it)'
                )
            vocab = TargetVocab.from_texts(targets, hp["target_units"], hp["target_lang"], hp["target_min_freq"])
        set_target_vocab(pipe.model, vocab)
        pipe.model.initialize(X=[eg.predicted for eg in examples])

    def trainable(self, pipe, examples: List[Example]) -> List[Example]:
        """Examples without a gold translation are left out."""
        return [eg for eg in examples if gold_translation(eg) is not None]

    def model_input(self, pipe, examples: List[Example]):
        """(source ids, target input ids (B, T_tgt)): the model is teacher-forced."""
        return pipe.training_input(examples), self._targets(pipe, examples)[0]

    def gold(self, pipe, examples: List[Example], outputs) -> Seq2SeqGold:
        """Target output ids (B, T_tgt) for the teacher-forced cross-entropy (label smoothing is
        the module's)."""
        return Seq2SeqGold(self._targets(pipe, examples)[1].to(outputs.logits.device))

    def _targets(self, pipe, examples: List[Example]):
        """(target input ids, target output ids), each (B, T_tgt), from ids encoded once per Example;
        padded once per batch (``model_input`` and ``gold`` of one step ask for the same batch)."""
        last = getattr(self, "_batch_targets", None)  # (the batch's Examples, held so no id is reused; targets)
        if last is not None and len(last[0]) == len(examples) and all(a is b for a, b in zip(last[0], examples)):
            return last[1]
        vocab, limit = self.target_vocab(pipe), self.hparams(pipe)["max_target_length"]
        targets = pipe.cached_arrays(
            examples, "target", lambda egs: [numpy.asarray(vocab.encode(gold_translation(eg), limit), dtype="int64") for eg in egs]
        )
        self._batch_targets = (tuple(examples), make_targets(targets))
        return self._batch_targets[1]

    def predict(self, pipe, docs: List[Doc]) -> List[Prediction]:
        """Output ids and attention (or None) per Doc; empty (or whitespace-only) Docs get an empty
        output without running the model. A Doc translates the same alone or in any batch."""
        predictions: List[Prediction] = [([], None) for _ in docs]
        todo = [i for i, doc in enumerate(docs) if doc.text.strip()]
        if not todo:
            return predictions
        src_ids, src_lengths = featurize(pipe.model, [docs[i] for i in todo])
        bound = self.output_bound(self.hparams(pipe)["max_target_length"])
        tokens, attention = decode(pipe.model, src_ids, src_lengths, bound, beam_size=self.beam_size, length_penalty=self.length_penalty)
        for i, seq, att in zip(todo, tokens, attention):
            predictions[i] = (seq, att)
        return predictions
