"""The CRF against brute-force enumeration of all K^T paths, and the BIO / BIOES tag constraints."""

import itertools

import pytest
import torch

from nlp_rnn.nn.crf import CRF, FORBIDDEN
from nlp_rnn.nn.masking import lengths_to_mask
from nlp_rnn.nn.tag_constraints import allowed_transitions, is_well_formed, parse_tag

TAG_SETS = {
    None: ["O", "B-a", "I-a", "B-b"],
    "BIO": ["O", "B-a", "I-a", "B-b"],
    "BIOES": ["O", "B-a", "I-a", "E-a", "S-a"],
}
LENGTHS = [4, 2, 1, 3]


def make_crf(tags, scheme, seed):
    """A double-precision CRF with random (not small) scores, constrained when ``scheme``."""
    torch.manual_seed(seed)
    masks = allowed_transitions(tags, scheme) if scheme else (None, None, None)
    crf = CRF(len(tags), *masks).double()
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_(0.0, 1.0)
    return crf


def random_batch(lengths, num_tags, seed, pad_value=None):
    """emissions (B, T, K) double, mask (B, T); padding filled with ``pad_value`` if given."""
    generator = torch.Generator().manual_seed(seed)
    mask = lengths_to_mask(torch.tensor(lengths), max(lengths, default=0))
    emissions = torch.randn(len(lengths), mask.shape[1], num_tags, generator=generator).double()
    if pad_value is not None:
        emissions = emissions.masked_fill(~mask.unsqueeze(-1), pad_value)
    return emissions, mask


def path_score(crf, emissions, path):
    """Score of one path, written out term by term from the parameters and the masks."""
    if not path:
        return torch.tensor(0.0, dtype=torch.double)

    def masked(value, allowed):
        return value if allowed else torch.tensor(FORBIDDEN, dtype=torch.double)

    total = masked(crf.start[path[0]], crf.allowed_start[path[0]]) + emissions[0, path[0]]
    for t in range(1, len(path)):
        i, j = path[t - 1], path[t]
        total = total + masked(crf.transitions[i, j], crf.allowed[i, j]) + emissions[t, j]
    return total + masked(crf.end[path[-1]], crf.allowed_end[path[-1]])


def all_paths(crf, emissions, length):
    """(paths, scores (n_paths,)) over all K^length paths of one sequence."""
    paths = list(itertools.product(range(crf.num_tags), repeat=length))
    with torch.no_grad():
        scores = torch.stack([path_score(crf, emissions, list(path)) for path in paths])
    return paths, scores


def decode_strings(crf, tags, emissions, mask):
    best, _ = crf.viterbi_decode(emissions, mask)
    return [[tags[i] for i in row[:n]] for row, n in zip(best.tolist(), mask.sum(1).tolist())]


# --- brute force -------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", [None, "BIO", "BIOES"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partition_viterbi_and_score_match_brute_force(scheme, seed):
    tags = TAG_SETS[scheme]
    crf = make_crf(tags, scheme, seed)
    emissions, mask = random_batch(LENGTHS, len(tags), seed, pad_value=7.0)
    log_z = crf.log_partition(emissions, mask)
    best_tags, best_scores = crf.viterbi_decode(emissions, mask)
    generator = torch.Generator().manual_seed(seed)
    gold = torch.randint(0, len(tags), mask.shape, generator=generator).masked_fill(~mask, -1)
    gold_scores = crf.score(emissions, gold, mask)
    for b, length in enumerate(LENGTHS):
        paths, scores = all_paths(crf, emissions[b], length)
        assert log_z[b].item() == pytest.approx(torch.logsumexp(scores, 0).item(), abs=1e-9)
        best = int(scores.argmax())
        assert best_tags[b, :length].tolist() == list(paths[best])
        assert best_tags[b, length:].tolist() == [0] * (mask.shape[1] - length)
        assert best_scores[b].item() == pytest.approx(scores[best].item(), abs=1e-9)
        expected = path_score(crf, emissions[b], gold[b, :length].tolist())
        assert gold_scores[b].item() == pytest.approx(expected.item(), abs=1e-9)
        if scheme:  # the best path is well formed, and so is every path with a finite score
            assert is_well_formed([tags[i] for i in paths[best]], scheme)


