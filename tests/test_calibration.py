"""Temperature scaling, ECE and the reliability diagram against hand computations."""

import math

import numpy
import pytest
import torch

from nlp_rnn.evaluation.calibration import expected_calibration_error, plot_reliability_diagram, reliability_bins
from nlp_rnn.oos.temperature import apply_temperature
from nlp_rnn.pipeline.temperature_fit import fit_temperature, scaled_probabilities


def test_ece_by_hand():
    # bins of width 1/15: 0.95 and 0.97 share the last bin, 0.5 and 0.52 share bin 7 (0.4667, 0.5333]
    conf = [0.95, 0.97, 0.5, 0.52]
    correct = [True, False, True, True]
    # last bin: acc 0.5, conf 0.96 → 0.46 · 2/4; bin 7: acc 1, conf 0.51 → 0.49 · 2/4
    assert expected_calibration_error(conf, correct) == pytest.approx(0.5 * 0.46 + 0.5 * 0.49)
    bins = reliability_bins(conf, correct)
    assert len(bins) == 15 and sum(b["count"] for b in bins) == 4
    assert bins[14]["accuracy"] == 0.5 and bins[7]["count"] == 2
    assert expected_calibration_error([], []) == 0.0
    assert expected_calibration_error([1.0, 0.0], [True, False]) == 0.0  # edges land in the end bins


def test_temperature_recovers_the_generating_temperature():
    generator = numpy.random.default_rng(0)
    true_logits = generator.normal(0, 2, size=(4000, 5))
    probs = torch.softmax(torch.tensor(true_logits), dim=-1).numpy()
    gold = numpy.array([generator.choice(5, p=p) for p in probs])
    # the model is over-confident: its logits are 3× the true ones → T ≈ 3 fixes it
    t = fit_temperature(3 * true_logits, gold)
    assert t == pytest.approx(3.0, rel=0.1)
    before = expected_calibration_error(torch.softmax(torch.tensor(3 * true_logits), -1).max(-1).values.numpy(), (3 * true_logits).argmax(1) == gold)
    after = expected_calibration_error(torch.softmax(torch.tensor(3 * true_logits / t), -1).max(-1).values.numpy(), (3 * true_logits).argmax(1) == gold)
    assert after < before / 2


def test_temperature_acts_on_the_final_probabilities_after_the_prior_shift():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 0.0]]])
    p = (torch.softmax(torch.tensor([2.0, 0.0]), 0) + 0.5) / 2  # the members' mean
    probs = scaled_probabilities(logits, torch.tensor(2.0))
    assert torch.allclose(probs[0], p.sqrt() / p.sqrt().sum())  # p^(1/T), renormalised
    shifted = scaled_probabilities(logits, torch.tensor(1.0), torch.tensor([0.0, math.log(2.0)]))
    assert torch.allclose(shifted[0], torch.tensor([p[0], 2 * p[1]]) / (p[0] + 2 * p[1]))
    both = scaled_probabilities(logits, torch.tensor(2.0), torch.tensor([0.0, math.log(2.0)]))
    q = torch.tensor([p[0], 2 * p[1]]).sqrt()
    assert torch.allclose(both[0], q / q.sum())
    assert fit_temperature(numpy.zeros((2, 3)), [-1, 5]) == 1.0  # no usable row


def test_temperature_never_changes_the_winning_intent():
    generator = numpy.random.default_rng(1)
    logits = generator.normal(0, 3, size=(500, 2, 7))  # two members that often disagree
    mean = torch.softmax(torch.tensor(logits), -1).mean(1).numpy()
    for t in (0.2, 0.5, 3.0):
        scaled = apply_temperature(mean.astype("float32"), t)
        assert scaled.dtype == numpy.float32 and numpy.allclose(scaled.sum(1), 1.0, atol=1e-5)
        assert (scaled.argmax(1) == mean.argmax(1)).all()
        assert numpy.allclose(scaled, scaled_probabilities(torch.tensor(logits), torch.tensor(t)).numpy(), atol=1e-5)
    assert apply_temperature(mean, 1.0) is mean


def test_reliability_diagram_png(tmp_path):
    bins = reliability_bins([0.9, 0.8, 0.3], [True, False, True])
    path = plot_reliability_diagram({"before": bins, "after": bins}, tmp_path / "rel.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
