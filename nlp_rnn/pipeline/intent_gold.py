"""Examples → :class:`~nlp_rnn.nn.outputs.IntentGold`, shared by ``rnn_intent`` and ``rnn_joint``."""

from typing import Sequence

import numpy
import torch
from spacy.training import Example

from ..evaluation.intent_metrics import cats_to_labels
from ..nn.outputs import IntentGold
from ..oos.examples import out_of_scope_mask


def intent_gold(examples: Sequence[Example], labels: Sequence[str], exclusive: bool, device: torch.device,
                mixup_outliers: float = 0.0) -> IntentGold:
    """targets (B, C): the gold intent (exclusive: the argmax of ``cats``; multi-label: every
    label ≥ 0.5); explicit out-of-scope docs (all cats 0) get the uniform row (exclusive) or all
    zeros (multi-label). mask (B,): 1 for docs with known gold or explicit out-of-scope docs;
    docs without cats, or with only labels unseen at initialization, are left out.
    ``mixup_outliers``: the weight of the synthetic-outlier loss (the component's setting)."""
    index = {label: i for i, label in enumerate(labels)}
    targets = numpy.zeros((len(examples), len(labels)), dtype="float32")
    mask = numpy.zeros((len(examples),), dtype="float32")
    if len(labels):
        oos = out_of_scope_mask(examples)
        targets[oos], mask[oos] = (1.0 / len(labels) if exclusive else 0.0), 1.0
    for row, eg in enumerate(examples):
        known = [index[label] for label in cats_to_labels(eg.reference.cats, exclusive, 0.5) if label in index]
        if known:
            targets[row, known] = 1.0
            mask[row] = 1.0
    return IntentGold(torch.from_numpy(targets).to(device), torch.from_numpy(mask).to(device), exclusive, mixup_outliers)
