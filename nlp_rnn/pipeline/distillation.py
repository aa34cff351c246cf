"""Distillation of a seed ensemble into one joint model (issue 26's "accuracy mode that stays
fast"): trained teacher pipelines give every training Example soft targets — the mean of their
intent probabilities and of their CRF tag marginals — which the student learns beside the gold
(:class:`~nlp_rnn.nn.outputs.DistillTargets`, :meth:`JointIntentSlotModel.loss`).

``[initialize.components.NAME] teachers = ["s0/model-best", "s1/model-best", …]`` names them;
they are loaded at ``initialize``, used while training and never saved with the student.
"""

from pathlib import Path
from typing import Dict, List, Sequence, Union

import numpy
import torch
from spacy.language import Language
from spacy.tokens import Doc

from ..architectures.torch_model import predict_outputs, torch_module
from ..loading import load_pipeline
from ..nn.outputs import DistillTargets


def member_outputs(nlp: Language, component: str, docs: Sequence[Doc]) -> Dict[str, torch.Tensor]:
    """One trained joint pipeline over ``docs``: its member-averaged intent probabilities ``probs``
    (B, I) (before the prior correction and calibration the component applies on top), its CRF tag
    marginals ``marginals`` (B, T, K) (0 at padding) and the ``mask`` (B, T)."""
    pipe = nlp.get_pipe(component)
    outputs = predict_outputs(pipe.model, list(docs))
    module = torch_module(pipe.model)
    with torch.no_grad():
        marginals = module.slot_head.marginals(outputs.emissions, outputs.mask)
    return {"probs": module.intent_probabilities(outputs), "marginals": marginals, "mask": outputs.mask}


def load_members(paths: Sequence[Union[str, Path]], component: str, labels: Sequence[str]) -> List[Language]:
    """The pipelines of an ensemble (distillation teachers, ``nlp-rnn ensemble`` members), each
    checked to have ``component`` with the given ``labels`` (intents, then slot labels: the
    student's, the first member's)."""
    members = []
    for path in paths:
        nlp = load_pipeline(Path(path))
        if component not in nlp.pipe_names:
            raise ValueError(f"{path}: no component {component!r} (it has {nlp.pipe_names})")
        if tuple(nlp.get_pipe(component).labels) != tuple(labels):
            raise ValueError(f"{path}: its intents and slot tags are not those of the model it joins (train it on the same data)")
        members.append(nlp)
    if not members:
        raise ValueError("give at least one trained pipeline")
    return members


def teacher_rows(teachers: Sequence[Language], component: str, docs: Sequence[Doc]) -> List[numpy.ndarray]:
    """Per doc one float32 vector: the teachers' mean intent probabilities (I) followed by their
    mean tag marginals over the doc's tokens (len(doc) × K, row-major) — one array, so the
    example cache keeps it (:func:`distill_targets` unpacks it)."""
    outputs = [member_outputs(nlp, component, docs) for nlp in teachers]
    probs = torch.stack([o["probs"] for o in outputs]).mean(0).cpu().numpy()
    marginals = torch.stack([o["marginals"] for o in outputs]).mean(0).cpu().numpy()
    return [numpy.concatenate([probs[i], marginals[i, : len(doc)].ravel()]).astype("float32") for i, doc in enumerate(docs)]


def distill_targets(rows: Sequence[numpy.ndarray], n_intents: int, n_tags: int, steps: int, weight: float,
                    device: torch.device) -> DistillTargets:
    """:func:`teacher_rows` of a batch → intent (B, I) and tag (B, steps, K) targets (0 after each doc)."""
    intent = numpy.stack([row[:n_intents] for row in rows])
    tags = numpy.zeros((len(rows), steps, n_tags), dtype="float32")
    for i, row in enumerate(rows):
        marginals = row[n_intents:].reshape(-1, n_tags)[:steps]
        tags[i, : len(marginals)] = marginals
    return DistillTargets(torch.from_numpy(intent).to(device), torch.from_numpy(tags).to(device), weight)
