"""Decoding as plain functions over the decoder step API: greedy search and beam search.

``model`` is anything with

* ``model.encode(src_ids, src_lengths) -> (outputs (B, S, He), final (B, He), mask (B, S))``
* ``model.decoder.init_state(final, outputs) -> state`` with ``state.index_select(index)``
* ``model.decoder.step(prev_tokens (B,), state, outputs, mask)
  -> (log_probs (B, V), state, attention (B, S) or None)``

e.g. :class:`nlp_rnn.nn.seq2seq.Seq2Seq`. Put the model in ``eval()`` mode first (the functions
run under ``torch.no_grad`` and leave the mode alone).

Both searches return ``(tokens, attention)``: per sentence, the output ids without BOS/EOS, and a
float32 numpy array (len(tokens), source length) of attention weights (None without attention).

**Batch independence.** A sentence decodes to the same output alone or inside any batch: every
per-sentence decision (its maximum length, when it is finished, which finished hypothesis wins)
depends only on that sentence's own scores; a sentence that is done leaves the batch and is never
touched again; padded source positions get exactly zero attention; PAD and BOS are never
generated. (Only floating-point rounding of batched matrix products can differ, which matters
solely for exact ties.)

:mod:`nlp_rnn.array_search` makes the same decisions in numpy (the exported translator's search);
the length penalty and the per-sentence length bound are defined there, once.

**Length.** ``max_length`` is an int or a function of the source length, applied per sentence
(e.g. ``lambda n: int(1.5 * n + 10)``). It bounds the number of output tokens, EOS excluded; a
hypothesis that reaches it ends there without EOS (as greedy search does).
"""

from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy
import torch

from ..array_search import gnmt_length_penalty, max_lengths as _max_lengths  # noqa: F401  (shared with the numpy search)
from .target_ids import BOS, EOS, PAD, make_targets

MaxLength = Union[int, Callable[[int], int]]
SearchOutput = Tuple[List[List[int]], List[Optional[numpy.ndarray]]]


def _has_attention(decoder) -> bool:
    return getattr(decoder, "attention", None) is not None


def _ban(log_probs: torch.Tensor, banned: Sequence[int]) -> torch.Tensor:
    log_probs[:, list(banned)] = float("-inf")
    return log_probs


def _attention_array(rows: Optional[torch.Tensor], n_tokens: int, src_len: int):
    """(T, S_padded) tensor → float32 array (n_tokens, src_len), or None without attention."""
    if rows is None:
        return None
    return rows[:n_tokens, :src_len].float().cpu().numpy().copy()


@torch.no_grad()
def greedy_search(
    model,
    src_ids: torch.Tensor,
    src_lengths: torch.Tensor,
    max_length: MaxLength,
    bos_id: int = BOS,
    eos_id: int = EOS,
    pad_id: int = PAD,
) -> SearchOutput:
    """Pick the most probable next token at every step, for a whole batch at once.

    src_ids (batch, S, n_features) long; src_lengths (batch,). See the module docstring for
    ``max_length`` and the return value.
    """
    outputs, final, mask = model.encode(src_ids, src_lengths)
    decoder = model.decoder
    src_lens = [int(n) for n in src_lengths.tolist()]
    max_lens = _max_lengths(max_length, src_lens)
    batch = len(src_lens)
    device = outputs.device
    limits = torch.tensor(max_lens, device=device)
    done = limits <= 0
    state = decoder.init_state(final, outputs)
    prev = torch.full((batch,), bos_id, dtype=torch.long, device=device)
    steps, attention_steps = [], []
    for t in range(max(max_lens, default=0)):
        if bool(done.all()):
            break
        log_probs, state, weights = decoder.step(prev, state, outputs, mask)
        prev = _ban(log_probs, (pad_id, bos_id)).argmax(dim=-1)
        steps.append(prev)
        attention_steps.append(weights)
        done |= (prev == eos_id) | (limits <= t + 1)
    if steps:
        tokens_all = torch.stack(steps, dim=1).tolist()
        attention_all = None
        if attention_steps[0] is not None:
            attention_all = torch.stack(attention_steps, dim=1)
    else:
        tokens_all = [[] for _ in range(batch)]
        attention_all = outputs.new_zeros((batch, 0, outputs.shape[1]))
        if not _has_attention(decoder):
            attention_all = None
    tokens, attention = [], []
    for i in range(batch):
        seq = tokens_all[i][: max_lens[i]]
        if eos_id in seq:
            seq = seq[: seq.index(eos_id)]
        tokens.append(seq)
        rows = None if attention_all is None else attention_all[i]
        attention.append(_attention_array(rows, len(seq), src_lens[i]))
    return tokens, attention


