"""Prior correction of exclusive intent probabilities (post-hoc logit adjustment), chosen on dev data.

Intent data are skewed (ATIS train: 74% ``atis_flight``, a dozen examples for ``atis_flight_no``), and a
classifier trained with cross-entropy leans towards the frequent intents. Logit adjustment (Menon et
al., "Long-tail learning via logit adjustment", ICLR 2021) divides each predicted probability by the
intent's training frequency raised to a weight and renormalises::

    p'(y | x) ∝ p(y | x) / prior(y) ** prior_weight

``prior_weight = 0`` leaves the predictions as they are; 1 aims at balanced error. The weight is a
component setting; ``nlp-rnn train`` chooses it on the dev set (:func:`tune_prior_weights`). Applying it
is numpy code shared with the exported components (:mod:`nlp_rnn.oos.probabilities`).
"""

from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.training import Example

from ..evaluation.intent_metrics import cats_to_labels, exclusive_gold_ids
from ..oos.probabilities import adjust_for_prior

PRIOR_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def training_prior(examples: Iterable[Example], intents: Sequence[str]) -> List[float]:
    """Relative frequency of each intent among the examples' gold intents, add-one smoothed."""
    counts = Counter(label for eg in examples for label in cats_to_labels(eg.reference.cats, True))
    total = sum(counts[label] for label in intents) + len(intents)
    return [(counts[label] + 1) / total for label in intents]


def choose_prior_weight(
    probs: numpy.ndarray, gold: Sequence[int], prior: Sequence[float], weights: Sequence[float] = PRIOR_WEIGHTS
) -> Tuple[float, Dict[float, float]]:
    """The weight with the best accuracy of ``probs`` (n, n_intents) against ``gold`` (intent index
    per row, -1 for an intent the model does not know); ties go to the smaller weight.
    Returns (weight, {weight: accuracy})."""
    gold = numpy.asarray(gold)
    accuracy = {
        float(w): float((adjust_for_prior(probs, prior, w).argmax(axis=1) == gold).mean()) if len(gold) else 0.0
        for w in weights
    }
    best = max(accuracy, key=lambda w: (accuracy[w], -w))
    return best, accuracy


def tune_prior_weights(nlp: Language, examples: List[Example]) -> Dict[str, Dict]:
    """Set ``prior_weight`` of every component with an intent prior to the value that is best on
    ``examples`` (dev data). Returns {component: {"prior_weight": w, "dev_accuracy": {w: acc}}}."""
    chosen = {}
    docs = [eg.predicted for eg in examples]
    for name, pipe in nlp.pipeline:
        prior = getattr(pipe, "cfg", {}).get("intent_prior")
        if not prior or not docs:
            continue
        gold = exclusive_gold_ids((eg.reference.cats for eg in examples), pipe.intents, missing=-1)
        pipe.cfg["prior_weight"] = 0.0
        probs = numpy.concatenate([pipe.intent_probabilities(docs[i : i + 256]) for i in range(0, len(docs), 256)])
        weight, accuracy = choose_prior_weight(probs, gold, prior)
        pipe.cfg["prior_weight"] = weight
        pipe.cfg["prior_weight_dev_accuracy"] = {str(w): a for w, a in accuracy.items()}
        chosen[name] = {"prior_weight": weight, "dev_accuracy": accuracy}
    return chosen
