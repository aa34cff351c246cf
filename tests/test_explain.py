"""Occlusion explanations: the decisive word ranks first on a model overfit to tiny data."""

import pytest

from nlp_rnn.explain.html import explanation_html, write_explanations_html
from nlp_rnn.explain.occlusion import explain, occluded_batch

from conftest import train_tiny_intent

FRAMES = ["set an {} for 7", "{} at 6 please", "i need an {} for 10", "an {} for tomorrow"]
INTENTS = {"alarm": "SetAlarm", "timer": "SetTimer", "reminder": "SetReminder"}
# the same frames for every intent: the intent word is the only decisive one
ALARM_DATA = [(frame.format(word), intent) for word, intent in INTENTS.items() for frame in FRAMES]


@pytest.fixture(scope="module")
def alarm_nlp():
    return train_tiny_intent("en", pairs=ALARM_DATA, steps=60)


def test_decisive_word_ranks_first(alarm_nlp):
    result = explain(alarm_nlp, "set an alarm for 7")
    assert result["intent"] == "SetAlarm"
    assert [t["text"] for t in result["tokens"]] == ["set", "an", "alarm", "for", "7"]
    ranked = sorted(result["tokens"], key=lambda t: -t["weight"])
    assert ranked[0]["text"] == "alarm"
    assert ranked[0]["weight"] > 0
    assert result["tokens"][2]["start"] == 7 and result["tokens"][2]["end"] == 12


def test_weight_is_the_probability_drop(alarm_nlp):
    result = explain(alarm_nlp, "set an alarm for 7")
    assert result["confidence"] == pytest.approx(alarm_nlp("set an alarm for 7").cats["SetAlarm"], abs=1e-5)
    assert all(-1.0 <= t["weight"] <= 1.0 for t in result["tokens"])


def test_occluded_batch_replaces_one_token_with_unknown():
    import numpy

    ids = numpy.array([[[5, 6, 0], [7, 8, 9]]])  # 2 tokens, 3 columns (0 = padding char)
    batch = occluded_batch(ids, 2)
    assert batch.tolist() == [[[5, 6, 0], [7, 8, 9]], [[1, 1, 0], [7, 8, 9]], [[5, 6, 0], [1, 1, 1]]]


def test_empty_text_and_html(alarm_nlp, tmp_path):
    assert explain(alarm_nlp, "")["tokens"] == []
    result = explain(alarm_nlp, "set an <alarm> for 7")
    html = explanation_html(result)
    assert "&lt;" in html and "rgba(" in html and "SetAlarm" in html or "Set" in html
    page = write_explanations_html([result], tmp_path / "e.html")
    assert page.read_text().startswith("<!DOCTYPE html>")