@torch.no_grad()
def beam_search(
    model,
    src_ids: torch.Tensor,
    src_lengths: torch.Tensor,
    beam_size: int,
    max_length: MaxLength,
    length_penalty: float = 0.0,
    bos_id: int = BOS,
    eos_id: int = EOS,
    pad_id: int = PAD,
) -> SearchOutput:
    """Beam search, batched over sentences (batch * beam rows), best hypothesis per sentence.

    src_ids (batch, S, n_features) long; src_lengths (batch,). beam_size k >= 1.
    length_penalty: alpha of :func:`gnmt_length_penalty` (0 = plain log-probability).

    At every step each sentence's k alive hypotheses are extended by every token; of the 2k best
    candidates (by log-probability), those among the top k that end (EOS, or the sentence's
    ``max_length`` reached) are stored as finished, and the best k that do not end stay alive.
    A sentence is done when its best candidate ends (JoeyNMT's criterion: with alpha = 0 no
    alive hypothesis can overtake it any more) or at its ``max_length``; the winner is the
    finished hypothesis with the best log P / penalty (the first found on ties). Counting
    finished hypotheses instead (stop after k) would let weak beams that end early stop the
    search before the best one ends. With k = 1 this is exactly greedy search, for any alpha.
    """
    if beam_size < 1:
        raise ValueError("beam_size must be >= 1")
    k = beam_size
    outputs, final, mask = model.encode(src_ids, src_lengths)
    decoder = model.decoder
    src_lens = [int(n) for n in src_lengths.tolist()]
    max_lens = _max_lengths(max_length, src_lens)
    batch = len(src_lens)
    device = outputs.device
    with_attention = _has_attention(decoder)
    tokens: List[List[int]] = [[] for _ in range(batch)]
    attention: List[Optional[numpy.ndarray]] = [
        _attention_array(outputs.new_zeros((0, outputs.shape[1])), 0, n) if with_attention else None
        for n in src_lens
    ]
    # finished[b]: (penalised score, tokens, attention rows (T, S) or None), in the order found
    finished: List[list] = [[] for _ in range(batch)]
    active = [b for b in range(batch) if max_lens[b] > 0]
    if not active:
        return tokens, attention

    rows = torch.tensor(active, device=device).repeat_interleave(k)
    state = decoder.init_state(final, outputs).index_select(rows)
    outputs = outputs.index_select(0, rows)
    mask = mask.index_select(0, rows)
    n = len(active)
    # only beam 0 is alive at the start, so the k beams do not start as copies of each other
    scores = torch.full((n, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    prev = torch.full((n * k,), bos_id, dtype=torch.long, device=device)
    history = torch.zeros((n * k, 0), dtype=torch.long, device=device)
    att_history = outputs.new_zeros((n * k, 0, outputs.shape[1])) if with_attention else None

    length = 0
    while True:
        length += 1  # tokens generated after this step, EOS included
        log_probs, state, weights = decoder.step(prev, state, outputs, mask)
        log_probs = _ban(log_probs, (pad_id, bos_id))
        vocab = log_probs.shape[-1]
        candidates = (scores.unsqueeze(-1) + log_probs.view(n, k, vocab)).view(n, k * vocab)
        n_cand = min(2 * k, k * vocab)
        top_scores, top_ids = candidates.topk(n_cand, dim=1)
        origins = torch.div(top_ids, vocab, rounding_mode="floor")
        top_tokens = top_ids % vocab
        flat_origins = origins + torch.arange(n, device=device).unsqueeze(1) * k
        at_max = torch.tensor([max_lens[b] <= length for b in active], device=device)
        ends = (top_tokens == eos_id) | at_max.unsqueeze(1)

        store = ends[:, :k] & torch.isfinite(top_scores[:, :k])
        if bool(store.any()):
            penalty = gnmt_length_penalty(length, length_penalty)
            for i, j in store.nonzero().tolist():
                b = active[i]
                row = int(flat_origins[i, j])
                token = int(top_tokens[i, j])
                seq = history[row].tolist()
                att_rows = None if att_history is None else att_history[row]
                if token != eos_id:
                    seq.append(token)
                    if att_rows is not None:
                        att_rows = torch.cat([att_rows, weights[row].unsqueeze(0)], dim=0)
                score = float(top_scores[i, j]) / penalty
                finished[b].append((score, seq, att_rows))

        # the k best candidates that do not end stay alive (stable: keep the score order)
        order = ends.long() * n_cand + torch.arange(n_cand, device=device)
        keep_cand = order.argsort(dim=1)[:, :k]
        new_scores = top_scores.gather(1, keep_cand)
        new_tokens = top_tokens.gather(1, keep_cand)
        reorder = flat_origins.gather(1, keep_cand)

        # done: the best candidate ends (nothing alive can beat it without a length bonus,
        # as alive scores only fall), or the sentence reached its maximum length
        top_ends = ends[:, 0].tolist()
        still = []
        for i, b in enumerate(active):
            if top_ends[i] or max_lens[b] <= length:
                if finished[b]:
                    best = max(range(len(finished[b])), key=lambda h: finished[b][h][0])
                    _, seq, att_rows = finished[b][best]
                    tokens[b] = seq
                    attention[b] = _attention_array(att_rows, len(seq), src_lens[b])
            else:
                still.append(i)
        if not still:
            break
        keep = torch.tensor(still, device=device)
        active = [active[i] for i in still]
        n = len(active)
        scores = new_scores.index_select(0, keep)
        prev = new_tokens.index_select(0, keep).view(-1)
        reorder = reorder.index_select(0, keep).view(-1)
        state = state.index_select(reorder)
        outputs = outputs.index_select(0, reorder)
        mask = mask.index_select(0, reorder)
        history = torch.cat([history.index_select(0, reorder), prev.unsqueeze(1)], dim=1)
        if att_history is not None:
            step_weights = weights.index_select(0, reorder).unsqueeze(1)
            att_history = torch.cat([att_history.index_select(0, reorder), step_weights], dim=1)
    return tokens, attention


@torch.no_grad()
def score_sequences(
    model,
    src_ids: torch.Tensor,
    src_lengths: torch.Tensor,
    hypotheses: Sequence[Sequence[int]],
    append_eos: Union[bool, Sequence[bool]] = True,
) -> torch.Tensor:
    """log P(hypothesis [+ EOS] | source) under the model, by teacher forcing → (batch,).

    ``append_eos`` (one flag, or one per sentence) says whether the EOS after the tokens is
    scored too (not for a hypothesis cut at ``max_length``).
    """
    outputs, final, mask = model.encode(src_ids, src_lengths)
    tgt_in, tgt_out = make_targets(hypotheses, device=outputs.device)
    if isinstance(append_eos, bool):
        append_eos = [append_eos] * len(hypotheses)
    for i, (seq, flag) in enumerate(zip(hypotheses, append_eos)):
        if not flag:
            tgt_out[i, len(seq)] = PAD
    logits, _ = model.decoder(tgt_in, outputs, final, mask)
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    gold = log_probs.gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)
    return gold.masked_fill(tgt_out == PAD, 0.0).sum(dim=1)
