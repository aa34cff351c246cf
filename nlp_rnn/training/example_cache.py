"""Arrays derived from training Examples (featurized ids, gold tags), computed once per Example.

spaCy's training loop keeps the training Examples in a list across epochs (``max_epochs >= 0``) and
``Language.update`` passes each component a copy of every Example whose *reference* Doc is the
original object. So the reference Doc identifies a training example from one epoch to the next,
and what a component derives from it needs to be computed once, not at every step.

Entries are keyed by ``id(example.reference)`` and hold the reference Doc, so the id cannot be
reused while the entry lives. The cache is bounded by ``max_bytes`` of arrays: once full, new
Examples are computed and not stored (the stored part stays stable instead of thrashing when a
streamed corpus is larger than the bound).
"""

from typing import Callable, Dict, List, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.training import Example

DEFAULT_MAX_BYTES = 512 * 2**20

# computes one array per Example of a batch (vectorised over the batch)
BatchCompute = Callable[[List[Example]], List[numpy.ndarray]]


class ExampleCache:
    """``name`` → per-Example arrays; see the module docstring."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: Dict[Tuple[str, int], Tuple[Doc, numpy.ndarray]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def arrays(self, examples: Sequence[Example], name: str, compute: BatchCompute) -> List[numpy.ndarray]:
        """One array per Example: cached ones as stored, the others from one ``compute`` call
        (then stored while the bound allows)."""
        found: List = [None] * len(examples)
        missing = []
        for i, eg in enumerate(examples):
            entry = self._entries.get((name, id(eg.reference)))
            if entry is not None and entry[0] is eg.reference:
                found[i] = entry[1]
            else:
                missing.append(i)
        self.hits += len(examples) - len(missing)
        self.misses += len(missing)
        if missing:
            computed = compute([examples[i] for i in missing])
            for i, array in zip(missing, computed):
                found[i] = array
                if self.bytes + array.nbytes <= self.max_bytes:
                    self._entries[(name, id(examples[i].reference))] = (examples[i].reference, array)
                    self.bytes += array.nbytes
        return found
