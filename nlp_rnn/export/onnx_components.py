"""spaCy components that run an exported ONNX graph with onnxruntime: no torch needed.

``nlp-rnn export MODEL OUT --format onnx`` replaces every ``rnn_intent`` / ``rnn_joint`` /
``rnn_tagger`` component of a pipeline by ``rnn_intent_onnx`` / ``rnn_joint_onnx`` /
``rnn_tagger_onnx``. They write the same annotations (``doc.cats``, ``doc.ents`` or
``doc.spans[key]``, ``span._.confidence``) from the same featurizer, with the torch part of the
model as an ONNX graph and the rest (softmax, ensemble mean, prior correction, constrained CRF
decoding) in numpy. This module and everything it imports must not import torch.

A component folder holds ``cfg`` (the torch component's settings and labels), ``featurizer.json``,
``model.onnx`` and, for taggers, ``crf.json`` (transition scores and masks).
"""

from typing import Dict, Iterable, List, Optional

import numpy
from spacy.language import Language
from spacy.tokens import Doc

from ..extensions import install_extensions
from ..featurizer import DocFeaturizer
from ..length_buckets import length_buckets
from ..oos.flat_keys import nest_flat_keys
from ..oos.marking import mark_docs, oos_scores
from ..oos.probabilities import corrected_and_calibrated, member_softmax_mean
from ..oos.settings import oos_block
from ..slot_tags import SlotTagSet
from .exported_pipe import BYTES, JSON, ExportedPipe
from .numpy_crf import NumpyCRF, softmax_scores
from .onnx_session import OnnxGraph

MODEL_FILE = "model.onnx"
FEATURIZER_FILE = "featurizer.json"
CRF_FILE = "crf.json"
LENGTH_CHUNK = 32  # docs per graph call in a large batch (sorted by length)
TORCH_FACTORIES = {"rnn_intent": "rnn_intent_onnx", "rnn_joint": "rnn_joint_onnx", "rnn_tagger": "rnn_tagger_onnx"}


class OnnxPipe(ExportedPipe):
    """An exported intent / joint / tagger component: one graph over the featurizer's ids (and,
    for taggers, CRF transitions); subclasses implement ``predict`` / ``set_annotations``."""

    PARTS = ((FEATURIZER_FILE, JSON, True), (MODEL_FILE, BYTES, True), (CRF_FILE, JSON, False))

    def __init__(self, vocab, name: str):
        install_extensions()  # before the first doc: records decide their fields from them at load time
        self.vocab = vocab
        self.name = name
        self.cfg: Dict = {}
        self.featurizer: Optional[DocFeaturizer] = None
        self.graph: Optional[OnnxGraph] = None
        self.model_bytes = b""
        self.crf: Optional[NumpyCRF] = None

    def _run(self, docs: List[Doc]) -> Dict[str, numpy.ndarray]:
        """The graph's outputs for ``docs`` (rows in input order; ``emissions`` padded to the
        longest doc). Large batches run as chunks of docs of similar length: unlike torch's
        packed sequences, the ONNX recurrent layers compute every padding step."""
        if self.graph is None:
            raise ValueError(f"{self.name!r} has no model: load it from a folder written by `nlp-rnn export`")
        ids, lengths = self.featurizer(docs)
        if len(docs) <= LENGTH_CHUNK:
            return self.graph.run(ids, lengths)
        chunks = []
        for bucket in length_buckets(lengths.tolist(), LENGTH_CHUNK):
            rows = numpy.asarray(bucket)
            width = max(1, int(lengths[rows].max()))
            chunks.append((rows, self.graph.run(ids[rows, :width], lengths[rows])))
        outputs = {}
        for name, first in chunks[0][1].items():
            shape = list(first.shape)
            shape[0] = len(docs)
            if name == "emissions":
                shape[1] = max(chunk[name].shape[1] for _, chunk in chunks)
            merged = numpy.zeros(shape, dtype=first.dtype)
            for rows, chunk in chunks:
                merged[(rows, *[slice(0, n) for n in chunk[name].shape[1:]])] = chunk[name]
            outputs[name] = merged
        return outputs

    def parts(self) -> Dict:
        if self.featurizer is None:
            return {}
        parts = {FEATURIZER_FILE: self.featurizer.to_dict(), MODEL_FILE: self.model_bytes}
        if self.crf is not None:
            parts[CRF_FILE] = self.crf.to_dict()
        return parts

    def set_parts(self, cfg: Dict, parts: Dict) -> None:
        """Install settings, featurizer, graph and CRF. A cfg exported with the flat out-of-scope
        keys is read into the ``oos`` block."""
        self.cfg.update(nest_flat_keys(cfg))
        self.featurizer = DocFeaturizer.from_dict(parts[FEATURIZER_FILE])
        self.model_bytes = parts[MODEL_FILE]
        self.graph = OnnxGraph(self.model_bytes)
        self.crf = NumpyCRF.from_dict(parts[CRF_FILE]) if parts.get(CRF_FILE) else None
        self._on_state_loaded()

    def set_cfg(self, cfg: Dict) -> None:
        self.cfg.update(nest_flat_keys(cfg))

    def _on_state_loaded(self) -> None:
        """Hook for subclasses: derive helpers from the loaded cfg."""

