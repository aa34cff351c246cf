"""Greedy and beam search in numpy over a decoder step function: the exported translator's search.

The same decisions as the torch searches in :mod:`nlp_rnn.nn.search` (same candidates, same
stopping rule, same winner, same length penalty), written over numpy arrays so that a runtime
without torch (onnxruntime) can decode. ``tests/test_array_search.py`` checks that both give the
same outputs on random step functions. See :mod:`nlp_rnn.nn.search` for the rules (batch
independence, ``max_length``, JoeyNMT's stopping criterion).

``model`` is anything with

* ``model.encode(src_ids (B, S, F), src_lengths (B,)) -> state``: a dict name → array whose first
  axis is the batch (encoder memory, attention keys, mask, decoder state, …);
* ``model.step(prev (N,) int64, state, n_best) -> (top_log_probs (N, c) float32, top_ids (N, c)
  int64, state, weights (N, S) or None)``: the c = min(n_best, V) most probable next ids of each
  row other than PAD and BOS, best first, the lower id first on ties (what ONNX ``TopK`` gives;
  :func:`best_tokens` computes it from full log-probabilities). Only these leave the runtime:
  a beam of k needs the 2k best ids of each of its rows, not all V;
* ``model.with_attention``: whether ``step`` returns attention weights.

Rows of a state are reordered with one fancy index on every array (beam reordering).
"""

from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy

from .target_vocab import BOS, EOS, PAD

MaxLength = Union[int, Callable[[int], int]]
SearchOutput = Tuple[List[List[int]], List[Optional[numpy.ndarray]]]
State = Dict[str, numpy.ndarray]


def gnmt_length_penalty(length: int, alpha: float) -> float:
    """GNMT / JoeyNMT length penalty ((5 + length) / 6) ** alpha; 1 when alpha = 0.

    ``length`` counts the generated tokens including the final EOS. Beam search ranks finished
    hypotheses by log P / penalty.
    """
    return ((5.0 + length) / 6.0) ** alpha


def max_lengths(max_length: MaxLength, src_lengths: Sequence[int]) -> List[int]:
    """The output bound of every sentence: ``max_length`` or ``max_length(source length)``, >= 0."""
    if callable(max_length):
        return [max(0, int(max_length(n))) for n in src_lengths]
    return [max(0, int(max_length))] * len(src_lengths)


def select_rows(state: State, index: numpy.ndarray) -> State:
    """Rows ``index`` (1-D int) of every array of ``state``, in that order."""
    return {name: value[index] for name, value in state.items()}


def best_tokens(log_probs: numpy.ndarray, n_best: int, banned: Sequence[int] = (PAD, BOS)) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """log_probs (N, V) → the ``n_best`` (at most V) largest (N, c) float32 and their ids (N, c),
    best first, the lower id first on ties, ``banned`` ids at -inf (never chosen over a real one)."""
    log_probs = numpy.array(log_probs, dtype="float32")  # a copy: the runtime's buffer stays untouched
    log_probs[:, list(banned)] = -numpy.inf
    ids = _top_candidates(log_probs, min(n_best, log_probs.shape[1]))
    return numpy.take_along_axis(log_probs, ids, axis=1), ids


def _empty_attention(with_attention: bool, src_len: int) -> Optional[numpy.ndarray]:
    return numpy.zeros((0, src_len), dtype="float32") if with_attention else None


def _attention_array(rows: Optional[numpy.ndarray], n_tokens: int, src_len: int) -> Optional[numpy.ndarray]:
    """(T, S_padded) → float32 (n_tokens, src_len), or None without attention."""
    if rows is None:
        return None
    return numpy.array(rows[:n_tokens, :src_len], dtype="float32")


def greedy_search(
    model, src_ids: numpy.ndarray, src_lengths: numpy.ndarray, max_length: MaxLength, bos_id: int = BOS, eos_id: int = EOS,
) -> SearchOutput:
    """The most probable next token at every step; a finished sentence leaves the batch.

    src_ids (batch, S, F) int64, src_lengths (batch,). Returns per sentence the output ids (no
    BOS/EOS) and its attention (n_out, source length) float32, or None without attention.
    """
    src_lens = [int(n) for n in src_lengths]
    max_lens = max_lengths(max_length, src_lens)
    batch = len(src_lens)
    tokens: List[List[int]] = [[] for _ in range(batch)]
    rows: List[list] = [[] for _ in range(batch)]
    alive = [b for b in range(batch) if max_lens[b] > 0]
    if alive:
        state = select_rows(model.encode(src_ids, src_lengths), numpy.asarray(alive))
        prev = numpy.full(len(alive), bos_id, dtype="int64")
    while alive:
        _, top_ids, state, weights = model.step(prev, state, 1)
        prev = top_ids[:, 0]
        keep = []
        for i, b in enumerate(alive):
            token = int(prev[i])
            if token == eos_id:
                continue
            tokens[b].append(token)
            if weights is not None:
                rows[b].append(weights[i])
            if len(tokens[b]) < max_lens[b]:
                keep.append(i)
        if len(keep) < len(alive):
            index = numpy.asarray(keep, dtype="int64")
            alive = [alive[i] for i in keep]
            state, prev = select_rows(state, index), prev[index]
    attention = [
        _attention_array(numpy.stack(rows[b]), len(tokens[b]), src_lens[b]) if rows[b] else _empty_attention(model.with_attention, src_lens[b])
        for b in range(batch)
    ]
    return tokens, attention


