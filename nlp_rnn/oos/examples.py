"""Explicit out-of-scope examples in gold data: a doc whose ``cats`` are all 0 (``nlp-rnn convert
--oos-label``). Training, fitting and evaluation read them the same way."""

from typing import Dict, Sequence

import numpy


def is_out_of_scope_example(cats: Dict[str, float]) -> bool:
    """An explicit out-of-scope training doc: ``cats`` present and all 0."""
    return bool(cats) and not any(value > 0 for value in cats.values())


def out_of_scope_mask(examples: Sequence) -> numpy.ndarray:
    """(n,) bool: which spaCy ``Example`` s are explicit out-of-scope examples (by ``reference.cats``)."""
    return numpy.array([is_out_of_scope_example(eg.reference.cats) for eg in examples], dtype=bool)
