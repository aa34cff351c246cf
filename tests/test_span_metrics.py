"""Span metrics (conlleval semantics), exact match and tokenizer reachability, hand-checked."""

import pytest
from spacy.tokens import Doc, Span

from nlp_rnn.evaluation.span_metrics import (
    count_unreachable,
    doc_spans,
    exact_match,
    span_scores,
    unreachable_spans,
)
from nlp_rnn.language import blank_pipeline


def test_seqeval_readme_example():
    # seqeval's README: y_true [O O O B-MISC I-MISC I-MISC O], [B-PER I-PER O];
    # y_pred [O O B-MISC I-MISC I-MISC I-MISC O], [B-PER I-PER O] -> P = R = F1 = 0.50
    gold = [[(3, 6, "MISC")], [(0, 2, "PER")]]
    pred = [[(2, 6, "MISC")], [(0, 2, "PER")]]
    scores = span_scores(gold, pred)
    assert (scores["span_precision"], scores["span_recall"], scores["span_f1"]) == (0.5, 0.5, 0.5)
    assert scores["per_label"] == {
        "MISC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
    }


def test_micro_average_and_per_label_by_hand():
    gold = [
        [(0, 2, "PER"), (5, 7, "LOC"), (9, 10, "ORG")],
        [(0, 1, "LOC"), (3, 5, "PER"), (6, 8, "PER")],
    ]
    pred = [
        [(9, 10, "ORG"), (0, 2, "PER"), (5, 7, "ORG")],  # order does not matter
        [(0, 1, "LOC"), (6, 7, "MISC")],
    ]
    scores = span_scores(gold, pred)
    # 3 correct of 5 predicted and 6 gold: P = 3/5, R = 3/6, F1 = 2PR/(P+R) = 6/11
    assert scores["span_precision"] == pytest.approx(0.6)
    assert scores["span_recall"] == pytest.approx(0.5)
    assert scores["span_f1"] == pytest.approx(6 / 11)
    per_label = scores["per_label"]
    assert list(per_label) == ["LOC", "MISC", "ORG", "PER"]
    assert per_label["PER"] == pytest.approx(
        {"precision": 1.0, "recall": 1 / 3, "f1": 0.5, "support": 3}
    )
    assert per_label["LOC"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    )
    assert per_label["ORG"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    )
    assert per_label["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_boundary_or_label_errors_cost_both_precision_and_recall():
    gold = [[(0, 3, "time")]]
    for wrong in [(0, 2, "time"), (1, 3, "time"), (0, 3, "date")]:
        scores = span_scores(gold, [[wrong]])
        assert (scores["span_precision"], scores["span_recall"], scores["span_f1"]) == (0, 0, 0)


def test_unseen_gold_label_is_a_miss_and_empty_inputs():
    scores = span_scores([[(0, 1, "NEW"), (2, 3, "a")], []], [[(2, 3, "a")], [(0, 1, "a")]])
    assert scores["per_label"]["NEW"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert (scores["span_precision"], scores["span_recall"]) == (0.5, 0.5)
    empty = span_scores([[], []], [[], []])
    assert (empty["span_precision"], empty["span_recall"], empty["span_f1"]) == (0, 0, 0)
    assert empty["per_label"] == {}
    assert span_scores([], [])["span_f1"] == 0.0
    with pytest.raises(ValueError, match="2 gold sentences but 1 predictions"):
        span_scores([[], []], [[]])


def test_exact_match_needs_intent_and_all_spans():
    gold_intents = ["alarm", "music", frozenset({"a", "b"}), None]
    pred_intents = [{"alarm"}, "music", ["b", "a"], None]
    gold_spans = [[(0, 2, "time"), (4, 6, "date")], [(0, 1, "x")], [], []]
    pred_spans = [[(4, 6, "date"), (0, 2, "time")], [], [], [(0, 1, "x")]]
    # sentence 1: right; 2: missing span; 3: right (same label set); 4: extra span
    assert exact_match(gold_intents, pred_intents, gold_spans, pred_spans) == 0.5
    assert exact_match(["a"], ["b"], [[]], [[]]) == 0.0
    assert exact_match([], [], [], []) == 0.0
    with pytest.raises(ValueError, match="differ in length"):
        exact_match(["a"], ["a"], [[]], [])


def test_unreachable_spans_from_token_offsets():
    # "wake me at 7am": tokens wake|me|at|7am
    tokens = [(0, 4), (5, 7), (8, 10), (11, 14)]
    spans = [(11, 14, "time"), (11, 12, "hour"), (8, 14, "time"), (5, 6, "x")]
    assert unreachable_spans([spans], [tokens]) == (2, 4)
    assert unreachable_spans([], []) == (0, 0)
    with pytest.raises(ValueError, match="1 span lists but 0 tokenizations"):
        unreachable_spans([spans], [])


def test_count_unreachable_over_spacy_docs():
    nlp = blank_pipeline("zh")
    text = "我要听安和桥。"
    doc = nlp.make_doc(text)
    assert "听安和桥" in [token.text for token in doc]  # jieba merges the verb and the song
    gold = [[(3, 6, "song")], [(0, 2, "x"), (3, 5, "y")]]
    words = Doc(nlp.vocab, words=["ab", "c", "de"], spaces=[False, True, False])  # "abc de"
    assert count_unreachable(gold, [doc, words]) == (2, 3)


def test_doc_spans_from_ents_and_span_groups():
    nlp = blank_pipeline("en")
    doc = nlp.make_doc("wake me at 7 am")
    doc.ents = [Span(doc, 3, 5, label="time")]
    doc.spans["slots"] = [Span(doc, 0, 1, label="verb")]
    assert doc_spans(doc) == [(11, 15, "time")]
    assert doc_spans(doc, "slots") == [(0, 4, "verb")]
    assert doc_spans(doc, "missing") == []