def intent_probabilities(logits: numpy.ndarray, cfg: Dict, exclusive: bool = True) -> numpy.ndarray:
    """logits (n, n_members, n_labels) → (n, n_labels) float32: softmax (or sigmoid) per member,
    averaged over members, then (exclusive only) the prior correction and ``temperature``."""
    if exclusive:
        probs = member_softmax_mean(logits).astype("float32")
    else:
        probs = (1.0 / (1.0 + numpy.exp(-logits.astype("float64")))).mean(axis=1).astype("float32")
    if exclusive:
        probs = corrected_and_calibrated(probs, cfg)
    return probs


def mark_out_of_scope(docs: List[Doc], cfg: Dict, outputs: Dict[str, numpy.ndarray], probs, exclusive: bool = True) -> None:
    """``doc._.oos_score`` / ``doc._.out_of_scope`` as the torch components write them, when the
    component has out-of-scope scoring (``oos.score`` other than "none"), with the same numpy
    code (:mod:`nlp_rnn.oos.marking`)."""
    if oos_block(cfg)["score"] == "none":
        return
    scores = oos_scores(cfg, outputs["intent_logits"], probs, outputs.get("features"), exclusive)
    mark_docs(docs, cfg, scores, probs, exclusive)


@Language.factory("rnn_intent_onnx", assigns=["doc.cats"], default_config={}, default_score_weights={"intent_acc": 1.0})
def make_rnn_intent_onnx(nlp: Language, name: str) -> "OnnxIntent":
    """``rnn_intent`` exported to ONNX (see ``nlp-rnn export``); settings and labels come from disk."""
    return OnnxIntent(nlp.vocab, name)


class OnnxIntent(OnnxPipe):
    """``doc.cats`` from an exported ``rnn_intent`` graph."""

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg.get("labels", []))

    @property
    def intents(self) -> List[str]:
        return list(self.labels)

    def predict(self, docs: Iterable[Doc]) -> numpy.ndarray:
        """(n_docs, n_labels) scores, as ``rnn_intent`` computes them."""
        docs = list(docs)
        if not docs:
            return numpy.zeros((0, len(self.labels)), dtype="float32"), {}
        outputs = self._run(docs)
        return intent_probabilities(outputs["intent_logits"], self.cfg, self.cfg.get("exclusive_classes", True)), outputs

    def intent_probabilities(self, docs: List[Doc]) -> numpy.ndarray:
        return self.predict(docs)[0]

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        scores, outputs = predictions
        docs = list(docs)
        for doc, row in zip(docs, scores):
            doc.cats = {label: float(score) for label, score in zip(self.labels, row)}
        if len(docs):
            mark_out_of_scope(docs, self.cfg, outputs, scores, self.cfg.get("exclusive_classes", True))


