"""Seq2seq with attention (plain torch): attention, decoder, loss, greedy and beam search.

Tiny sizes and fixed seeds, in the spirit of JoeyNMT's tests. The batch-independence tests guard
against the JoeyNMT #50 / OpenNMT-py #994 class of bugs: a sentence must decode to the same output
alone and inside any batch, whatever the padding.
"""

import functools

import numpy
import pytest
import torch
from torch.nn.functional import cross_entropy

from nlp_rnn.nn.attention import (
    BahdanauAttention,
    LuongDotAttention,
    LuongGeneralAttention,
    build_attention,
)
from nlp_rnn.nn.decoder import DecoderState, RNNDecoder
from nlp_rnn.nn.masking import lengths_to_mask
from nlp_rnn.nn.search import beam_search, gnmt_length_penalty, greedy_search, score_sequences
from nlp_rnn.nn.outputs import Seq2SeqGold
from nlp_rnn.nn.seq2seq import Seq2Seq, attach_decoder, sequence_cross_entropy
from nlp_rnn.nn.target_ids import BOS, EOS, N_SPECIAL, PAD, make_targets
from nlp_rnn.nn.text_encoder import build_text_encoder

VOCAB = 12  # source and target ids; real tokens are N_SPECIAL..VOCAB-1


def max_len_fn(n):
    return int(1.5 * n + 3)


def pad_sources(seqs, extra=0):
    """Lists of source ids → ids (batch, S + extra, 1) zero-padded, lengths (batch,)."""
    width = max([len(s) for s in seqs] + [0]) + extra
    ids = torch.zeros((len(seqs), width, 1), dtype=torch.long)
    for i, seq in enumerate(seqs):
        ids[i, : len(seq), 0] = torch.tensor(seq, dtype=torch.long)
    return ids, torch.tensor([len(s) for s in seqs])


def random_sequences(lengths, seed):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(N_SPECIAL, VOCAB, (n,), generator=generator).tolist() for n in lengths]


#: the tiny models' encoder and decoder settings (the nn modules have no defaults of their own)
ENCODER = dict(cell="lstm", num_layers=1, bidirectional=True, dropout=0.0, embedding_dropout=0.0, word_dropout=0.0,
               conv_filters=0, conv_kernel=3, conv_stride=1)
DECODER = dict(cell="gru", num_layers=1, attention="bahdanau", input_feeding=True, dropout=0.0, embedding_dropout=0.0,
               tie_embeddings=False)


def build_seq2seq(src_vocab_sizes, src_widths, tgt_vocab_size, tgt_embedding_size, encoder_hidden, decoder_hidden,
                  encoder_cell="lstm", decoder_cell="gru", decoder_layers=1, attention="bahdanau", input_feeding=True,
                  lstm_cell_init="zeros"):
    """A :class:`Seq2Seq` of the :data:`ENCODER` and :data:`DECODER` settings, changed by the arguments
    (encoder_hidden is per direction), without label smoothing."""
    encoder = build_text_encoder(src_vocab_sizes, src_widths, encoder_hidden, **dict(ENCODER, cell=encoder_cell))
    decoder = dict(DECODER, cell=decoder_cell, num_layers=decoder_layers, attention=attention, input_feeding=input_feeding)
    return attach_decoder(encoder, tgt_vocab_size, tgt_embedding_size, decoder_hidden, label_smoothing=0.0,
                          lstm_cell_init=lstm_cell_init, **decoder)


CONFIGS = {
    "gru-bahdanau": dict(decoder_cell="gru", attention="bahdanau"),
    "lstm-general-2layers": dict(
        decoder_cell="lstm", attention="luong_general", decoder_layers=2, lstm_cell_init="bridge"
    ),
    "gru-dot": dict(decoder_cell="gru", attention="luong_dot", encoder_cell="gru"),
    "lstm-none": dict(decoder_cell="lstm", attention="none", input_feeding=False),
}


def tiny_model(config="gru-bahdanau", seed=0, output_scale=5.0):
    """An untrained model; a larger output layer makes its choices less uniform (more varied
    lengths) so that search has something to decide."""
    torch.manual_seed(seed)
    model = build_seq2seq([VOCAB], [8], VOCAB, 8, 8, 16, **CONFIGS[config])
    with torch.no_grad():
        model.decoder.output.weight.mul_(output_scale)
    return model.eval()


# ---------------------------------------------------------------------------------- attention


