"""Out-of-scope scores, class Gaussians, threshold choice, against hand computations."""

import math

import numpy
import pytest

from nlp_rnn.oos.gaussian import ClassGaussians
from nlp_rnn.oos.scores import check_oos_score, energy_score, msp_score
from nlp_rnn.oos.threshold import ThresholdError, choose_threshold, open_macro_f1, threshold_for_in_scope_share


def test_msp_is_one_minus_max_probability():
    probs = numpy.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
    assert msp_score(probs) == pytest.approx([0.3, 0.6])


def test_energy_by_hand_and_member_mean():
    logits = numpy.array([[0.0, math.log(3.0)]])  # logsumexp = log 4
    assert energy_score(logits) == pytest.approx([-math.log(4.0)])
    # T = 2: −2·log(exp(0) + exp(log(3)/2)) = −2·log(1 + √3)
    assert energy_score(logits, 2.0) == pytest.approx([-2 * math.log(1 + math.sqrt(3))])
    members = numpy.array([[[0.0, math.log(3.0)], [0.0, 0.0]]])  # energies −log 4 and −log 2
    assert energy_score(members) == pytest.approx([-(math.log(4) + math.log(2)) / 2])
    # large logits stay finite
    assert numpy.isfinite(energy_score(numpy.array([[1000.0, 999.0]]))).all()


def test_unknown_score_name_is_rejected():
    with pytest.raises(ValueError, match="msp"):
        check_oos_score("softmax")


def test_gaussians_identity_covariance_gives_euclidean_distance():
    # two classes at (0,0) and (4,0); within-class deviations ±1 on each axis → covariance I
    x = numpy.array([[1, 0], [-1, 0], [0, 1], [0, -1], [5, 0], [3, 0], [4, 1], [4, -1]], dtype=float)
    y = numpy.array([0, 0, 0, 0, 1, 1, 1, 1])
    g = ClassGaussians.fit(x, y, 2, shrinkage=0.0)
    assert g.means == pytest.approx(numpy.array([[0, 0], [4, 0]]))
    assert g.precision == pytest.approx(2 * numpy.eye(2))  # covariance 0.5·I
    # (1, 2): squared distances 5 and 13, times precision 2 → 10 and 26; nearest = 10
    assert g.distances(numpy.array([[1.0, 2.0]])) == pytest.approx(numpy.array([[10.0, 26.0]]))
    assert g.score(numpy.array([[1.0, 2.0], [4.0, 0.0]])) == pytest.approx([10.0, 0.0])


def test_gaussians_shrinkage_and_safetensors_round_trip():
    x = numpy.array([[1, 0], [-1, 0], [0, 2], [0, -2]], dtype=float)
    y = numpy.zeros(4, dtype=int)
    # covariance diag(0.5, 2); trace/width = 1.25; shrinkage 0.5 → diag(0.875, 1.625)
    g = ClassGaussians.fit(x, y, 1, shrinkage=0.5)
    assert g.precision == pytest.approx(numpy.diag([1 / 0.875, 1 / 1.625]), rel=1e-5)
    again = ClassGaussians.from_text(g.to_text())
    assert again.means == pytest.approx(g.means) and again.precision == pytest.approx(g.precision)
    assert b"pickle" not in g.to_bytes()


def test_in_scope_share_threshold_keeps_that_share():
    scores = numpy.arange(1, 21, dtype=float)  # 1..20
    t = threshold_for_in_scope_share(scores, 0.95)
    assert t == pytest.approx(19.05)  # quantile 0.95 of 1..20
    assert (scores <= t).mean() == pytest.approx(0.95)


def test_open_f1_threshold_by_hand():
    # 2 known intents, open class = 2; doc 3 (in scope) scores above doc 4 (out of scope)
    scores = numpy.array([0.1, 0.2, 0.3, 0.6, 0.5, 0.9])
    predicted = numpy.array([0, 1, 0, 1, 1, 0])
    gold = numpy.array([0, 1, 0, 1, -1, -1])
    choice = choose_threshold(scores, predicted, gold, 2, 0.95)
    assert choice["method"] == "dev_macro_f1_open"
    # t = 0.75 rejects doc 5: class 0 F1 1, class 1 P 2/3 R 1 → 0.8, open P 1 R 1/2 → 2/3
    # t = 0.45 rejects docs 3-5: class 0 1, class 1 P 1 R 1/2 → 2/3, open P 2/3 R 1 → 0.8: a tie,
    # and ties go to the higher threshold (reject less); t = 0.55: class 1 → 0.5, open → 0.5: worse
    assert choice["threshold"] == pytest.approx(0.75)
    assert choice["dev_value"] == pytest.approx((1 + 0.8 + 2 / 3) / 3)
    scores[3] = 0.4  # now 0.45 separates perfectly
    assert choose_threshold(scores, predicted, gold, 2, 0.95)["threshold"] == pytest.approx(0.45)
    assert open_macro_f1(numpy.array([0, 2]), numpy.array([0, 2]), 2) == 1.0


def test_no_oos_dev_and_no_share_is_a_clear_error():
    with pytest.raises(ThresholdError, match="oos_in_scope_share"):
        choose_threshold([0.1, 0.2], [0, 1], [0, 1], 2, None)
    choice = choose_threshold([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], [0, 1, 0, 1], 2, 0.5)
    assert choice == {"threshold": pytest.approx(0.25), "method": "in_scope_share", "dev_value": 0.5}
