"""``rnn_joint`` (intent + slots in one pass) and ``rnn_tagger`` (slots / NER only).

Both are one component over one shared encoder: the intent and slot heads are trained together
with a weighted loss and predicted in a single forward pass. One component (rather than heads
listening to a shared encoder component) keeps the two heads' inputs identical at training and
prediction time, makes ``slot_to_intent`` possible, and costs one encoder pass per batch.
"""

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

import numpy
import torch
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example, validate_get_examples
from thinc.api import Model

from ..architectures.encoder_config import encoder_block
from ..architectures.torch_model import decode, predict_outputs
from ..evaluation.intent_metrics import cats_to_labels, intent_scores
from ..evaluation.span_metrics import doc_spans, exact_match, span_scores
from ..extensions import install_extensions
from ..featurizer import pad_rows
from ..length_buckets import length_buckets, restore_order
from ..nn.outputs import JointGold, JointOutputs
from ..oos.flat_keys import block_with_flat_keys, nest_flat_keys
from ..oos.marking import mark_docs
from ..oos.probabilities import corrected_and_calibrated
from ..oos.settings import OOS_DEFAULTS, oos_block
from ..pretrain.init_encoder import use_pretrained_encoder
from ..slot_tags import SlotTagSet
from .intent_gold import intent_gold
from .intent_prior import training_prior
from .out_of_scope import predicted_oos_scores
from .rnn_pipe import RNNPipe
from .spacy_scores import intent_table_scores, span_table_scores

DEFAULT_MODEL = {  # only what differs from the architecture's defaults (filling the config adds them)
    "@architectures": "nlp_rnn.JointIntentSlot.v2",
    "encoder": encoder_block(hidden_size=128),
}
PREDICT_SUB_BATCH = 64  # docs per length-sorted sub-batch in predict (see length_buckets)
DEFAULT_TAGGER = {"@architectures": "nlp_rnn.Tagger.v1", "encoder": encoder_block(hidden_size=128)}


@Language.factory(
    "rnn_joint",
    assigns=["doc.cats", "doc.ents"],
    default_config={"model": DEFAULT_MODEL, "intent_weight": 1.0, "slot_weight": 1.0, "spans_key": None, "prior_weight": 0.0, "span_confidence": True, "oos": OOS_DEFAULTS},
    default_score_weights={"intent_acc": 0.5, "span_f": 0.5, "span_p": 0.0, "span_r": 0.0, "exact_match": 0.0},
)
def make_rnn_joint(nlp: Language, name: str, model: Model, intent_weight: float, slot_weight: float, spans_key: Optional[str], prior_weight: float,
                   span_confidence: bool, oos: Dict[str, Any], oos_score: Optional[str] = None, oos_threshold: Optional[float] = None,
                   oos_in_scope_share: Optional[float] = None, oos_max_in_scope_loss: Optional[float] = None, temperature: Optional[float] = None,
                   mixup_outliers: Optional[float] = None):
    """Joint intent (``doc.cats``, exclusive) + slots (``doc.ents`` or ``doc.spans[spans_key]``).
    ``prior_weight``: logit adjustment of the intents for the training prior (see
    :mod:`nlp_rnn.pipeline.intent_prior`; ``nlp-rnn train`` chooses it on dev). ``oos``: the
    out-of-scope, calibration and synthetic-outlier settings (``[components.NAME.oos]``,
    :mod:`nlp_rnn.oos.settings`); ``oos_score`` … ``mixup_outliers``: the same as the flat keys of
    pipelines saved before the block (null: not given; :mod:`nlp_rnn.oos.flat_keys`).
    ``span_confidence = false``: spans get ``confidence`` None and the CRF's forward-backward pass
    (about a sixth of ``nlp.pipe`` time) is skipped; a run-time setting, not saved with the model."""
    pipe = RNNJoint(nlp.vocab, model, name, intent_weight=intent_weight, slot_weight=slot_weight, spans_key=spans_key, with_intents=True, prior_weight=prior_weight,
                    span_confidence=span_confidence)
    flat = {"oos_score": oos_score, "oos_threshold": oos_threshold, "oos_in_scope_share": oos_in_scope_share,
            "oos_max_in_scope_loss": oos_max_in_scope_loss, "temperature": temperature, "mixup_outliers": mixup_outliers}
    pipe.cfg["oos"] = block_with_flat_keys(name, oos, flat)
    return pipe


