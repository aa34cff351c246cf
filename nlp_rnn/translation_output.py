"""Writing a translator's predictions onto Docs: one function for the torch and the exported component."""

from typing import Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc

from .target_vocab import TargetVocab

# one prediction: (output ids, attention (n_out, n_src) float32 or None)
Prediction = Tuple[List[int], Optional[numpy.ndarray]]


def write_translations(
    docs: Iterable[Doc], predictions: Sequence[Prediction], vocab: TargetVocab, store_attention: bool, max_source: Optional[int]
) -> None:
    """``doc._.translation`` (and with ``store_attention`` ``doc._.translation_attention``: source
    tokens up to ``max_source``, target units, weights) for each Doc."""
    for doc, (ids, attention) in zip(docs, predictions):
        doc._.translation = vocab.decode(ids)
        if store_attention:
            doc._.translation_attention = {
                "source": [t.text for t in doc][:max_source],
                "target": vocab.display_units(ids),
                "weights": attention.tolist() if attention is not None else [],
            }
