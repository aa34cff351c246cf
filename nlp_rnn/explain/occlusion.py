"""Occlusion attributions for intent components (``rnn_intent``, ``rnn_joint``).

For the predicted intent, each token's weight is the drop in that intent's probability when
every id of the token (word, prefix, suffix, shape, characters …) is replaced by the unknown id
— the way the model sees a word it never met. One batch of ``n_tokens + 1`` variants per text.
Positive weight: the token supports the intent; negative: it speaks against it. A text the
component rejects as out of scope is still explained for its top intent, and marked
``"out_of_scope": true``.
"""

from typing import Dict, List, Optional, Tuple

import numpy
import torch
from spacy.language import Language
from spacy.tokens import Doc

from ..architectures.torch_model import torch_module
from ..featurizer import UNK_ID
from ..oos.probabilities import final_probabilities
from .target import intent_component

__all__ = ["explain", "intent_component", "occluded_batch", "occlusion_weights"]


def occluded_batch(ids: numpy.ndarray, length: int) -> numpy.ndarray:
    """ids (1, T, F) of one doc → (length + 1, T, F): the original, then one copy per token with
    that token's non-padding ids set to the unknown id."""
    batch = numpy.repeat(ids, length + 1, axis=0)
    for i in range(length):
        row = batch[i + 1, i]
        row[row != 0] = UNK_ID
    return batch


def occlusion_weights(pipe, doc: Doc) -> Tuple[str, float, List[float]]:
    """(predicted intent, its probability, one weight per token) for ``doc``; tokens beyond the
    model's ``max_length`` get weight 0."""
    featurizer = pipe.model.layers[0].attrs["featurizer"]
    ids, lengths = featurizer([doc])
    n = int(lengths[0])
    batch = occluded_batch(ids, n)
    module = torch_module(pipe.model)
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            outputs = module(torch.from_numpy(batch).to(device), torch.from_numpy(numpy.full(n + 1, n, dtype="int64")))
    finally:
        module.train(was_training)
    probs = final_probabilities(pipe.cfg, outputs.logits.detach().float().cpu().numpy())
    best = int(probs[0].argmax())
    weights = (probs[0, best] - probs[1:, best]).tolist() + [0.0] * (len(doc) - n)
    return pipe.intents[best], float(probs[0, best]), weights


def explain(nlp: Language, text: str, component: Optional[str] = None) -> Dict:
    """``{"text", "intent", "confidence", "out_of_scope", "tokens": [{"text", "start", "end",
    "weight"}]}`` for the top intent of ``text`` (``tokens`` in text order; ``weight`` =
    probability drop; ``out_of_scope``: the component rejects the text, see
    :mod:`nlp_rnn.pipeline.out_of_scope`)."""
    _, pipe = intent_component(nlp, component)
    doc = nlp.make_doc(text)
    if not len(doc):
        return {"text": text, "intent": None, "confidence": 0.0, "out_of_scope": False, "tokens": []}
    intent, confidence, weights = occlusion_weights(pipe, doc)
    doc = pipe(doc)  # the component's own decision on the text (rejection)
    return {
        "text": text,
        "intent": intent,
        "confidence": round(confidence, 6),
        "out_of_scope": bool(Doc.has_extension("out_of_scope") and doc._.out_of_scope),
        "tokens": [
            {"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "weight": round(w, 6)}
            for t, w in zip(doc, weights)
        ],
    }
