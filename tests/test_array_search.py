"""The numpy searches (nlp_rnn.array_search, run by the exported translator) make the same
decisions as the torch searches (nlp_rnn.nn.search) over the same step function: random
untrained decoders of every attention and cell, greedy and beam with and without a length
penalty, a batch of sources of different lengths and a length bound per sentence."""

import numpy
import pytest
import torch

from nlp_rnn import array_search
from nlp_rnn.nn import search
from nlp_rnn.nn.decoder import DecoderState
from test_seq2seq import build_seq2seq

LENGTHS = [5, 1, 7, 3, 2]


class NumpySteps:
    """A torch Seq2Seq behind the numpy step API (state arrays batch-first; the best ids from the
    full log-probabilities with :func:`array_search.best_tokens`)."""

    def __init__(self, model):
        self.model = model
        self.with_attention = model.decoder.attention is not None

    @torch.no_grad()
    def encode(self, ids, lengths):
        memory, final, mask = self.model.encode(torch.from_numpy(ids), torch.from_numpy(lengths))
        state = self.model.decoder.init_state(final, memory)
        arrays = {"memory": memory, "mask": mask, "hidden": state.hidden.transpose(0, 1), "att_vector": state.att_vector}
        if state.cell is not None:
            arrays["cell"] = state.cell.transpose(0, 1)
        if state.projected_keys is not None:
            arrays["keys"] = state.projected_keys
        return {name: value.numpy().copy() for name, value in arrays.items()}

    @torch.no_grad()
    def step(self, prev, state, n_best):
        t = {name: torch.from_numpy(value) for name, value in state.items()}
        cell = t["cell"].transpose(0, 1).contiguous() if "cell" in t else None
        start = DecoderState(t["hidden"].transpose(0, 1).contiguous(), cell, t["att_vector"], t.get("keys"))
        log_probs, new, weights = self.model.decoder.step(torch.from_numpy(prev), start, t["memory"], t["mask"])
        state = dict(state, hidden=new.hidden.transpose(0, 1).numpy().copy(), att_vector=new.att_vector.numpy().copy())
        if new.cell is not None:
            state["cell"] = new.cell.transpose(0, 1).numpy().copy()
        best, ids = array_search.best_tokens(log_probs.numpy(), n_best)
        return best, ids, state, None if weights is None else weights.numpy()


def random_model(attention: str, cell: str, seed: int):
    torch.manual_seed(seed)
    model = build_seq2seq([30], [8], 14, 8, 8, 16, decoder_cell=cell, attention=attention).eval()
    with torch.no_grad():
        model.decoder.output.weight.mul_(4.0)  # peaked distributions: a real choice at every step
    return model


def random_source(seed: int):
    rng = numpy.random.default_rng(seed)
    ids = numpy.zeros((len(LENGTHS), max(LENGTHS), 1), dtype="int64")
    for i, n in enumerate(LENGTHS):
        ids[i, :n, 0] = rng.integers(2, 30, n)
    return ids, numpy.asarray(LENGTHS, dtype="int64")


@pytest.mark.parametrize("attention, cell", [("bahdanau", "gru"), ("luong_dot", "lstm"), ("luong_general", "gru"), ("none", "lstm")])
@pytest.mark.parametrize("beam_size, alpha", [(1, 0.0), (3, 0.0), (4, 0.6), (2, 1.0), (9, 0.0)])  # 2 * 9 > V = 14
def test_numpy_search_matches_torch_search(attention, cell, beam_size, alpha):
    for seed in range(3):
        model = random_model(attention, cell, seed)
        ids, lengths = random_source(seed)
        max_length = lambda n: 2 * n + 1  # noqa: E731
        if beam_size == 1:
            expected = search.greedy_search(model, torch.from_numpy(ids), torch.from_numpy(lengths), max_length)
            got = array_search.greedy_search(NumpySteps(model), ids, lengths, max_length)
        else:
            expected = search.beam_search(model, torch.from_numpy(ids), torch.from_numpy(lengths), beam_size, max_length, alpha)
            got = array_search.beam_search(NumpySteps(model), ids, lengths, beam_size, max_length, alpha)
        assert got[0] == expected[0], (seed, got[0], expected[0])
        for a, b in zip(got[1], expected[1]):
            assert (a is None) == (b is None)
            if a is not None:
                assert a.shape == b.shape and numpy.allclose(a, b, atol=1e-6)


def test_beam_of_one_is_greedy_and_zero_length_bound_gives_empty_outputs():
    model = random_model("bahdanau", "gru", 0)
    ids, lengths = random_source(0)
    steps = NumpySteps(model)
    assert array_search.beam_search(steps, ids, lengths, 1, 9, 0.6)[0] == array_search.greedy_search(steps, ids, lengths, 9)[0]
    for run in (lambda: array_search.greedy_search(steps, ids, lengths, 0), lambda: array_search.beam_search(steps, ids, lengths, 3, 0)):
        tokens, attention = run()
        assert tokens == [[] for _ in LENGTHS] and [a.shape for a in attention] == [(0, n) for n in LENGTHS]
    with pytest.raises(ValueError, match="beam_size"):
        array_search.beam_search(steps, ids, lengths, 0, 9)
