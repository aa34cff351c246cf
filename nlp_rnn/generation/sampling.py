"""Choosing the next id from logits, in numpy: temperature, top-k, nucleus (top-p), masks, greedy.

One implementation for both runtimes: the torch ``rnn_lm`` and the exported ``rnn_lm_onnx`` hand
their logits (B, V) float32 to :func:`next_ids`, so a seed gives the same sample from both as long
as the logits agree (they differ in the 6th-7th digit: a sampled id changes only when a uniform
draw falls that close to a boundary of the cumulative distribution).

The random stream of a sample (:class:`SampleStream`) is the one ``torch.rand(1, generator=g)``
draws from a ``torch.Generator`` seeded as :func:`sample_seed` says: MT19937 seeded with the low 32
bits of the seed (torch's ``mt19937`` does the same), one 32-bit draw per uniform, of which the
low 24 bits make the float32 (``(x & 0xFFFFFF) / 2**24``, torch's ``uniform_real_distribution``
for float). Samples written before sampling moved to numpy are therefore kept.
"""

from typing import Optional, Sequence

import numpy

UNIFORM_BITS = 24  #: float32 uniforms from the low 24 bits of a 32-bit draw


def check_sampling(temperature: float, top_k: int, top_p: float) -> None:
    """ValueError naming the bad setting."""
    if temperature < 0:
        raise ValueError(f"--temperature must be >= 0 (0 = greedy), not {temperature}")
    if top_k < 0:
        raise ValueError(f"--top-k must be >= 0 (0 = off), not {top_k}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"--top-p must be in (0, 1] (1 = off), not {top_p}")


def sample_seed(seed: int, index: int) -> int:
    """The 64-bit seed of sample ``index`` of ``seed`` (independent streams from one seed)."""
    state = numpy.random.SeedSequence([seed, index]).generate_state(2, dtype=numpy.uint32)
    return int(state[0]) << 32 | int(state[1])


class SampleStream:
    """Uniform float32 draws in [0, 1), the same numbers as ``torch.rand(1, generator=g)`` with
    ``g = torch.Generator().manual_seed(seed)``."""

    def __init__(self, seed: int):
        self._state = numpy.random.RandomState(seed & 0xFFFFFFFF)

    def uniform(self) -> numpy.float32:
        draw = int(self._state.randint(0, 2**32, dtype=numpy.uint32))
        return numpy.float32((draw & ((1 << UNIFORM_BITS) - 1)) * 2.0**-UNIFORM_BITS)


def _softmax(logits: numpy.ndarray) -> numpy.ndarray:
    """float32 softmax over the last axis (-inf gets 0)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    weights = numpy.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def _cumsum(probs: numpy.ndarray) -> numpy.ndarray:
    """Cumulative sum over the last axis, accumulated in float64 and stored as float32 (as torch's
    CPU ``cumsum`` of float32 does)."""
    return probs.cumsum(axis=-1, dtype="float64").astype("float32")


def next_ids(
    logits: numpy.ndarray,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    allowed: Optional[numpy.ndarray] = None,
    streams: Optional[Sequence[SampleStream]] = None,
) -> numpy.ndarray:
    """Sample one id per row.

    Args:
        logits: (B, V) float32 unnormalised scores.
        temperature: divides the logits; 0 picks the most likely allowed id (greedy).
        top_k: keep only the k most likely ids (0: all).
        top_p: keep the smallest set of most likely ids whose probability reaches p (1: all).
        allowed: (V,) or (B, V) bool; False ids are never chosen (at least one must be True).
        streams: one random stream per row (needed unless ``temperature`` is 0).
    Returns:
        (B,) int64 ids.
    """
    logits = numpy.asarray(logits, dtype="float32")
    if allowed is not None:
        logits = numpy.where(allowed, logits, numpy.float32(-numpy.inf))
    if temperature == 0:
        return logits.argmax(axis=-1).astype("int64")
    if temperature != 1.0:
        logits = logits / numpy.float32(temperature)
    vocab = logits.shape[-1]
    if top_k and top_k < vocab:
        kth = numpy.partition(logits, vocab - top_k, axis=-1)[..., vocab - top_k : vocab - top_k + 1]
        logits = numpy.where(logits < kth, numpy.float32(-numpy.inf), logits)
    if top_p < 1.0:
        order = numpy.argsort(-logits, axis=-1, kind="stable")
        sorted_probs = _softmax(numpy.take_along_axis(logits, order, axis=-1))
        drop_sorted = _cumsum(sorted_probs) - sorted_probs >= top_p  # keeps the first id
        drop = numpy.zeros_like(drop_sorted)
        numpy.put_along_axis(drop, order, drop_sorted, axis=-1)
        logits = numpy.where(drop, numpy.float32(-numpy.inf), logits)
    # inverse-CDF sampling with one uniform per row
    cumulative = _cumsum(_softmax(logits))
    uniform = numpy.asarray([stream.uniform() for stream in streams], dtype="float32")[:, None]
    rows = numpy.arange(len(logits))
    ids = numpy.array([numpy.searchsorted(cumulative[i], uniform[i, 0] * cumulative[i, -1], side="right") for i in rows])
    return numpy.minimum(ids, vocab - 1).astype("int64")
