"""Out-of-scope metrics against hand computations."""

import pytest

from nlp_rnn.evaluation.oos_metrics import fpr_at_tpr, oos_auroc, oos_metrics


def S(*labels):
    return frozenset(labels)


def test_oos_metrics_by_hand():
    gold = [S("a"), S("a"), S("b"), S(), S()]
    pred = [S("a"), S(), S("b"), S(), S("a")]  # one in-scope rejected, one OOS accepted as a
    m = oos_metrics(gold, pred)
    assert m["in_scope_accuracy"] == pytest.approx(2 / 3)
    assert m["accuracy"] == pytest.approx(3 / 5)
    # open class: TP 1 (doc 4), FP 1 (doc 2), FN 1 (doc 5)
    assert (m["oos_precision"], m["oos_recall"], m["oos_f1"]) == pytest.approx((0.5, 0.5, 0.5))
    # a: TP1 FP1 FN1 → 0.5; b: 1.0; open 0.5
    assert m["macro_f1_open"] == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert m["n_oos"] == 2


def test_auroc_and_fpr_by_hand():
    scores = [0.1, 0.4, 0.35, 0.8, 0.4]
    is_oos = [False, False, True, True, True]
    # pairs (oos, in): 0.35>0.1 ✓, 0.35<0.4 ✗, 0.8 ✓✓, 0.4>0.1 ✓, 0.4=0.4 ½ → 4.5 / 6
    assert oos_auroc(scores, is_oos) == pytest.approx(4.5 / 6)
    # 95% of 3 OOS → all 3 → threshold 0.35 → in-scope ≥ 0.35: 0.4 → 1/2
    assert fpr_at_tpr(scores, is_oos, 0.95) == pytest.approx(0.5)
    assert oos_auroc([0.1], [True]) is None
    m = oos_metrics([S("a"), S()], [S("a"), S()], [0.1, 0.9])
    assert m["oos_auroc"] == 1.0 and m["oos_fpr_at_95_tpr"] == 0.0


def test_multi_label_sets():
    m = oos_metrics([S("a", "b"), S()], [S("a", "b"), S("a")])
    assert m["in_scope_accuracy"] == 1.0 and m["oos_recall"] == 0.0
