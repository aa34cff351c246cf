"""Seed ensembles of pipelines trained on the same data: the members' intent probabilities and CRF
tag marginals averaged — what distillation (:mod:`.distillation`) tries to put into one model.
:func:`ensemble_predictions` (joint models and taggers) and :func:`ensemble_intent_predictions`
(intent classifiers) are the computations; the ensemble components (:mod:`.ensemble_pipe`, written
by ``nlp-rnn ensemble``) and :func:`predict_ensemble` (scored by ``benchmarks/ensemble_ceiling.py``)
use them.
"""

from typing import List, Sequence

import numpy
import torch
from spacy.language import Language
from spacy.tokens import Doc

from ..length_buckets import length_buckets, restore_order
from ..nn.slot_head import SlotHead
from ..nn.tag_constraints import allowed_transitions
from ..oos.probabilities import corrected_and_calibrated
from ..tag_schemes import MODEL_SCHEME
from .distillation import member_outputs
from .joint import PREDICT_SUB_BATCH
from .intent_task import IntentPredictions
from .joint_task import JointPredictions

ENSEMBLE_BATCH = 256  # docs per forward pass of each member (predict_ensemble)


def ensemble_predictions(members: Sequence[Language], component: str, docs: List[Doc], span_confidence: bool) -> JointPredictions:
    """The members' ``component`` over ``docs``, combined, as :class:`~.joint_task.JointPredictions`:
    (n, I) intent probabilities, the mean of the members' (each after its own prior correction and
    calibration); per doc the best well-formed BILUO path through the mean of their tag marginals
    (the tag constraints alone, no transition scores) and, with ``span_confidence``, each chosen
    tag's mean marginal (else None); no out-of-scope scores (an ensemble rejects nothing).
    Computed in length-sorted sub-batches, so a doc gets the same result in any batch."""
    first = members[0].get_pipe(component)
    if not docs:
        return first.task.empty(first)
    tags = first.tag_set.tags
    allowed, start, end = allowed_transitions(tags, MODEL_SCHEME)
    path_head = SlotHead(1, len(tags), use_crf=False, allowed=torch.as_tensor(allowed),
                         allowed_start=torch.as_tensor(start), allowed_end=torch.as_tensor(end))
    buckets = length_buckets([len(doc) for doc in docs], PREDICT_SUB_BATCH)
    parts = list(zip(*(_combine(members, component, path_head, [docs[i] for i in bucket], span_confidence) for bucket in buckets)))
    return restore_order(buckets, parts[0]), restore_order(buckets, parts[1]), restore_order(buckets, parts[2]), None


def _combine(members: Sequence[Language], component: str, path_head: SlotHead, docs: List[Doc], span_confidence: bool):
    outputs = [member_outputs(nlp, component, docs) for nlp in members]
    probs = [corrected_and_calibrated(o["probs"].cpu().numpy(), nlp.get_pipe(component).cfg) for o, nlp in zip(outputs, members)]
    marginals = torch.stack([o["marginals"] for o in outputs]).mean(0)  # (B, T, K)
    mask = outputs[0]["mask"]
    with torch.no_grad():
        path, _ = path_head.decode(torch.log(marginals.clamp(min=1e-12)), mask, confidences=False)
    lengths = mask.sum(1).tolist()
    tag_ids = [row[:n] for row, n in zip(path.tolist(), lengths)]
    confidences = [None] * len(docs)
    if span_confidence:
        chosen = marginals.gather(-1, path.unsqueeze(-1)).squeeze(-1)  # (B, T)
        confidences = [row[:n] for row, n in zip(chosen.tolist(), lengths)]
    return numpy.asarray(sum(probs) / len(probs), dtype="float32"), tag_ids, confidences


def ensemble_intent_predictions(members: Sequence[Language], component: str, docs: List[Doc]) -> IntentPredictions:
    """The members' ``rnn_intent`` ``component`` over ``docs``: (n, C) the mean of their scores (each
    as the member predicts them: prior-corrected and calibrated) and no out-of-scope scores (an
    ensemble rejects nothing)."""
    scores = [nlp.get_pipe(component).predict(docs)[0] for nlp in members]
    return numpy.asarray(sum(scores) / len(scores), dtype="float32"), None


def predict_ensemble(members: Sequence[Language], component: str, texts: Sequence[str]) -> List[Doc]:
    """Docs of ``texts`` (the first member's tokenizer) annotated by the first member's
    ``component`` with :func:`ensemble_predictions` (span confidences left None), or
    :func:`ensemble_intent_predictions` for an ``rnn_intent`` component; nothing is marked out of scope."""
    first = members[0].get_pipe(component)
    intents_only = members[0].get_pipe_meta(component).factory == "rnn_intent"
    docs = [members[0].make_doc(text) for text in texts]
    for begin in range(0, len(docs), ENSEMBLE_BATCH):
        batch = docs[begin:begin + ENSEMBLE_BATCH]
        predictions = (ensemble_intent_predictions(members, component, batch) if intents_only
                       else ensemble_predictions(members, component, batch, span_confidence=False))
        first.set_annotations(batch, predictions)
    return docs