@pytest.mark.parametrize("name", ["bahdanau", "luong_dot", "luong_general"])
def test_attention_shapes_weights_and_padding(name):
    torch.manual_seed(0)
    key_size = 6 if name == "luong_dot" else 4
    attention = build_attention(name, 6, key_size)
    query, keys = torch.randn(3, 6), torch.randn(3, 5, key_size)
    values = torch.randn(3, 5, 7)
    mask = lengths_to_mask(torch.tensor([5, 2, 1]), 5)
    context, weights = attention(query, keys, values, mask)
    assert context.shape == (3, 7) and weights.shape == (3, 5)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    assert torch.all(weights[~mask] == 0)
    assert torch.all(weights[mask] > 0)
    # whatever sits at padded positions changes nothing
    noisy_keys, noisy_values = keys.clone(), values.clone()
    noisy_keys[~mask], noisy_values[~mask] = 1e4, 1e4
    context2, weights2 = attention(query, noisy_keys, noisy_values, mask)
    torch.testing.assert_close(context2, context)
    torch.testing.assert_close(weights2, weights)
    # precomputed key projections give the same answer
    context3, _ = attention.attend(query, attention.project_keys(keys), values, mask)
    torch.testing.assert_close(context3, context)
    # a row without any real position gives zeros, not NaN
    empty = torch.zeros(3, 5, dtype=torch.bool)
    context4, weights4 = attention(query, keys, values, empty)
    assert torch.all(weights4 == 0) and torch.all(context4 == 0)


def test_build_attention_types_and_errors():
    assert isinstance(build_attention("bahdanau", 4, 6), BahdanauAttention)
    assert isinstance(build_attention("luong_general", 4, 6), LuongGeneralAttention)
    assert isinstance(build_attention("luong_dot", 4, 4), LuongDotAttention)
    assert build_attention("none", 4, 6) is None
    with pytest.raises(ValueError, match="query size == key size"):
        build_attention("luong_dot", 4, 6)
    with pytest.raises(ValueError, match="unknown attention"):
        build_attention("multihead", 4, 4)


# ------------------------------------------------------------------------------------ decoder


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("attention", ["bahdanau", "luong_dot", "luong_general", "none"])
def test_decoder_shapes(cell, attention):
    torch.manual_seed(0)
    decoder = RNNDecoder(VOCAB, 5, 6, 6, **dict(DECODER, cell=cell, num_layers=2, attention=attention)).eval()
    encoder_outputs, encoder_final = torch.randn(3, 7, 6), torch.randn(3, 6)
    mask = lengths_to_mask(torch.tensor([7, 2, 4]), 7)
    state = decoder.init_state(encoder_final, encoder_outputs)
    assert isinstance(state, DecoderState)
    assert state.hidden.shape == (2, 3, 6)
    assert (state.cell is not None) == (cell == "lstm")
    log_probs, state, weights = decoder.step(torch.full((3,), BOS), state, encoder_outputs, mask)
    assert log_probs.shape == (3, VOCAB)
    torch.testing.assert_close(log_probs.exp().sum(dim=1), torch.ones(3))
    if attention == "none":
        assert weights is None
    else:
        assert weights.shape == (3, 7)
        assert torch.all(weights[~mask] == 0)
    reordered = state.index_select(torch.tensor([2, 2, 0, 1]))
    assert reordered.hidden.shape == (2, 4, 6)
    torch.testing.assert_close(reordered.hidden[:, 0], state.hidden[:, 2])
    assert reordered.att_vector.shape == (4, 6)
    targets_in = torch.tensor([[BOS, 5, 6, 7], [BOS, 4, 0, 0], [BOS, 8, 9, 0]])
    logits, attn = decoder(targets_in, encoder_outputs, encoder_final, mask)
    assert logits.shape == (3, 4, VOCAB)
    assert attn is None if attention == "none" else attn.shape == (3, 4, 7)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_teacher_forcing_equals_stepwise_decoding(config):
    model = tiny_model(config)
    src, lengths = pad_sources(random_sequences([4, 2, 5], seed=1))
    tgt_in, _ = make_targets(random_sequences([3, 1, 2], seed=2))
    outputs, final, mask = model.encode(src, lengths)
    logits, attn = model.decoder(tgt_in, outputs, final, mask)
    torch.testing.assert_close(model(src, lengths, tgt_in).logits, logits)
    state = model.decoder.init_state(final)  # keys projected at every step instead of once
    for t in range(tgt_in.shape[1]):
        log_probs, state, weights = model.decoder.step(tgt_in[:, t], state, outputs, mask)
        torch.testing.assert_close(log_probs, torch.log_softmax(logits[:, t], dim=-1))
        if attn is not None:
            torch.testing.assert_close(weights, attn[:, t])


