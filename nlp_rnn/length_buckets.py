"""Length-sorted sub-batches for prediction: each pads only to its own longest doc.

A batch of 256 docs from ``nlp.pipe`` pads every doc to the longest one, and the CRF's Viterbi
(and forward-backward) runs ``max length`` steps over the whole batch. Sorting the docs by length
and predicting in runs of similar length cuts that waste: ``nlp.pipe`` of the SNIPS joint model runs
1.31× faster (``benchmarks/length_buckets.py``). Predictions do not depend on the batch a doc is
in, so the result is the same.
"""

from typing import List, Sequence, TypeVar, Union

import numpy

T = TypeVar("T")


def length_buckets(lengths: Sequence[int], size: int) -> List[List[int]]:
    """Indices of the docs sorted by length (ties in input order), cut into runs of ``size``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[start : start + size] for start in range(0, len(order), size)]


def restore_order(buckets: List[List[int]], parts: Sequence[Union[numpy.ndarray, List[T]]]) -> Union[numpy.ndarray, List[T]]:
    """Per-bucket results (numpy arrays with one row per doc, or lists) joined back into the
    docs' original order."""
    inverse = numpy.argsort(numpy.fromiter((i for bucket in buckets for i in bucket), dtype=numpy.int64))
    if isinstance(parts[0], numpy.ndarray):
        return numpy.concatenate(parts)[inverse]
    joined = [item for part in parts for item in part]
    return [joined[k] for k in inverse]
