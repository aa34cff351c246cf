"""Out-of-scope scores, class Gaussians, threshold choice, against hand computations."""

import math

import numpy
import pytest
import srsly

from nlp_rnn.oos.gaussian import ClassGaussians
from nlp_rnn.oos.scores import check_oos_score, energy_score, msp_score, standardization, standardized_sum, uses_gaussians
from nlp_rnn.oos.threshold import (
    ThresholdError,
    choose_threshold,
    open_macro_f1,
    threshold_for_in_scope_loss,
    threshold_for_in_scope_share,
)


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
    with pytest.raises(ThresholdError, match=r"oos\.in_scope_share"):
        choose_threshold([0.1, 0.2], [0, 1], [0, 1], 2, None)
    choice = choose_threshold([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], [0, 1, 0, 1], 2, 0.5)
    assert choice == {"threshold": pytest.approx(0.25), "method": "in_scope_share", "dev_value": 0.5}


def test_standardized_sum_by_hand():
    stats = standardization({"msp": [0.1, 0.3], "mahalanobis": [10.0, 30.0, 20.0], "flat": [2.0, 2.0]})
    assert [float(x) for x in stats["msp"]] == pytest.approx([0.2, 0.1])
    assert [float(x) for x in stats["mahalanobis"]] == pytest.approx([20.0, numpy.sqrt(200 / 3)])
    assert stats["flat"] == ["2.0", "1.0"]  # no spread: centred only
    tiny = standardization({"msp": [4.340005823857654e-09, 1.2e-08]})["msp"]
    assert float(srsly.json_loads(srsly.json_dumps(tiny))[0]) == (4.340005823857654e-09 + 1.2e-08) / 2  # exact through JSON
    # (0.4 − 0.2) / 0.1 + (20 − 20) / σ = 2; (0.2 − 0.2) / 0.1 + (40 − 20) / σ
    got = standardized_sum({"msp": numpy.array([0.4, 0.2]), "mahalanobis": numpy.array([20.0, 40.0])}, stats)
    assert got == pytest.approx([2.0, 20 / numpy.sqrt(200 / 3)])
    with pytest.raises(ValueError, match="no standardization fitted for energy"):
        standardized_sum({"energy": numpy.zeros(1)}, stats)
    with pytest.raises(ValueError, match="no in-scope dev scores"):
        standardization({"msp": []})
    assert uses_gaussians("msp_mahalanobis") and uses_gaussians("mahalanobis") and not uses_gaussians("msp")
    assert check_oos_score("msp_mahalanobis") == "msp_mahalanobis"


def test_in_scope_loss_threshold_rejects_mistakes_first():
    # 10 in-scope dev docs by falling score; docs 0 and 1 are misclassified (accuracy 0.8)
    scores = numpy.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    predicted = numpy.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    gold = numpy.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    # rejecting docs 0 and 1 costs nothing; each further doc costs 0.1
    assert threshold_for_in_scope_loss(scores, predicted, gold, 0.0) == pytest.approx(0.75)
    assert threshold_for_in_scope_loss(scores, predicted, gold, 0.1) == pytest.approx(0.65)
    assert threshold_for_in_scope_loss(scores, predicted, gold, 0.25) == pytest.approx(0.55)  # 2 more docs, not 3
    # ties cannot be split: with docs 1 and 2 tied, a zero budget rejects only doc 0
    tied = scores.copy()
    tied[2] = 0.8
    assert threshold_for_in_scope_loss(tied, predicted, gold, 0.0) == pytest.approx(0.85)
    # everything may go when every prediction is wrong
    assert threshold_for_in_scope_loss(scores[:2], predicted[:2], gold[:2], 0.0) < 0.8
    with pytest.raises(ThresholdError, match=r"oos\.max_in_scope_loss"):
        threshold_for_in_scope_loss(scores, predicted, gold, 1.5)


def test_choose_threshold_prefers_the_loss_budget_over_the_share_without_oos_dev():
    scores, predicted, gold = [0.9, 0.2, 0.1, 0.05], [1, 0, 0, 0], [0, 0, 0, 0]
    choice = choose_threshold(scores, predicted, gold, 2, 0.95, max_in_scope_loss=0.0)
    assert choice == {"threshold": pytest.approx(0.55), "method": "in_scope_loss", "dev_value": 0.75}
    # with out-of-scope dev docs the open F1 rule wins over both
    assert choose_threshold(scores + [0.95], predicted + [0], gold + [-1], 2, 0.95, 0.0)["method"] == "dev_macro_f1_open"
    assert choose_threshold(scores, predicted, gold, 2, None, 0.0)["method"] == "in_scope_loss"