def test_tied_embeddings_and_size_checks():
    decoder = RNNDecoder(VOCAB, 6, 6, 4, **dict(DECODER, tie_embeddings=True))
    assert decoder.output.weight is decoder.embedding.weight
    with pytest.raises(ValueError, match="tie_embeddings"):
        RNNDecoder(VOCAB, 5, 6, 4, **dict(DECODER, tie_embeddings=True))
    with pytest.raises(ValueError, match="cell"):
        RNNDecoder(VOCAB, 5, 6, 4, **dict(DECODER, cell="rnn"))
    encoder = build_text_encoder([VOCAB], [4], 5, **ENCODER)  # width 10
    with pytest.raises(ValueError, match="encoder width"):
        Seq2Seq(encoder, RNNDecoder(VOCAB, 5, 6, 8, **DECODER), label_smoothing=0.0)


# --------------------------------------------------------------------------------------- loss


def test_make_targets():
    tgt_in, tgt_out = make_targets([[5, 6], [], [7]])
    assert tgt_in.tolist() == [[BOS, 5, 6], [BOS, 0, 0], [BOS, 7, 0]]
    assert tgt_out.tolist() == [[5, 6, EOS], [EOS, 0, 0], [7, EOS, 0]]


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_loss_ignores_padding(label_smoothing):
    torch.manual_seed(0)
    _, tgt_out = make_targets([[5, 6, 7], [8]])
    logits = torch.randn(2, 4, VOCAB, requires_grad=True)
    loss = sequence_cross_entropy(logits, tgt_out, label_smoothing=label_smoothing)
    real = tgt_out != PAD
    if label_smoothing == 0:
        expected = cross_entropy(logits[real], tgt_out[real])  # mean over the 6 real tokens
        torch.testing.assert_close(loss, expected)
    noisy = logits.detach().clone()
    noisy[~real] = 100.0 * torch.randn_like(noisy[~real])
    torch.testing.assert_close(
        sequence_cross_entropy(noisy, tgt_out, label_smoothing=label_smoothing), loss
    )
    loss.backward()
    assert torch.all(logits.grad[~real] == 0)
    # more padding columns change nothing either
    wider_logits = torch.cat([logits.detach(), torch.randn(2, 3, VOCAB)], dim=1)
    wider_targets = torch.cat([tgt_out, torch.zeros(2, 3, dtype=torch.long)], dim=1)
    torch.testing.assert_close(
        sequence_cross_entropy(wider_logits, wider_targets, label_smoothing=label_smoothing),
        loss.detach(),
    )


def test_model_loss_helper_and_label_smoothing():
    model = tiny_model()
    src, lengths = pad_sources(random_sequences([4, 2], seed=1))
    tgt_in, tgt_out = make_targets(random_sequences([3, 1], seed=2))
    outputs = model(src, lengths, tgt_in)
    assert model.loss(outputs, Seq2SeqGold(tgt_out)).item() > 0
    plain = model.loss(outputs, Seq2SeqGold(tgt_out))
    model.label_smoothing = 0.2
    smooth = model.loss(outputs, Seq2SeqGold(tgt_out))
    assert torch.isfinite(smooth) and not torch.allclose(smooth, plain)
    with pytest.raises(ValueError, match="does not match"):
        model.loss(outputs, Seq2SeqGold(tgt_out[:, :-1]))


# ------------------------------------------------------------------------------------- search


def test_length_penalty_formula():
    assert gnmt_length_penalty(7, 0.0) == 1.0
    assert gnmt_length_penalty(1, 1.0) == pytest.approx(1.0)
    assert gnmt_length_penalty(7, 0.6) == pytest.approx(2.0**0.6)


SEARCHES = {
    "greedy": functools.partial(greedy_search, max_length=max_len_fn),
    "beam3": functools.partial(beam_search, beam_size=3, max_length=max_len_fn),
    "beam3-alpha1": functools.partial(
        beam_search, beam_size=3, max_length=max_len_fn, length_penalty=1.0
    ),
}
SOURCES = random_sequences([5, 1, 7, 3, 6], seed=3) + [[]]


def assert_batch_independent(search, model, seqs):
    """Every sentence decodes the same alone and inside batches of several sizes and padding."""
    alone = []
    for seq in seqs:
        tokens, attention = search(model, *pad_sources([seq]))
        alone.append((tokens[0], attention[0]))
    n = len(seqs)
    batches = [list(range(n)), list(reversed(range(n))), [0, 1], [2, 5, 2, 4], [3, 0, 3, 3, 1]]
    for order in batches:
        for extra in (0, 4):
            tokens, attention = search(model, *pad_sources([seqs[i] for i in order], extra))
            for position, i in enumerate(order):
                assert tokens[position] == alone[i][0], (order, extra, i)
                if alone[i][1] is None:
                    assert attention[position] is None
                else:
                    assert attention[position].shape == (len(alone[i][0]), len(seqs[i]))
                    numpy.testing.assert_allclose(attention[position], alone[i][1], atol=1e-5)


