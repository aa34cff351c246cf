"""The joint task (intent + slots in one pass, N → 1 and N → N) and the tagger (slots / NER only).

Settings (cfg, saved): ``with_intents`` (false: the tagger), ``intent_weight`` / ``slot_weight``
(the loss's weights), ``spans_key`` (slots in ``doc.ents``, or ``doc.spans[spans_key]``),
``prior_weight`` and ``oos`` as for the intent task. Run-time setting (config.cfg, not saved with
the model): ``span_confidence`` (false: spans get ``confidence`` None and the CRF's forward-backward
pass is skipped). Predictions, from the torch model or the exported graph: ((n, n_intents) intent
probabilities, tag ids per doc, tag confidences per doc (or None), (n,) out-of-scope scores or
None). No torch here: the torch half is :class:`nlp_rnn.pipeline.joint.JointTorchTask`.
"""

from typing import Any, Dict, List, Optional, Tuple

import numpy
from spacy.tokens import Doc

from ..evaluation.intent_metrics import cats_to_labels, intent_scores
from ..evaluation.span_metrics import doc_spans, exact_match, span_scores
from ..onnx_runtime.classifier import CLASSIFIER_PARTS, load_classifier_runtime
from ..onnx_runtime.numpy_crf import log_softmax
from ..oos.flat_keys import nest_flat_keys
from ..oos.marking import mark_docs, oos_scores
from ..oos.probabilities import member_probabilities
from ..slot_tags import SlotTagSet
from .spacy_scores import intent_table_scores, span_table_scores
from .task import Task

JointPredictions = Tuple[numpy.ndarray, List[List[int]], List[Optional[List[float]]], Optional[numpy.ndarray]]


class JointTask(Task):
    """Intent (``doc.cats``, exclusive) and slots (``doc.ents`` or ``doc.spans[key]``, with
    ``span._.confidence``); ``with_intents = False`` is the tagger."""

    exposes = ("intents", "intent_probabilities", "tag_set", "span_confidence")
    exposed_methods = ("intent_probabilities",)
    exported_parts = CLASSIFIER_PARTS

    def __init__(self, *, with_intents: bool = True, span_confidence: bool = True, intent_weight: float = 1.0,
                 slot_weight: float = 1.0, spans_key: Optional[str] = None, prior_weight: float = 0.0):
        self.factory = "rnn_joint" if with_intents else "rnn_tagger"
        self.exported_factory = self.factory + "_onnx"
        self.span_confidence = span_confidence
        self.settings = {"with_intents": with_intents, "intent_weight": intent_weight, "slot_weight": slot_weight,
                         "spans_key": spans_key, "prior_weight": prior_weight}
        self.tag_set = SlotTagSet([])

    def new_cfg(self) -> Dict[str, Any]:
        return {"intents": [], "slot_labels": [], **self.settings, "intent_prior": []}

    def labels(self, pipe) -> tuple:
        return tuple(pipe.cfg.get("intents", ())) + tuple(pipe.cfg.get("slot_labels", ()))

    def intents(self, pipe) -> List[str]:
        return list(pipe.cfg.get("intents", ()))

    def saved_cfg(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        return nest_flat_keys(saved)  # pipelines saved with the flat out-of-scope keys

    def on_cfg_loaded(self, pipe) -> None:
        self.tag_set = SlotTagSet(pipe.cfg.get("slot_labels", []))

    def intent_probabilities(self, pipe, docs: List[Doc]) -> numpy.ndarray:
        """(n_docs, n_intents) intent probabilities, as the pipe predicts them."""
        return pipe.predict(docs)[0]

    def empty(self, pipe) -> JointPredictions:
        return numpy.zeros((0, len(self.intents(pipe))), dtype="float32"), [], [], None

    def predict_exported(self, pipe, docs: List[Doc]) -> JointPredictions:
        """From the exported graph: intent probabilities (member softmax mean, prior, temperature),
        the CRF's best path per doc (numpy, under the BILUO constraints), each tag's marginal
        probability when ``span_confidence`` and the path has a span, out-of-scope scores."""
        if not docs:
            return self.empty(pipe)
        runtime = pipe.runtime
        outputs = runtime.run(docs)
        intents = self.intents(pipe)
        probs = numpy.zeros((len(docs), 0), dtype="float32")
        out_of_scope = None
        if intents:
            probs = member_probabilities(outputs["intent_logits"], pipe.cfg)
            out_of_scope = oos_scores(pipe.cfg, outputs["intent_logits"], probs, outputs.get("features"))
        tag_ids: List[List[int]] = [[] for _ in docs]
        confidences: List[Optional[List[float]]] = [None for _ in docs]
        if "emissions" in outputs:
            scores = outputs["emissions"] if pipe.cfg.get("use_crf", True) else log_softmax(outputs["emissions"])
            for i, doc in enumerate(docs):
                n = max(1, min(len(doc), runtime.featurizer.max_length))
                path = runtime.crf.viterbi(scores[i, :n])
                tag_ids[i] = path.tolist()
                # a path without spans needs no confidences: skip its forward-backward pass
                if self.span_confidence and path.any():
                    marginals = runtime.crf.marginals(scores[i, :n])
                    confidences[i] = marginals[numpy.arange(n), path].tolist()
        return probs, tag_ids, confidences, out_of_scope

    def write(self, pipe, docs: List[Doc], predictions: JointPredictions) -> None:
        probs, tag_ids, confidences, out_of_scope = predictions
        key = pipe.cfg.get("spans_key")
        intents = self.intents(pipe)
        for i, doc in enumerate(docs):
            if intents:
                doc.cats = {label: float(p) for label, p in zip(intents, probs[i])}
            if pipe.cfg.get("slot_labels"):
                # empty docs are encoded as one padding step: keep only real tokens
                ids = tag_ids[i][: len(doc)] if len(doc) else []
                spans = self.tag_set.spans(doc, ids, confidences[i]) if ids else []
                if key is None:
                    doc.ents = spans
                else:
                    doc.spans[key] = spans
        if intents and docs:
            mark_docs(docs, pipe.cfg, out_of_scope, probs)

    def score(self, pipe, examples) -> Dict[str, Any]:
        """``span_p/r/f`` (exact span + label), ``intent_acc``, ``exact_match`` (fractions 0-1)."""
        key = pipe.cfg.get("spans_key")
        gold_spans = [doc_spans(eg.reference, key) for eg in examples]
        pred_spans = [doc_spans(eg.predicted, key) for eg in examples]
        spans = span_scores(gold_spans, pred_spans)
        scores = {
            "span_p": spans["span_precision"],
            "span_r": spans["span_recall"],
            "span_f": spans["span_f1"],
            "span_f_per_type": {label: {"p": s["precision"], "r": s["recall"], "f": s["f1"]} for label, s in spans["per_label"].items()},
            # the same, under the keys spacy evaluate prints
            **span_table_scores(spans["span_precision"], spans["span_recall"], spans["span_f1"], spans["per_label"], key),
        }
        if self.intents(pipe):
            gold_intents = [cats_to_labels(eg.reference.cats, True) for eg in examples]
            pred_intents = [cats_to_labels(eg.predicted.cats, True) for eg in examples]
            intents = intent_scores(gold_intents, pred_intents)
            scores.update(intent_table_scores(intents["intent_accuracy"], intents["per_intent"]))
            scores["intent_acc"] = intents["intent_accuracy"]
            scores["exact_match"] = exact_match(gold_intents, pred_intents, gold_spans, pred_spans)
        return scores

    def load_runtime(self, pipe, parts: Dict[str, Any]):
        return load_classifier_runtime(parts)