def _top_candidates(candidates: numpy.ndarray, n_cand: int) -> numpy.ndarray:
    """Indices of the ``n_cand`` largest entries of each row (n, C), best first (lower index first
    on ties, as a stable sort)."""
    if n_cand < candidates.shape[1]:
        part = numpy.argpartition(-candidates, n_cand - 1, axis=1)[:, :n_cand]
    else:
        part = numpy.broadcast_to(numpy.arange(candidates.shape[1]), candidates.shape)
    values = numpy.take_along_axis(candidates, part, axis=1)
    order = numpy.lexsort((part, -values), axis=1)  # by value descending, then by index
    return numpy.take_along_axis(part, order, axis=1)


def beam_search(
    model, src_ids: numpy.ndarray, src_lengths: numpy.ndarray, beam_size: int, max_length: MaxLength,
    length_penalty: float = 0.0, bos_id: int = BOS, eos_id: int = EOS,
) -> SearchOutput:
    """Beam search, batched over sentences (batch * beam rows), best hypothesis per sentence;
    the rules of :func:`nlp_rnn.nn.search.beam_search` (k = 1 is greedy search).

    src_ids (batch, S, F) int64, src_lengths (batch,); beam_size k >= 1; length_penalty: alpha of
    :func:`gnmt_length_penalty`. Returns as :func:`greedy_search`.
    """
    if beam_size < 1:
        raise ValueError("beam_size must be >= 1")
    k = beam_size
    src_lens = [int(n) for n in src_lengths]
    max_lens = max_lengths(max_length, src_lens)
    batch = len(src_lens)
    tokens: List[List[int]] = [[] for _ in range(batch)]
    attention = [_empty_attention(model.with_attention, n) for n in src_lens]
    finished: List[list] = [[] for _ in range(batch)]  # (penalised score, tokens, attention rows)
    active = [b for b in range(batch) if max_lens[b] > 0]
    if not active:
        return tokens, attention
    state = select_rows(model.encode(src_ids, src_lengths), numpy.repeat(numpy.asarray(active), k))
    n = len(active)
    scores = numpy.full((n, k), -numpy.inf, dtype="float32")
    scores[:, 0] = 0.0  # only beam 0 is alive at the start
    prev = numpy.full(n * k, bos_id, dtype="int64")
    history = numpy.zeros((n * k, 0), dtype="int64")
    att_history = None
    length = 0
    while True:
        length += 1  # tokens generated after this step, EOS included
        row_best, row_ids, state, weights = model.step(prev, state, 2 * k)
        if weights is not None and att_history is None:
            att_history = numpy.zeros((n * k, 0, weights.shape[1]), dtype="float32")
        # the 2k best candidates of a sentence are among the 2k best of each of its k rows
        c = row_best.shape[1]
        candidates = (scores[:, :, None] + row_best.reshape(n, k, c)).reshape(n, k * c)
        tokens_all = row_ids.reshape(n, k * c)
        origins_all = numpy.broadcast_to(numpy.repeat(numpy.arange(k), c), (n, k * c))
        n_cand = min(2 * k, k * c)
        # best first; on ties the lower (beam, token), as a stable sort over all k * V candidates
        order = numpy.lexsort((tokens_all, origins_all, -candidates), axis=-1)[:, :n_cand]
        top_scores = numpy.take_along_axis(candidates, order, axis=1)
        top_tokens = numpy.take_along_axis(tokens_all, order, axis=1)
        flat_origins = numpy.take_along_axis(origins_all, order, axis=1) + numpy.arange(n)[:, None] * k
        at_max = numpy.asarray([max_lens[b] <= length for b in active])
        ends = (top_tokens == eos_id) | at_max[:, None]

        store = ends[:, :k] & numpy.isfinite(top_scores[:, :k])
        if store.any():
            penalty = gnmt_length_penalty(length, length_penalty)
            for i, j in zip(*numpy.nonzero(store)):
                row, token = int(flat_origins[i, j]), int(top_tokens[i, j])
                seq = history[row].tolist()
                att_rows = None if att_history is None else att_history[row]
                if token != eos_id:
                    seq.append(token)
                    if att_rows is not None:
                        att_rows = numpy.concatenate([att_rows, weights[row][None]], axis=0)
                finished[active[i]].append((float(top_scores[i, j]) / penalty, seq, att_rows))

        # the k best candidates that do not end stay alive (keeping the score order)
        keep_cand = numpy.argsort(ends * n_cand + numpy.arange(n_cand), axis=1, kind="stable")[:, :k]
        new_scores = numpy.take_along_axis(top_scores, keep_cand, axis=1)
        new_tokens = numpy.take_along_axis(top_tokens, keep_cand, axis=1)
        reorder = numpy.take_along_axis(flat_origins, keep_cand, axis=1)

        still = []
        for i, b in enumerate(active):
            if ends[i, 0] or max_lens[b] <= length:
                if finished[b]:
                    best = max(range(len(finished[b])), key=lambda h: finished[b][h][0])
                    _, seq, att_rows = finished[b][best]
                    tokens[b] = seq
                    attention[b] = _attention_array(att_rows, len(seq), src_lens[b]) if att_rows is not None else attention[b]
            else:
                still.append(i)
        if not still:
            break
        keep = numpy.asarray(still, dtype="int64")
        active = [active[i] for i in still]
        n = len(active)
        scores = new_scores[keep]
        prev = new_tokens[keep].reshape(-1)
        reorder = reorder[keep].reshape(-1)
        state = select_rows(state, reorder)
        history = numpy.concatenate([history[reorder], prev[:, None]], axis=1)
        if att_history is not None:
            att_history = numpy.concatenate([att_history[reorder], weights[reorder][:, None]], axis=1)
    return tokens, attention