@Language.factory(
    "rnn_joint_onnx", assigns=["doc.cats", "doc.ents"], default_config={"span_confidence": True},
    default_score_weights={"intent_acc": 0.5, "span_f": 0.5},
)
def make_rnn_joint_onnx(nlp: Language, name: str, span_confidence: bool) -> "OnnxJoint":
    """``rnn_joint`` exported to ONNX. ``span_confidence = false`` skips the CRF forward-backward
    pass and leaves ``span._.confidence`` at None (faster when nobody reads it)."""
    return OnnxJoint(nlp.vocab, name, span_confidence=span_confidence)


@Language.factory(
    "rnn_tagger_onnx", assigns=["doc.ents"], default_config={"span_confidence": True}, default_score_weights={"span_f": 1.0},
)
def make_rnn_tagger_onnx(nlp: Language, name: str, span_confidence: bool) -> "OnnxJoint":
    """``rnn_tagger`` exported to ONNX (``span_confidence`` as for ``rnn_joint_onnx``)."""
    return OnnxJoint(nlp.vocab, name, span_confidence=span_confidence)


class OnnxJoint(OnnxPipe):
    """Intent (``doc.cats``) and slots (``doc.ents`` / ``doc.spans[key]``) from an exported
    ``rnn_joint`` or ``rnn_tagger`` graph; the CRF is decoded in numpy under the BILUO constraints."""

    def __init__(self, vocab, name: str, span_confidence: bool = True):
        super().__init__(vocab, name)
        self.span_confidence = span_confidence
        self.tag_set = SlotTagSet([])

    def _on_state_loaded(self) -> None:
        self.tag_set = SlotTagSet(self.cfg.get("slot_labels", []))

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg.get("intents", [])) + tuple(self.cfg.get("slot_labels", []))

    @property
    def intents(self) -> List[str]:
        return list(self.cfg.get("intents", []))

    def predict(self, docs: Iterable[Doc]):
        """(intent probabilities (n, n_intents), tag ids per doc, tag confidences per doc or None,
        the graph's raw outputs)."""
        docs = list(docs)
        if not docs:
            return numpy.zeros((0, len(self.intents)), dtype="float32"), [], [], {}
        outputs = self._run(docs)
        probs = numpy.zeros((len(docs), 0), dtype="float32")
        if self.intents:
            probs = intent_probabilities(outputs["intent_logits"], self.cfg)
        tag_ids: List[List[int]] = [[] for _ in docs]
        confidences: List[Optional[List[float]]] = [None for _ in docs]
        if "emissions" in outputs:
            scores = outputs["emissions"] if self.cfg.get("use_crf", True) else softmax_scores(outputs["emissions"])
            for i, doc in enumerate(docs):
                n = max(1, min(len(doc), self.featurizer.max_length))
                path = self.crf.viterbi(scores[i, :n])
                tag_ids[i] = path.tolist()
                # a path without spans needs no confidences: skip its forward-backward pass
                if self.span_confidence and path.any():
                    marginals = self.crf.marginals(scores[i, :n])
                    confidences[i] = marginals[numpy.arange(n), path].tolist()
        return probs, tag_ids, confidences, outputs

    def intent_probabilities(self, docs: List[Doc]) -> numpy.ndarray:
        return self.predict(docs)[0]

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        probs, tag_ids, confidences, outputs = predictions
        key = self.cfg.get("spans_key")
        docs = list(docs)
        for i, doc in enumerate(docs):
            if self.intents:
                doc.cats = {label: float(p) for label, p in zip(self.intents, probs[i])}
            if not self.cfg.get("slot_labels"):
                continue
            ids = tag_ids[i][: len(doc)] if len(doc) else []
            spans = self.tag_set.spans(doc, ids, confidences[i]) if ids else []
            if key is None:
                doc.ents = spans
            else:
                doc.spans[key] = spans
        if self.intents and len(docs):
            mark_out_of_scope(docs, self.cfg, outputs, probs)