@Language.factory(
    "rnn_tagger",
    assigns=["doc.ents"],
    default_config={"model": DEFAULT_TAGGER, "spans_key": None, "span_confidence": True},
    default_score_weights={"span_f": 1.0, "span_p": 0.0, "span_r": 0.0},
)
def make_rnn_tagger(nlp: Language, name: str, model: Model, spans_key: Optional[str], span_confidence: bool):
    """Sequence tagger (slots or NER) writing ``doc.ents`` or ``doc.spans[spans_key]``
    (``span_confidence`` as for ``rnn_joint``)."""
    return RNNJoint(nlp.vocab, model, name, spans_key=spans_key, with_intents=False, span_confidence=span_confidence)


class RNNJoint(RNNPipe):
    """Intent + slot tagging (or tagging alone) with one recurrent encoder."""

    def __init__(self, vocab, model: Model, name: str, *, intent_weight: float = 1.0, slot_weight: float = 1.0, spans_key: Optional[str] = None, with_intents: bool = True, prior_weight: float = 0.0,
                 span_confidence: bool = True):
        install_extensions()
        self.span_confidence = span_confidence
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg = {
            "intents": [],
            "slot_labels": [],
            "with_intents": with_intents,
            "intent_weight": intent_weight,
            "slot_weight": slot_weight,
            "spans_key": spans_key,
            "prior_weight": prior_weight,
            "intent_prior": [],
        }
        self.tag_set = SlotTagSet([])

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["intents"]) + tuple(self.cfg["slot_labels"])

    @property
    def intents(self) -> List[str]:
        return list(self.cfg["intents"])

    def _saved_cfg(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        return nest_flat_keys(saved)  # pipelines saved with the flat out-of-scope keys

    def _on_cfg_loaded(self) -> None:
        self.tag_set = SlotTagSet(self.cfg["slot_labels"])
        # the one place the tag list goes to the model (its slot head is sized from it)
        self.model.attrs["build_info"] = {"tags": self.tag_set.tags if self.cfg["slot_labels"] else []}

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None, intents: Optional[List[str]] = None, slot_labels: Optional[List[str]] = None,
                   init_encoder: Optional[Union[str, Path]] = None) -> None:
        """Collect intents (from ``cats``) and slot labels (from the gold spans), build the model.
        ``init_encoder``: a folder written by ``nlp-rnn pretrain`` (``[initialize.components.NAME]
        init_encoder``): its vocabularies and encoder weights are used (:mod:`nlp_rnn.pretrain.init_encoder`)."""
        validate_get_examples(get_examples, f"{type(self).__name__}.initialize")
        examples = list(get_examples())
        key = self.cfg["spans_key"]
        if slot_labels is None:
            slot_labels = sorted({label for eg in examples for _, _, label in doc_spans(eg.reference, key)})
        if intents is None:
            intents = sorted({label for eg in examples for label in eg.reference.cats}) if self.cfg["with_intents"] else []
        if self.cfg["with_intents"] and len(intents) < 2:
            raise ValueError(f"{self.name!r} needs at least two intents in the training data, found {intents}")
        if not slot_labels and not self.cfg["with_intents"]:
            raise ValueError(f"{self.name!r} found no gold spans in the training data")
        self.cfg["intents"], self.cfg["slot_labels"] = list(intents), list(slot_labels)
        self._on_cfg_loaded()
        if "n_intents" in self.model.dim_names:  # a Tagger.v1 model has no intents
            self.model.set_dim("n_intents", len(intents), force=True)
        elif intents:
            raise ValueError(f"{self.name!r} has intents but its model ({self.model.name}) has no intent head: use nlp_rnn.JointIntentSlot.v2")
        self.cfg["intent_prior"] = training_prior(examples, intents) if intents else []
        if init_encoder is not None:
            use_pretrained_encoder(self.model, init_encoder, self.name)
        self.model.initialize(X=[eg.predicted for eg in examples])

    def predict(self, docs: Iterable[Doc]):
        """Returns (intent probabilities (n, n_intents) numpy, tag ids per doc, tag confidences per
        doc, out-of-scope scores (n,) or None: see :mod:`nlp_rnn.pipeline.out_of_scope`)."""
        docs = list(docs)
        if not docs:
            return numpy.zeros((0, len(self.intents)), dtype="float32"), [], [], None
        buckets = length_buckets([len(doc) for doc in docs], PREDICT_SUB_BATCH)
        parts = list(zip(*(self._predict_sub_batch([docs[i] for i in bucket]) for bucket in buckets)))
        out_of_scope = None if parts[3][0] is None else restore_order(buckets, parts[3])
        return restore_order(buckets, parts[0]), restore_order(buckets, parts[1]), restore_order(buckets, parts[2]), out_of_scope

    def _predict_sub_batch(self, docs: List[Doc]):
        outputs: JointOutputs = predict_outputs(self.model, docs)
        predictions = decode(self.model, outputs, span_confidence=self.span_confidence)
        probs = corrected_and_calibrated(predictions.intent_probs.cpu().numpy(), self.cfg)
        out_of_scope = predicted_oos_scores(self.cfg, outputs.intent_logits, probs, outputs.features) if self.intents else None
        return probs, predictions.tag_ids, predictions.confidences, out_of_scope

    def intent_probabilities(self, docs: List[Doc]) -> numpy.ndarray:
        """(n_docs, n_intents) intent probabilities, as :meth:`predict` gives them."""
        return self.predict(docs)[0]

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        probs, tag_ids, confidences, out_of_scope = predictions
        key = self.cfg["spans_key"]
        for i, doc in enumerate(docs):
            if self.intents:
                doc.cats = {label: float(p) for label, p in zip(self.intents, probs[i])}
            if self.cfg["slot_labels"]:
                # empty docs are encoded as one padding step: keep only real tokens
                ids = tag_ids[i][: len(doc)] if len(doc) else []
                spans = self.tag_set.spans(doc, ids, confidences[i]) if ids else []
                if key is None:
                    doc.ents = spans
                else:
                    doc.spans[key] = spans
        mark_docs(docs, self.cfg, out_of_scope, probs)

    def gold(self, examples: List[Example], outputs: JointOutputs) -> JointGold:
        """Gold intents (exclusive) and BILUO tag ids (B, T) for the outputs' batch."""
        device = outputs.mask.device
        tags = torch.zeros(outputs.mask.shape, dtype=torch.long)
        if self.cfg["slot_labels"]:
            key = self.cfg["spans_key"]
            rows = self.cached_arrays(
                examples, "tags", lambda egs: [numpy.asarray(self.tag_set.gold_tag_ids(eg, key), dtype="int64") for eg in egs]
            )
            tags = torch.from_numpy(pad_rows(rows, tags.shape[1]))
        intent = intent_gold(examples, self.intents, True, device, oos_block(self.cfg)["mixup_outliers"])
        return JointGold(intent, tags.to(device), self.cfg["intent_weight"], self.cfg["slot_weight"])

    def score(self, examples: Iterable[Example], **kwargs) -> Dict:
        """``span_p/r/f`` (exact span + label), ``intent_acc``, ``exact_match`` (fractions 0-1)."""
        examples = list(examples)
        key = self.cfg["spans_key"]
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
        if self.intents:
            gold_intents = [cats_to_labels(eg.reference.cats, True) for eg in examples]
            pred_intents = [cats_to_labels(eg.predicted.cats, True) for eg in examples]
            intents = intent_scores(gold_intents, pred_intents)
            scores.update(intent_table_scores(intents["intent_accuracy"], intents["per_intent"]))
            scores["intent_acc"] = intents["intent_accuracy"]
            scores["exact_match"] = exact_match(gold_intents, pred_intents, gold_spans, pred_spans)
        return scores