@pytest.mark.parametrize("scheme", [None, "BIOES"])
def test_marginals_match_brute_force_and_sum_to_one(scheme):
    tags = TAG_SETS[scheme]
    crf = make_crf(tags, scheme, seed=3)
    emissions, mask = random_batch(LENGTHS, len(tags), seed=3, pad_value=-5.0)
    marginals = crf.marginals(emissions, mask)
    assert marginals.shape == emissions.shape
    assert torch.allclose(marginals.sum(-1), mask.double(), atol=1e-9)
    for b, length in enumerate(LENGTHS):
        paths, scores = all_paths(crf, emissions[b], length)
        probs = torch.softmax(scores, 0)
        expected = torch.zeros(length, len(tags), dtype=torch.double)
        for path, prob in zip(paths, probs):
            for t, tag in enumerate(path):
                expected[t, tag] += prob
        assert torch.allclose(marginals[b, :length], expected, atol=1e-9)


# --- loss and gradients ------------------------------------------------------------------


def test_neg_log_likelihood_non_negative_with_finite_gradients():
    tags = TAG_SETS["BIO"]
    crf = make_crf(tags, "BIO", seed=4)
    emissions, mask = random_batch(LENGTHS, len(tags), seed=4)
    emissions.requires_grad_(True)
    gold = torch.tensor([[0, 1, 2, 3], [3, 0, 0, 0], [1, 0, 0, 0], [1, 2, 0, 0]])
    losses = crf.neg_log_likelihood(emissions, gold, mask, reduction="none")
    assert losses.shape == (4,) and bool((losses >= 0).all())
    assert crf.neg_log_likelihood(emissions, gold, mask, "sum").item() == pytest.approx(
        losses.sum().item()
    )
    loss = crf(emissions, gold, mask)
    assert loss.item() == pytest.approx(losses.mean().item())
    loss.backward()
    for name, grad in [("emissions", emissions.grad)] + [
        (name, p.grad) for name, p in crf.named_parameters()
    ]:
        assert grad is not None and bool(torch.isfinite(grad).all()), name
        assert grad.abs().sum() > 0, name
    # forbidden entries and padding get no gradient
    assert bool((crf.transitions.grad[~crf.allowed] == 0).all())
    assert bool((crf.start.grad[~crf.allowed_start] == 0).all())
    assert bool((emissions.grad[~mask] == 0).all())
    with pytest.raises(ValueError, match="unknown reduction"):
        crf.neg_log_likelihood(emissions, gold, mask, reduction="avg")


def test_training_learns_a_tag_sequence_from_transitions_alone():
    torch.manual_seed(0)
    crf = CRF(3)
    emissions = torch.zeros(1, 4, 3)
    mask = torch.ones(1, 4, dtype=torch.bool)
    gold = torch.tensor([[2, 0, 1, 2]])
    optimizer = torch.optim.SGD(crf.parameters(), lr=0.5)
    first = crf(emissions, gold, mask).item()
    for _ in range(60):
        optimizer.zero_grad()
        loss = crf(emissions, gold, mask)
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 4
    assert crf.viterbi_decode(emissions, mask)[0].tolist() == gold.tolist()


# --- batching, padding, length 0 ---------------------------------------------------------


@pytest.mark.parametrize("pad_value", [0.0, 1e3, float("nan"), float("inf")])
def test_results_do_not_depend_on_padding_or_batch(pad_value):
    tags = TAG_SETS["BIOES"]
    crf = make_crf(tags, "BIOES", seed=5)
    emissions, mask = random_batch(LENGTHS, len(tags), seed=5, pad_value=pad_value)
    gold = torch.zeros(mask.shape, dtype=torch.long)
    batched = (
        crf.log_partition(emissions, mask),
        crf.score(emissions, gold, mask),
        *crf.viterbi_decode(emissions, mask),
        crf.marginals(emissions, mask),
    )
    assert all(bool(torch.isfinite(value).all()) for value in batched)
    for b, length in enumerate(LENGTHS):
        alone_emissions = emissions[b : b + 1, :length]
        alone_mask = mask[b : b + 1, :length]
        alone = (
            crf.log_partition(alone_emissions, alone_mask),
            crf.score(alone_emissions, gold[b : b + 1, :length], alone_mask),
            *crf.viterbi_decode(alone_emissions, alone_mask),
            crf.marginals(alone_emissions, alone_mask),
        )
        for together, single in zip(batched, alone):
            row = together[b, :length] if together.dim() > 1 else together[b]
            assert row.shape == single[0].shape
            assert torch.allclose(row.double(), single[0].double(), atol=1e-12)


