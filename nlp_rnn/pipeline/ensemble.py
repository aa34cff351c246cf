"""Predictions of a seed ensemble of joint pipelines (or taggers) trained on the same data: what
distillation (:mod:`.distillation`) tries to put into one model, scored by
``benchmarks/ensemble_ceiling.py``."""

from typing import List, Sequence

import torch
from spacy.language import Language
from spacy.tokens import Doc

from ..nn.slot_head import SlotHead
from ..nn.tag_constraints import allowed_transitions
from ..oos.probabilities import corrected_and_calibrated
from ..tag_schemes import MODEL_SCHEME
from .distillation import member_outputs

ENSEMBLE_BATCH = 256  # docs per forward pass of each member


def predict_ensemble(members: Sequence[Language], component: str, texts: Sequence[str]) -> List[Doc]:
    """Docs of ``texts`` (the first member's tokenizer) annotated by the first member's
    ``component`` with the ensemble's predictions: the mean of the members' intent probabilities
    (each after its own prior correction and calibration) and the best well-formed BILUO path
    through the mean of their tag marginals (the tag constraints alone, no transition scores).
    Span confidences are left None; out-of-scope marking follows the first member's settings."""
    first = members[0].get_pipe(component)
    tags = first.tag_set.tags
    allowed, start, end = allowed_transitions(tags, MODEL_SCHEME)
    path_head = SlotHead(1, len(tags), use_crf=False, allowed=torch.as_tensor(allowed),
                         allowed_start=torch.as_tensor(start), allowed_end=torch.as_tensor(end))
    docs = [members[0].make_doc(text) for text in texts]
    for begin in range(0, len(docs), ENSEMBLE_BATCH):
        batch = docs[begin:begin + ENSEMBLE_BATCH]
        outputs = [member_outputs(nlp, component, batch) for nlp in members]
        probs = [corrected_and_calibrated(o["probs"].cpu().numpy(), nlp.get_pipe(component).cfg) for o, nlp in zip(outputs, members)]
        marginals = torch.stack([o["marginals"] for o in outputs]).mean(0)
        mask = outputs[0]["mask"]
        path, _ = path_head.decode(torch.log(marginals.clamp(min=1e-12)), mask, confidences=False)
        tag_ids = [row[:n] for row, n in zip(path.tolist(), mask.sum(1).tolist())]
        first.set_annotations(batch, (sum(probs) / len(probs), tag_ids, [None] * len(batch), None))
    return docs
