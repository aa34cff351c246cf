"""CRF decoding in numpy for the exported (torch-free) tagger: Viterbi and tag marginals.

The same computations as :class:`nlp_rnn.nn.crf.CRF` (its docstring gives the scoring), on the
parameters and transition masks saved by ``nlp-rnn export``: forbidden moves score ``-inf`` in
Viterbi and :data:`FORBIDDEN` in the forward-backward pass. Everything runs in float64, so the
marginals agree with torch's float32 ones far below 1e-4.
"""

from typing import Dict, Tuple

import numpy

FORBIDDEN = -1e4  # as nlp_rnn.nn.crf.FORBIDDEN
TINY = 1e-300  # floor of a sum of probabilities before its log (no path reaches that tag)


class NumpyCRF:
    """Args: transitions (K, K) (from i to j), start (K,), end (K,) scores; allowed (K, K),
    allowed_start (K,), allowed_end (K,) bool masks of permitted moves."""

    def __init__(self, transitions, start, end, allowed, allowed_start, allowed_end):
        self.transitions = numpy.asarray(transitions, dtype="float64")
        self.start = numpy.asarray(start, dtype="float64")
        self.end = numpy.asarray(end, dtype="float64")
        self.allowed = numpy.asarray(allowed, dtype=bool)
        self.allowed_start = numpy.asarray(allowed_start, dtype=bool)
        self.allowed_end = numpy.asarray(allowed_end, dtype=bool)
        k = self.transitions.shape[0]
        if self.transitions.shape != (k, k) or self.allowed.shape != (k, k) or self.start.shape != (k,):
            raise ValueError(f"inconsistent CRF shapes: transitions {self.transitions.shape}, allowed {self.allowed.shape}")
        # forward-backward as matrix products: exp of the transition scores shifted by their column
        # (forward) or row (backward) maxima, computed once
        transitions, _, _ = self._potentials(FORBIDDEN)
        self._column_max = transitions.max(axis=0)
        self._row_max = transitions.max(axis=1)
        self._exp_by_column = numpy.exp(transitions - self._column_max[None, :])
        self._exp_by_row = numpy.exp(transitions - self._row_max[:, None])

    @classmethod
    def from_dict(cls, data: Dict) -> "NumpyCRF":
        return cls(data["transitions"], data["start"], data["end"], data["allowed"], data["allowed_start"], data["allowed_end"])

    def to_dict(self) -> Dict:
        return {
            "transitions": self.transitions.tolist(),
            "start": self.start.tolist(),
            "end": self.end.tolist(),
            "allowed": self.allowed.tolist(),
            "allowed_start": self.allowed_start.tolist(),
            "allowed_end": self.allowed_end.tolist(),
        }

    def _potentials(self, forbidden: float) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        return (
            numpy.where(self.allowed, self.transitions, forbidden),
            numpy.where(self.allowed_start, self.start, forbidden),
            numpy.where(self.allowed_end, self.end, forbidden),
        )

    def viterbi(self, emissions: numpy.ndarray) -> numpy.ndarray:
        """emissions (T, K) of one sequence (T >= 1) → best well-formed tag path (T,) int."""
        emissions = numpy.asarray(emissions, dtype="float64")
        transitions, start, end = self._potentials(-numpy.inf)
        score = start + emissions[0]
        backpointers = []
        for t in range(1, emissions.shape[0]):
            candidates = score[:, None] + transitions  # (previous K, next K)
            previous = candidates.argmax(axis=0)
            score = candidates[previous, numpy.arange(len(previous))] + emissions[t]
            backpointers.append(previous)
        path = [int((score + end).argmax())]
        for previous in reversed(backpointers):
            path.append(int(previous[path[-1]]))
        return numpy.asarray(path[::-1], dtype="int64")

    def marginals(self, emissions: numpy.ndarray) -> numpy.ndarray:
        """emissions (T, K) of one sequence (T >= 1) → p(tag at t = k) (T, K), rows sum to 1."""
        emissions = numpy.asarray(emissions, dtype="float64")
        _, start, end = self._potentials(FORBIDDEN)
        length = emissions.shape[0]
        alphas = numpy.empty_like(emissions)
        alphas[0] = start + emissions[0]
        for t in range(1, length):
            # logsumexp_i(alpha[i] + transitions[i, j]) without a (K, K) temporary
            top = alphas[t - 1].max()
            product = numpy.exp(alphas[t - 1] - top) @ self._exp_by_column
            alphas[t] = numpy.log(numpy.maximum(product, TINY)) + top + self._column_max + emissions[t]
        betas = numpy.empty_like(emissions)
        betas[-1] = end
        for t in range(length - 2, -1, -1):
            # logsumexp_j(transitions[i, j] + emissions[t + 1, j] + beta[t + 1, j])
            following = emissions[t + 1] + betas[t + 1]
            top = following.max()
            product = self._exp_by_row @ numpy.exp(following - top)
            betas[t] = numpy.log(numpy.maximum(product, TINY)) + top + self._row_max
        log_z = _logsumexp(alphas[-1] + end, axis=0)
        return numpy.exp(alphas + betas - log_z)


def _logsumexp(x: numpy.ndarray, axis: int) -> numpy.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return (numpy.log(numpy.exp(x - top).sum(axis=axis, keepdims=True)) + top).squeeze(axis)


def log_softmax(scores: numpy.ndarray) -> numpy.ndarray:
    """log-softmax over the last axis, in float64: the decoding scores of a tagger trained without
    a CRF, and the next-character log-probabilities of the exported language model."""
    scores = numpy.asarray(scores, dtype="float64")
    return scores - _logsumexp(scores, axis=-1)[..., None]