def test_length_zero_sequences():
    crf = make_crf(TAG_SETS["BIO"], "BIO", seed=6)
    emissions, mask = random_batch([0, 2], 4, seed=6)
    emissions.requires_grad_(True)
    gold = torch.tensor([[0, 0], [1, 2]])
    assert crf.log_partition(emissions, mask)[0].item() == 0.0
    assert crf.score(emissions, gold, mask)[0].item() == 0.0
    losses = crf.neg_log_likelihood(emissions, gold, mask, reduction="none")
    assert losses[0].item() == 0.0 and losses[1].item() > 0
    losses.sum().backward()
    assert bool(torch.isfinite(emissions.grad).all())
    best, scores = crf.viterbi_decode(emissions, mask)
    assert best[0].tolist() == [0, 0] and scores[0].item() == 0.0
    assert crf.marginals(emissions, mask)[0].abs().sum().item() == 0.0
    # a batch of empty sequences (T = 0) and an empty batch
    for shape in [(3, 0, 4), (0, 0, 4), (0, 5, 4)]:
        empty = torch.zeros(shape, dtype=torch.double)
        empty_mask = torch.zeros(shape[:2], dtype=torch.bool)
        assert crf.log_partition(empty, empty_mask).shape == (shape[0],)
        assert crf.neg_log_likelihood(empty, empty_mask.long(), empty_mask).item() == 0.0
        best, scores = crf.viterbi_decode(empty, empty_mask)
        assert best.shape == shape[:2] and scores.shape == (shape[0],)
        assert crf.marginals(empty, empty_mask).shape == shape


def test_bad_inputs_are_refused():
    crf = CRF(3)
    emissions = torch.zeros(2, 3, 3)
    with pytest.raises(ValueError, match="left-aligned"):
        crf.log_partition(emissions, torch.tensor([[1, 1, 0], [0, 1, 1]], dtype=torch.bool))
    with pytest.raises(ValueError, match="mask has shape"):
        crf.log_partition(emissions, torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"emissions must be \(batch, T, 3\)"):
        crf.viterbi_decode(torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="tags must lie in"):
        crf.score(emissions, torch.full((2, 3), 3), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="allowed has shape"):
        CRF(3, allowed=torch.ones(2, 2, dtype=torch.bool))


def test_masks_are_buffers_outside_the_state_dict():
    crf = CRF(3, *allowed_transitions(["O", "B-x", "I-x"], "BIO"))
    assert set(crf.state_dict()) == {"transitions", "start", "end"}
    assert "constrained=True" in repr(crf)
    assert crf.double().allowed.dtype == torch.bool


# --- constrained decoding ----------------------------------------------------------------


