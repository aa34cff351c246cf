"""``rnn_translator_onnx``: the exported ``rnn_translator``, run by onnxruntime and numpy, no torch.

The encoder and one decoder step are ONNX graphs (:mod:`.onnx_seq2seq`); greedy and beam search
run in numpy (:mod:`nlp_rnn.array_search`, the same decisions as torch's search), with the
decoding settings the torch pipeline was saved with (factory arguments in ``config.cfg``,
overridable at load time exactly as for ``rnn_translator``). ``doc._.translation`` is written by
the same function as the torch component's.

A component folder holds ``cfg`` (the torch component's settings, the target vocabulary and the
model settings decoding reads, ``hparams``), ``featurizer.json``, ``encoder.onnx`` and ``decoder_step.onnx``.
"""

from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

import srsly
from spacy import util
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example

from ..array_search import beam_search, greedy_search
from ..evaluation.translation_metrics import translation_scores
from ..extensions import install_extensions
from ..featurizer import DocFeaturizer
from ..target_vocab import TargetVocab
from ..translation_output import Prediction, write_translations
from ..translation_settings import DECODING_DEFAULTS, check_decoding, max_output_length
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


class OnnxTranslator(Pipe):
    """``doc._.translation`` from the exported encoder and decoder-step graphs."""

    def __init__(self, vocab, name: str, *, beam_size: int, length_penalty: float, max_length_ratio: float,
                 max_length_offset: int, store_attention: bool):
        install_extensions()
        check_decoding(beam_size, max_length_ratio, max_length_offset)
        self.vocab = vocab
        self.name = name
        self.beam_size = beam_size
        self.length_penalty = length_penalty
        self.max_length_ratio = max_length_ratio
        self.max_length_offset = max_length_offset
        self.store_attention = store_attention
        self.cfg: Dict = {}
        self.featurizer: Optional[DocFeaturizer] = None
        self.target_vocab: Optional[TargetVocab] = None
        self.model: Optional[OnnxSeq2Seq] = None
        self.graphs: Dict[str, bytes] = {}

    @property
    def is_trainable(self) -> bool:
        return False

    @property
    def hparams(self) -> Dict:
        """The torch model's settings the exported one keeps (``max_target_length``,
        ``target_lang``, ``target_units``, ``attention``)."""
        return self.cfg.get("hparams", {})

    @property
    def target_lang(self) -> str:
        return self.hparams.get("target_lang", "en")

    def max_output_length(self, n_source: int) -> int:
        return max_output_length(n_source, self.max_length_ratio, self.max_length_offset, self.hparams["max_target_length"])

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for docs in util.minibatch(stream, size=batch_size):
            self.set_annotations(docs, self.predict(docs))
            yield from docs

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

    def set_state(self, cfg: Dict, featurizer: Dict, encoder: bytes, step: bytes) -> None:
        """Install settings, featurizer and graphs (what :meth:`from_disk` reads)."""
        self.cfg.update(cfg)
        self.featurizer = DocFeaturizer.from_dict(featurizer)
        self.target_vocab = TargetVocab.from_dict(cfg["target_vocab"])
        self.graphs = {ENCODER_FILE: encoder, STEP_FILE: step}
        self.model = OnnxSeq2Seq(encoder, step)

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        if self.featurizer is not None:
            srsly.write_json(path / FEATURIZER_FILE, self.featurizer.to_dict())
            for file, data in self.graphs.items():
                (path / file).write_bytes(data)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = Path(path)
        try:
            self.set_state(srsly.read_json(path / "cfg"), srsly.read_json(path / FEATURIZER_FILE),
                           (path / ENCODER_FILE).read_bytes(), (path / STEP_FILE).read_bytes())
        except Exception as error:  # OSError, JSON errors, onnxruntime's own exceptions
            raise ValueError(f"cannot load component {self.name!r} from {path}: {error}") from error
        return self

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        featurizer = self.featurizer.to_dict() if self.featurizer else None
        return srsly.msgpack_dumps({"cfg": self.cfg, "featurizer": featurizer, "graphs": self.graphs})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        if msg["featurizer"] is None:
            self.cfg.update(msg["cfg"])
        else:
            self.set_state(msg["cfg"], msg["featurizer"], msg["graphs"][ENCODER_FILE], msg["graphs"][STEP_FILE])
        return self
