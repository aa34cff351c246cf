"""train / evaluate / predict through typer's CliRunner on the bundled data."""

import json

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli import app

from conftest import ROOT

runner = CliRunner()
TINY_TRAINING = [
    "--training.max_steps", "40",
    "--training.eval_frequency", "20",
    "--components.rnn_intent.model.encoder.hidden_size", "16",
    "--components.rnn_intent.model.encoder.feature_widths", "[16,8,8,4,8]",
]


def invoke(*args, input=None):
    result = runner.invoke(app, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    """Convert the bundled English data and train a tiny model with spaCy's loop."""
    tmp = tmp_path_factory.mktemp("cli")
    for split in ("train", "dev", "test"):
        result = invoke("convert", ROOT / "data" / "en" / f"{split}.jsonl", tmp / f"{split}.spacy", "--format", "jsonl", "--lang", "en")
        assert result.exit_code == 0, result.output
    result = invoke(
        "train", ROOT / "pipelines" / "intent_en.cfg", "--output", tmp / "out",
        "--paths.train", tmp / "train.spacy", "--paths.dev", tmp / "dev.spacy", *TINY_TRAINING,
    )
    assert result.exit_code == 0, result.output
    assert (tmp / "out" / "model-best").is_dir() and (tmp / "out" / "model-last").is_dir()
    assert "prior_weight =" in result.output
    return tmp


def test_train_chooses_the_prior_weight_on_dev_and_saves_it(trained_model):
    import spacy

    for name in ("model-best", "model-last"):
        cfg = json.loads((trained_model / "out" / name / "rnn_intent" / "cfg").read_text())
        accuracy = {float(w): a for w, a in cfg["prior_weight_dev_accuracy"].items()}
        assert cfg["prior_weight"] in accuracy
        assert accuracy[cfg["prior_weight"]] == max(accuracy.values())
        assert len(cfg["intent_prior"]) == len(cfg["labels"]) and abs(sum(cfg["intent_prior"]) - 1) < 1e-6
        assert spacy.load(trained_model / "out" / name).get_pipe("rnn_intent").cfg["prior_weight"] == cfg["prior_weight"]


def test_tune_prior_command_on_a_saved_pipeline(trained_model, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(trained_model / "out" / "model-best", model)
    cfg_path = model / "rnn_intent" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    cfg["prior_weight"], cfg["prior_weight_dev_accuracy"] = 0.77, {}
    cfg_path.write_text(json.dumps(cfg))
    result = invoke("tune-prior", model, trained_model / "dev.spacy")
    assert result.exit_code == 0, result.output
    assert "prior_weight =" in result.output
    tuned = json.loads(cfg_path.read_text())
    assert tuned["prior_weight"] in {float(w) for w in tuned["prior_weight_dev_accuracy"]}
    result = invoke("tune-prior", model, tmp_path / "missing.spacy")
    assert result.exit_code == 1 and "dev data not found" in result.output


def test_evaluate_writes_json_table_and_plot(trained_model):
    metrics = trained_model / "metrics.json"
    result = invoke("evaluate", trained_model / "out" / "model-best", trained_model / "test.spacy", "--output", metrics, "--plots", trained_model / "plots")
    assert result.exit_code == 0, result.output
    assert "intent accuracy" in result.output
    data = json.loads(metrics.read_text())
    for key in ("intent_accuracy", "intent_macro_f1", "per_intent", "words_per_second"):
        assert key in data
    assert 0.0 <= data["intent_accuracy"] <= 1.0
    assert set(data["per_intent"]["GetTime"]) == {"precision", "recall", "f1", "support"}
    assert (trained_model / "plots" / "intent_confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_predict_arguments_and_stdin(trained_model):
    model = trained_model / "out" / "model-best"
    result = invoke("predict", model, "what time is it?", "", "--top-k", "2")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["text"] for r in records] == ["what time is it?", ""]
    for record in records:
        assert record["intent"] == record["ranking"][0]["intent"]
        assert len(record["ranking"]) == 2 and 0 <= record["confidence"] <= 1
    result = invoke("predict", model, input="play some jazz\n明天天气\n")
    assert [json.loads(l)["text"] for l in result.output.strip().splitlines()] == ["play some jazz", "明天天气"]


def test_missing_model_is_one_clear_error(tmp_path):
    result = invoke("predict", tmp_path / "no-model", "hi")
    assert result.exit_code == 1
    assert "model folder not found" in result.output
    result = invoke("evaluate", tmp_path / "no-model", tmp_path / "x.spacy")
    assert result.exit_code == 1 and "not found" in result.output


def test_evaluate_missing_data_is_one_clear_error(trained_model, tmp_path):
    result = invoke("evaluate", trained_model / "out" / "model-best", tmp_path / "missing.spacy")
    assert result.exit_code == 1 and "evaluation data not found" in result.output