@pytest.mark.parametrize(
    "scheme, tags",
    [
        ("BIO", ["O", "B-a", "I-a", "B-b", "I-b"]),
        ("BIOES", ["O", "B-a", "I-a", "E-a", "S-a", "B-b", "I-b", "E-b", "S-b"]),
        ("BILUO", ["O", "B-a", "I-a", "L-a", "U-a", "B-b", "I-b", "L-b", "U-b"]),
    ],
)
def test_constrained_decoding_is_always_well_formed(scheme, tags):
    crf = make_crf(tags, scheme, seed=7)
    # emissions that shout for inside / end tags, and for a label switch inside a span
    inside = [i for i, tag in enumerate(tags) if tag[0] in "IEL"]
    generator = torch.Generator().manual_seed(7)
    lengths = [int(n) for n in torch.randint(0, 9, (200,), generator=generator)]
    emissions, mask = random_batch(lengths, len(tags), seed=7)
    emissions = emissions * 30
    emissions[: len(lengths) // 2, :, inside] += 100.0
    decoded = decode_strings(crf, tags, emissions, mask)
    assert [len(seq) for seq in decoded] == lengths
    assert all(is_well_formed(seq, scheme) for seq in decoded)
    # the same emissions without constraints do produce ill-formed output
    free = CRF(len(tags)).double()
    free.load_state_dict(crf.state_dict())
    free_decoded = decode_strings(free, tags, emissions, mask)
    assert not all(is_well_formed(seq, scheme) for seq in free_decoded)


def test_adversarial_i_after_o_is_repaired_by_decoding():
    tags = ["O", "B-time", "I-time"]
    crf = CRF(3, *allowed_transitions(tags, "BIO"))
    emissions = torch.tensor([[[10.0, 0.0, 0.0], [0.0, 0.0, 50.0], [0.0, 0.0, 50.0]]])
    best = decode_strings(crf, tags, emissions, torch.ones(1, 3, dtype=torch.bool))
    assert best == [["B-time", "I-time", "I-time"]]


# --- tag constraints ---------------------------------------------------------------------


def test_bio_allowed_transitions():
    allowed, start, end = allowed_transitions(["O", "B-a", "I-a", "B-b", "I-b"], "BIO")
    assert allowed.int().tolist() == [
        # O  B-a I-a B-b I-b  (to)
        [1, 1, 0, 1, 0],  # from O
        [1, 1, 1, 1, 0],  # from B-a
        [1, 1, 1, 1, 0],  # from I-a
        [1, 1, 0, 1, 1],  # from B-b
        [1, 1, 0, 1, 1],  # from I-b
    ]
    assert start.int().tolist() == [1, 1, 0, 1, 0]
    assert end.all()


def test_bioes_allowed_transitions_and_letter_variants():
    tags = ["O", "B-a", "I-a", "E-a", "S-a"]
    allowed, start, end = allowed_transitions(tags, "BIOES")
    assert allowed.int().tolist() == [
        # O  B  I  E  S  (to)
        [1, 1, 0, 0, 1],  # from O
        [0, 0, 1, 1, 0],  # from B-a
        [0, 0, 1, 1, 0],  # from I-a
        [1, 1, 0, 0, 1],  # from E-a
        [1, 1, 0, 0, 1],  # from S-a
    ]
    assert start.int().tolist() == [1, 1, 0, 0, 1]
    assert end.int().tolist() == [1, 0, 0, 1, 1]
    biluo = allowed_transitions(["O", "B-a", "I-a", "L-a", "U-a"], "BILUO")
    bmes = allowed_transitions(["O", "B-a", "M-a", "E-a", "S-a"], "BMES")
    for masks in (biluo, bmes, allowed_transitions(["O", "B-a", "I-a", "L-a", "U-a"], "BIOES")):
        assert all(torch.equal(x, y) for x, y in zip(masks, (allowed, start, end)))


def test_is_well_formed():
    assert is_well_formed([], "BIO") and is_well_formed([], "BIOES")
    assert is_well_formed("O B-a I-a B-a O B-b".split(), "BIO")
    assert not is_well_formed("O I-a".split(), "BIO")
    assert not is_well_formed("I-a".split(), "BIO")
    assert not is_well_formed("B-a I-b".split(), "BIO")
    assert is_well_formed("B-a I-a E-a S-b O".split(), "BIOES")
    assert is_well_formed("B-a L-a U-b".split(), "BIOES")  # both letter sets are accepted
    assert not is_well_formed("B-a I-a".split(), "BIOES")  # span left open at the end
    assert not is_well_formed("B-a O".split(), "BIOES")
    assert not is_well_formed("B-a E-b".split(), "BIOES")
    assert not is_well_formed("E-a".split(), "BILUO")


def test_unknown_tags_and_schemes():
    assert parse_tag("O", "BIO") == ("O", "")
    assert parse_tag("M-x-y", "BMES") == ("I", "x-y")
    with pytest.raises(ValueError, match="'E-a' is not a BIO tag"):
        allowed_transitions(["O", "E-a"], "BIO")
    with pytest.raises(ValueError, match="'B' is not a BIOES tag"):
        is_well_formed(["B"], "BIOES")
    with pytest.raises(ValueError, match="unknown tag scheme 'IOB2'"):
        allowed_transitions(["O"], "IOB2")
