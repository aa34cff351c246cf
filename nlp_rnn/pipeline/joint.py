"""``rnn_joint`` (intent + slots in one pass) and ``rnn_tagger`` (slots / NER only): the factories
and the torch half of :class:`~nlp_rnn.pipeline.joint_task.JointTask`.

Both are one component over one shared encoder: the intent and slot heads are trained together
with a weighted loss and predicted in a single forward pass. One component (rather than heads
listening to a shared encoder component) keeps the two heads' inputs identical at training and
prediction time, makes ``slot_to_intent`` possible, and costs one encoder pass per batch.
"""

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy
import torch
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Model

from ..architectures.encoder_config import encoder_block
from ..architectures.torch_model import decode, predict_outputs
from ..evaluation.span_metrics import doc_spans
from ..featurizer import pad_rows
from ..length_buckets import length_buckets, restore_order
from ..nn.outputs import JointGold, JointOutputs
from ..oos.flat_keys import block_with_flat_keys
from ..oos.probabilities import corrected_and_calibrated
from ..oos.settings import OOS_DEFAULTS, oos_block
from ..pretrain.init_encoder import use_pretrained_encoder
from .distillation import distill_targets, load_members, teacher_rows
from .intent_gold import intent_gold
from .intent_prior import training_prior
from .joint_task import JointPredictions, JointTask
from .out_of_scope import predicted_oos_scores
from .rnn_pipe import RNNPipe
from .torch_task import TorchTask

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
    task = JointTorchTask(with_intents=True, span_confidence=span_confidence, intent_weight=intent_weight, slot_weight=slot_weight,
                          spans_key=spans_key, prior_weight=prior_weight)
    pipe = RNNPipe(nlp.vocab, model, name, task)
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
    return RNNPipe(nlp.vocab, model, name, JointTorchTask(with_intents=False, span_confidence=span_confidence, spans_key=spans_key))


class JointTorchTask(TorchTask, JointTask):
    """The joint task's (and the tagger's) torch half: labels and the model at ``initialize``,
    predictions in length-sorted sub-batches, gold intents and BILUO tags."""

    teachers: Tuple[Language, ...] = ()  # trained pipelines distilled into this one while it trains (never saved)

    def on_cfg_loaded(self, pipe) -> None:
        super().on_cfg_loaded(pipe)
        # the one place the tag list goes to the model (its slot head is sized from it)
        pipe.model.attrs["build_info"] = {"tags": self.tag_set.tags if pipe.cfg["slot_labels"] else []}

    def initialize(self, pipe, examples: List[Example], *, intents: Optional[List[str]] = None, slot_labels: Optional[List[str]] = None,
                   init_encoder: Optional[Union[str, Path]] = None, teachers: Optional[List[Union[str, Path]]] = None,
                   distill_weight: float = 1.0) -> None:
        """Collect intents (from ``cats``) and slot labels (from the gold spans), build the model.
        ``init_encoder``: a folder written by ``nlp-rnn pretrain`` (``[initialize.components.NAME]
        init_encoder``): its vocabularies and encoder weights are used (:mod:`nlp_rnn.pretrain.init_encoder`).
        ``teachers``: trained pipelines of the same data (e.g. other seeds) whose mean predictions the
        model also learns, with ``distill_weight`` beside the gold loss (:mod:`.distillation`)."""
        cfg = pipe.cfg
        key = cfg["spans_key"]
        if slot_labels is None:
            slot_labels = sorted({label for eg in examples for _, _, label in doc_spans(eg.reference, key)})
        if intents is None:
            intents = sorted({label for eg in examples for label in eg.reference.cats}) if cfg["with_intents"] else []
        if cfg["with_intents"] and len(intents) < 2:
            raise ValueError(f"{pipe.name!r} needs at least two intents in the training data, found {intents}")
        if not slot_labels and not cfg["with_intents"]:
            raise ValueError(f"{pipe.name!r} found no gold spans in the training data")
        cfg["intents"], cfg["slot_labels"] = list(intents), list(slot_labels)
        self.on_cfg_loaded(pipe)
        if "n_intents" in pipe.model.dim_names:  # a Tagger.v1 model has no intents
            pipe.model.set_dim("n_intents", len(intents), force=True)
        elif intents:
            raise ValueError(f"{pipe.name!r} has intents but its model ({pipe.model.name}) has no intent head: use nlp_rnn.JointIntentSlot.v2")
        cfg["intent_prior"] = training_prior(examples, intents) if intents else []
        if init_encoder is not None:
            use_pretrained_encoder(pipe.model, init_encoder, pipe.name)
        if distill_weight < 0:
            raise ValueError(f"[initialize.components.{pipe.name}] distill_weight must be >= 0, not {distill_weight}")
        self.teachers = tuple(load_members(teachers, pipe.name, self.labels(pipe))) if teachers else ()
        self.distill_weight = distill_weight
        pipe.model.initialize(X=[eg.predicted for eg in examples])

    def predict(self, pipe, docs: List[Doc]) -> JointPredictions:
        """Intent probabilities, tag ids, tag confidences and out-of-scope scores (see
        :class:`~nlp_rnn.pipeline.joint_task.JointTask`), computed in length-sorted sub-batches."""
        if not docs:
            return self.empty(pipe)
        buckets = length_buckets([len(doc) for doc in docs], PREDICT_SUB_BATCH)
        parts = list(zip(*(self._predict_sub_batch(pipe, [docs[i] for i in bucket]) for bucket in buckets)))
        out_of_scope = None if parts[3][0] is None else restore_order(buckets, parts[3])
        return restore_order(buckets, parts[0]), restore_order(buckets, parts[1]), restore_order(buckets, parts[2]), out_of_scope

    def _predict_sub_batch(self, pipe, docs: List[Doc]):
        outputs: JointOutputs = predict_outputs(pipe.model, docs)
        predictions = decode(pipe.model, outputs, span_confidence=self.span_confidence)
        probs = corrected_and_calibrated(predictions.intent_probs.cpu().numpy(), pipe.cfg)
        out_of_scope = predicted_oos_scores(pipe.cfg, outputs.intent_logits, probs, outputs.features) if self.intents(pipe) else None
        return probs, predictions.tag_ids, predictions.confidences, out_of_scope

    def gold(self, pipe, examples: List[Example], outputs: JointOutputs) -> JointGold:
        """Gold intents (exclusive) and BILUO tag ids (B, T) for the outputs' batch."""
        cfg = pipe.cfg
        device = outputs.mask.device
        tags = torch.zeros(outputs.mask.shape, dtype=torch.long)
        if cfg["slot_labels"]:
            key = cfg["spans_key"]
            tag_set = self.tag_set
            rows = pipe.cached_arrays(
                examples, "tags", lambda egs: [numpy.asarray(tag_set.gold_tag_ids(eg, key), dtype="int64") for eg in egs]
            )
            tags = torch.from_numpy(pad_rows(rows, tags.shape[1]))
        intent = intent_gold(examples, self.intents(pipe), True, device, oos_block(cfg)["mixup_outliers"])
        distill = None
        if self.teachers:
            rows = pipe.cached_arrays(examples, "teachers", lambda egs: teacher_rows(self.teachers, pipe.name, [eg.predicted for eg in egs]))
            distill = distill_targets(rows, len(self.intents(pipe)), len(self.tag_set), tags.shape[1], self.distill_weight, device)
        return JointGold(intent, tags.to(device), cfg["intent_weight"], cfg["slot_weight"], distill)