@pytest.mark.parametrize("search", sorted(SEARCHES))
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_batch_independence_untrained(config, search):
    assert_batch_independent(SEARCHES[search], tiny_model(config, seed=1), SOURCES)


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_size_one_equals_greedy(config, alpha):
    for seed in range(3):
        model = tiny_model(config, seed=seed)
        src, lengths = pad_sources(SOURCES)
        greedy_tokens, greedy_attention = greedy_search(model, src, lengths, max_len_fn)
        beam_tokens, beam_attention = beam_search(
            model, src, lengths, 1, max_len_fn, length_penalty=alpha
        )
        assert beam_tokens == greedy_tokens
        for a, b in zip(greedy_attention, beam_attention):
            assert (a is None and b is None) or numpy.allclose(a, b, atol=1e-6)


def model_score(model, src, lengths, hypotheses):
    max_lens = [max_len_fn(int(n)) for n in lengths]
    ended = [len(h) < m for h, m in zip(hypotheses, max_lens)]
    return score_sequences(model, src, lengths, hypotheses, append_eos=ended)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_beam_scores_at_least_greedy_untrained(config):
    for seed in range(3):
        model = tiny_model(config, seed=seed)
        src, lengths = pad_sources(SOURCES)
        greedy_tokens, _ = greedy_search(model, src, lengths, max_len_fn)
        beam_tokens, _ = beam_search(model, src, lengths, 4, max_len_fn)
        greedy_score = model_score(model, src, lengths, greedy_tokens)
        beam_score = model_score(model, src, lengths, beam_tokens)
        assert torch.all(beam_score >= greedy_score - 1e-5)


def test_empty_source_gives_valid_output():
    for config in CONFIGS:
        model = tiny_model(config)
        empty = torch.zeros((1, 0, 1), dtype=torch.long)
        for search in SEARCHES.values():
            (tokens,), (attention,) = search(model, empty, torch.tensor([0]))
            assert len(tokens) <= max_len_fn(0)
            assert all(0 < t < VOCAB and t not in (BOS, EOS) for t in tokens)
            assert attention is None or attention.shape == (len(tokens), 0)


@pytest.mark.parametrize("config", ["gru-bahdanau", "lstm-none"])
def test_long_source_output_is_bounded(config):
    model = tiny_model(config)
    with torch.no_grad():
        model.decoder.output.bias[EOS] = -100.0  # never ends by itself
    long_src = random_sequences([40], seed=4)[0]
    src, lengths = pad_sources([long_src, [5, 6]])
    for max_length, expected in [(max_len_fn, [63, 6]), (5, [5, 5]), (0, [0, 0])]:
        for search in (greedy_search, functools.partial(beam_search, beam_size=3)):
            tokens, attention = search(model, src, lengths, max_length=max_length)
            assert [len(t) for t in tokens] == expected
            if attention[0] is not None:
                assert attention[0].shape == (expected[0], 40)


# A hand-made "model" whose next-token distribution depends only on the previous token, so
# the best hypotheses are known (JoeyNMT-style search tests on a fixed distribution).
A, B, C, D, E, F, G = range(N_SPECIAL, N_SPECIAL + 7)


class MarkovModel:
    """Implements the search protocol (encode / decoder.init_state / decoder.step)."""

    attention = None

    def __init__(self, transitions):
        vocab = N_SPECIAL + 7
        table = torch.zeros(vocab, vocab)
        for prev, row in transitions.items():
            rest = [t for t in range(vocab) if t not in row]
            table[prev, rest] = (1.0 - sum(row.values())) / len(rest)
            for token, p in row.items():
                table[prev, token] = p
        self.log_table = table.log()
        self.decoder = self

    def encode(self, src_ids, src_lengths):
        width = max(src_ids.shape[1], 1)
        outputs = torch.zeros(src_ids.shape[0], width, 1)
        return outputs, outputs[:, 0], lengths_to_mask(src_lengths.clamp(min=1), width)

    def init_state(self, final, outputs=None):
        return DecoderState(final.new_zeros(1, final.shape[0], 1), None, final)

    def step(self, prev_tokens, state, outputs, mask):
        return self.log_table[prev_tokens].clone(), state, None


