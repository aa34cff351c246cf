"""Explicit out-of-scope examples in gold data: a doc whose ``cats`` are all 0 (``nlp-rnn convert
--oos-label``). Training, fitting and evaluation read them the same way; :func:`count_in_docbins`
counts them in training files without building the docs (``nlp-rnn train`` turns out-of-scope
scoring on when train or dev hold any)."""

from pathlib import Path
from typing import Dict, Sequence, Union

import numpy


def is_out_of_scope_example(cats: Dict[str, float]) -> bool:
    """An explicit out-of-scope training doc: ``cats`` present and all 0."""
    return bool(cats) and not any(value > 0 for value in cats.values())


def out_of_scope_mask(examples: Sequence) -> numpy.ndarray:
    """(n,) bool: which spaCy ``Example`` s are explicit out-of-scope examples (by ``reference.cats``)."""
    return numpy.array([is_out_of_scope_example(eg.reference.cats) for eg in examples], dtype=bool)


def count_in_docbins(path: Union[str, Path]) -> int:
    """How many docs of the DocBin(s) at ``path`` (a ``.spacy`` file or a folder of them, as
    spaCy's corpus readers take it) are explicit out-of-scope examples; read from the stored
    ``cats`` only. A missing path counts 0."""
    from spacy.tokens import DocBin
    from spacy.training.corpus import walk_corpus

    if not path or not Path(path).exists():
        return 0
    return sum(is_out_of_scope_example(cats) for file in walk_corpus(path, ".spacy") for cats in DocBin().from_disk(file).cats)
