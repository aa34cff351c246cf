"""The intent task (N → 1): ``doc.cats`` with one score per intent, and out-of-scope marking.

Settings (cfg, saved): ``exclusive_classes`` (one intent per text: softmax; otherwise multi-label:
sigmoid, labels scoring ≥ ``threshold``), ``prior_weight`` (logit adjustment for the training
prior, :mod:`nlp_rnn.pipeline.intent_prior`), ``oos`` (:mod:`nlp_rnn.oos.settings`). Predictions,
from the torch model or the exported graph: ((n, C) scores, (n,) out-of-scope scores or None).
No torch here: the torch half is :class:`nlp_rnn.pipeline.intent.IntentTorchTask`.
"""

from typing import Any, Dict, List, Optional, Tuple

import numpy
from spacy.tokens import Doc

from ..evaluation.intent_metrics import cats_to_labels, intent_scores
from ..onnx_runtime.classifier import CLASSIFIER_PARTS, load_classifier_runtime
from ..oos.flat_keys import nest_flat_keys
from ..oos.marking import mark_docs, oos_scores
from ..oos.probabilities import member_probabilities
from .spacy_scores import intent_table_scores
from .task import Task

IntentPredictions = Tuple[numpy.ndarray, Optional[numpy.ndarray]]


class IntentTask(Task):
    """Intent classification; ``pipe.intents``, ``pipe.intent_probabilities(docs)``."""

    factory = "rnn_intent"
    exported_factory = "rnn_intent_onnx"
    exposes = ("intents", "intent_probabilities")
    exposed_methods = ("intent_probabilities",)
    exported_parts = CLASSIFIER_PARTS

    def __init__(self, exclusive_classes: bool = True, threshold: float = 0.5, prior_weight: float = 0.0):
        self.settings = {"exclusive_classes": exclusive_classes, "threshold": threshold, "prior_weight": prior_weight}

    def new_cfg(self) -> Dict[str, Any]:
        return {"labels": [], **self.settings, "intent_prior": []}

    def intents(self, pipe) -> List[str]:
        """The intent labels (the same as ``labels``; a joint task has slot labels besides)."""
        return list(self.labels(pipe))

    def label_data(self, pipe) -> List[str]:
        return list(self.labels(pipe))

    def add_label(self, pipe, label: str) -> int:
        if not isinstance(label, str):
            raise ValueError(f"intent labels must be strings, got {label!r}")
        if label in self.labels(pipe):
            return 0
        if getattr(pipe, "_model_is_built", lambda: True)():
            raise ValueError(f"cannot add label {label!r} to {pipe.name!r} after initialization")
        pipe.cfg["labels"].append(label)
        return 1

    def saved_cfg(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        return nest_flat_keys(saved)  # pipelines saved with the flat out-of-scope keys

    def exclusive(self, pipe) -> bool:
        return pipe.cfg.get("exclusive_classes", True)

    def intent_probabilities(self, pipe, docs: List[Doc]) -> numpy.ndarray:
        """(n_docs, n_labels) scores, as the pipe predicts them."""
        return pipe.predict(docs)[0]

    def empty(self, pipe) -> IntentPredictions:
        return numpy.zeros((0, len(self.labels(pipe))), dtype="float32"), None

    def predict_exported(self, pipe, docs: List[Doc]) -> IntentPredictions:
        """Scores and out-of-scope scores from the exported graph's member logits (and features)."""
        if not docs:
            return self.empty(pipe)
        outputs = pipe.runtime.run(docs)
        exclusive = self.exclusive(pipe)
        scores = member_probabilities(outputs["intent_logits"], pipe.cfg, exclusive)
        return scores, oos_scores(pipe.cfg, outputs["intent_logits"], scores, outputs.get("features"), exclusive)

    def write(self, pipe, docs: List[Doc], predictions: IntentPredictions) -> None:
        """``doc.cats`` = {intent: score}; ``doc._.oos_score`` / ``doc._.out_of_scope`` when scoring is on."""
        scores, out_of_scope = predictions
        labels = self.labels(pipe)
        for doc, row in zip(docs, scores):
            doc.cats = {label: float(score) for label, score in zip(labels, row)}
        if docs:
            mark_docs(docs, pipe.cfg, out_of_scope, scores, self.exclusive(pipe))

    def score(self, pipe, examples) -> Dict[str, Any]:
        """``intent_acc``, ``intent_macro_f`` and ``intent_f_per_type`` (fractions 0-1)."""
        exclusive = self.exclusive(pipe)
        threshold = pipe.cfg.get("threshold", 0.5)
        gold = [cats_to_labels(eg.reference.cats, exclusive, 0.5) for eg in examples]
        pred = [cats_to_labels(eg.predicted.cats, exclusive, threshold) for eg in examples]
        scores = intent_scores(gold, pred)
        return {
            **intent_table_scores(scores["intent_accuracy"], scores["per_intent"]),  # for spacy evaluate
            "intent_acc": scores["intent_accuracy"],
            "intent_macro_f": scores["intent_macro_f1"],
            "intent_f_per_type": {
                label: {"p": s["precision"], "r": s["recall"], "f": s["f1"]} for label, s in scores["per_intent"].items()
            },
        }

    def load_runtime(self, pipe, parts: Dict[str, Any]):
        return load_classifier_runtime(parts)