def test_beam_search_waits_for_the_best_hypothesis():
    """Weak beams that end early must not stop the search before the best path ends (a rule
    "stop after k finished hypotheses" returns [B] here)."""
    model = MarkovModel(
        {
            BOS: {A: 0.45, B: 0.2, C: 0.19, D: 0.15},
            A: {E: 0.98}, E: {G: 0.98}, G: {EOS: 0.98},
            B: {EOS: 0.6, F: 0.39}, C: {EOS: 0.6, F: 0.39}, D: {EOS: 0.6, F: 0.39},
            F: {EOS: 0.98},
        }
    )
    src, lengths = pad_sources([[5, 6], [7]])
    assert greedy_search(model, src, lengths, 10)[0] == [[A, E, G], [A, E, G]]
    for k in (1, 2, 3, 5):
        assert beam_search(model, src, lengths, k, 10)[0] == [[A, E, G], [A, E, G]]


def test_beam_search_finds_better_than_greedy_and_length_penalty_prefers_longer():
    model = MarkovModel(
        {
            BOS: {A: 0.5, B: 0.3},
            A: {E: 0.6, F: 0.3},
            B: {EOS: 0.95},
            E: {EOS: 0.7, F: 0.29},
            F: {EOS: 0.9},
        }
    )
    src, lengths = pad_sources([[5]])
    assert greedy_search(model, src, lengths, 10)[0] == [[A, E]]  # log P = log .21
    assert beam_search(model, src, lengths, 2, 10)[0] == [[B]]  # log P = log .285
    # ((5 + 3) / 6) ** 2 rewards the 3-step hypothesis enough to win
    assert beam_search(model, src, lengths, 2, 10, length_penalty=2.0)[0] == [[A, E]]


# ----------------------------------------------------------------------------------- overfit


PAIRS = [(src, src[::-1]) for src in random_sequences([2, 3, 4, 5, 3, 4], seed=5)]


def train_reverse(config, steps, seed=0):
    """A tiny model trained on the reverse task; returns it in eval mode."""
    torch.manual_seed(seed)
    model = build_seq2seq([VOCAB], [16], VOCAB, 16, 16, 32, **CONFIGS[config])
    src, lengths = pad_sources([s for s, _ in PAIRS])
    tgt_in, tgt_out = make_targets([t for _, t in PAIRS])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        model.loss(model(src, lengths, tgt_in), Seq2SeqGold(tgt_out)).backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="module", params=["gru-bahdanau", "lstm-general-2layers"])
def trained(request):
    return train_reverse(request.param, steps=100)


@pytest.fixture(scope="module")
def half_trained():
    """Trained briefly: its outputs depend on the source but are not yet right."""
    return train_reverse("gru-bahdanau", steps=8)


def test_overfit_greedy_and_beam_decode_exactly(trained, monkeypatch):
    src, lengths = pad_sources([s for s, _ in PAIRS])
    expected = [t for _, t in PAIRS]
    calls = []
    step = trained.decoder.step
    monkeypatch.setattr(trained.decoder, "step", lambda *a: calls.append(1) or step(*a))
    assert greedy_search(trained, src, lengths, max_length=50)[0] == expected
    assert len(calls) == max(len(t) for t in expected) + 1  # stopped at the last EOS
    for alpha in (0.0, 1.0):
        tokens, attention = beam_search(trained, src, lengths, 3, 50, length_penalty=alpha)
        assert tokens == expected
        for att, (s, t) in zip(attention, PAIRS):
            assert att.shape == (len(t), len(s))
            numpy.testing.assert_allclose(att.sum(axis=1), 1.0, rtol=1e-5)


def test_overfit_batch_independence(trained, half_trained):
    sources = [s for s, _ in PAIRS] + [[], random_sequences([9], seed=6)[0]]
    for model in (trained, half_trained):
        for search in SEARCHES.values():
            assert_batch_independent(search, model, sources)


def test_overfit_beam_scores_at_least_greedy(trained, half_trained):
    src, lengths = pad_sources([s for s, _ in PAIRS] + random_sequences([4, 6, 2], seed=7))
    for model in (trained, half_trained):
        greedy_tokens, _ = greedy_search(model, src, lengths, max_len_fn)
        beam_tokens, _ = beam_search(model, src, lengths, 3, max_len_fn)
        greedy_score = model_score(model, src, lengths, greedy_tokens)
        beam_score = model_score(model, src, lengths, beam_tokens)
        assert torch.all(beam_score >= greedy_score - 1e-5)
        assert greedy_search(model, src, lengths, max_len_fn)[0] == beam_search(
            model, src, lengths, 1, max_len_fn
        )[0]
