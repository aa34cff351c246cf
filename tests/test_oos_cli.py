"""convert --oos-label → train (temperature + threshold fitted on dev) → tune-oos → predict --explain."""

import json

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli import app

from conftest import ROOT, TINY_EN

runner = CliRunner()
OOS = ["what is the meaning of life", "how do i bake bread", "who won the football game", "transfer money to savings"]
TINY_TRAINING = [
    "--training.max_steps", "30", "--training.eval_frequency", "15",
    "--components.rnn_intent.model.encoder.hidden_size", "16",
    "--components.rnn_intent.model.encoder.feature_widths", "[16,8,8,4,8]",
    "--components.rnn_intent.oos_score", "mahalanobis",  # Gaussians fitted after training, none during it
]


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oos_cli")
    rows = [(t, label) for t, label in TINY_EN] + [(t, "oos") for t in OOS]
    (tmp / "data.csv").write_text("text,intent\n" + "".join(f"{t},{label}\n" for t, label in rows), encoding="utf8")
    result = invoke("convert", tmp / "data.csv", tmp / "data.spacy", "--format", "csv", "--lang", "en", "--oos-label", "oos")
    assert result.exit_code == 0 and "4 docs stored with all cats 0" in result.output, result.output
    result = invoke("train", ROOT / "pipelines" / "intent_en.cfg", "--output", tmp / "out",
                    "--paths.train", tmp / "data.spacy", "--paths.dev", tmp / "data.spacy", *TINY_TRAINING)
    assert result.exit_code == 0, result.output
    assert "oos_threshold =" in result.output and "best dev macro F1" in result.output
    return tmp


def test_train_fits_temperature_and_threshold(model):
    cfg = json.loads((model / "out" / "model-best" / "rnn_intent" / "cfg").read_text())
    assert cfg["oos_score"] == "mahalanobis" and cfg["oos_threshold"] is not None and cfg["temperature"] > 0
    assert isinstance(cfg["oos_gaussian"], str)
    assert cfg["labels"] == ["GetTime", "GetWeather", "PlayMusic"]  # no "oos" class


def test_tune_oos_and_predict_with_explanations(model):
    result = invoke("tune-oos", model / "out" / "model-last", model / "data.spacy", "--score", "energy")
    assert result.exit_code == 0 and "oos_threshold =" in result.output, result.output
    cfg = json.loads((model / "out" / "model-last" / "rnn_intent" / "cfg").read_text())
    assert cfg["oos_score"] == "energy" and cfg["oos_threshold"] is not None
    html = model / "explain.html"
    result = invoke("predict", model / "out" / "model-last", "play some jazz", "--explain", "--explain-html", html)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.strip().splitlines()[-1])
    assert {"out_of_scope", "oos_score", "explanation"} <= set(record)
    assert [t["text"] for t in record["explanation"]] == ["play", "some", "jazz"]
    assert (record["intent"] is None) == record["out_of_scope"]
    assert "<span" in html.read_text()


def test_tune_oos_bad_input_is_one_line(model, tmp_path):
    result = invoke("tune-oos", model / "out" / "model-best", tmp_path / "missing.spacy")
    assert result.exit_code == 1 and "dev data not found" in result.output
    result = invoke("tune-oos", model / "out" / "model-best", model / "data.spacy", "--score", "maxprob")
    assert result.exit_code == 1 and "oos_score must be one of" in result.output
