"""Occlusion explanations: the decisive word ranks first on a model overfit to tiny data."""

import json

import pytest
import spacy

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


def test_rejected_text_is_marked_out_of_scope_in_the_html(alarm_nlp):
    pipe = alarm_nlp.get_pipe("rnn_intent")
    saved = dict(pipe.cfg)
    try:
        pipe.cfg.update(oos=dict(pipe.cfg["oos"], score="msp", threshold=0.0))  # every text rejected
        rejected = explain(alarm_nlp, "set an alarm for 7")
    finally:
        pipe.cfg.clear()
        pipe.cfg.update(saved)
    assert rejected["out_of_scope"] is True and rejected["intent"] == "SetAlarm"
    assert "out of scope" in explanation_html(rejected)
    kept = explain(alarm_nlp, "set an alarm for 7")
    assert kept["out_of_scope"] is False and "out of scope" not in explanation_html(kept)


def test_explain_html_alone_implies_explain(alarm_nlp, tmp_path):
    from typer.testing import CliRunner

    from nlp_rnn.cli.app import app

    alarm_nlp.to_disk(tmp_path / "model")
    page = tmp_path / "why.html"
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "model"), "set an alarm for 7", "--explain-html", str(page)])
    assert result.exit_code == 0, result.output
    assert "SetAlarm" in page.read_text() and "alarm" in page.read_text()
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert records[0]["explanation"][2]["text"] == "alarm"


def test_explain_without_intent_component_is_one_line(tmp_path):
    """A pipeline with no intent component (e.g. a language model): one line, no traceback."""
    from typer.testing import CliRunner

    from nlp_rnn.cli.app import app

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "model")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "model"), "hello there", "--explain"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and "--explain" in result.output
