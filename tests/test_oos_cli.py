"""convert --oos-label → train (temperature + threshold fitted on dev) → tune-oos → predict --explain."""

import json

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli import app
from nlp_rnn.oos.flat_keys import FLAT_KEYS

from conftest import ROOT, TINY_EN

runner = CliRunner()
OOS = ["what is the meaning of life", "how do i bake bread", "who won the football game", "transfer money to savings"]
TINY_TRAINING = [
    "--training.max_steps", "30", "--training.eval_frequency", "15",
    "--components.rnn_intent.model.encoder.hidden_size", "16",
    "--components.rnn_intent.model.encoder.feature_widths", "[16,8,8,4,8]",
    "--components.rnn_intent.oos.score", "mahalanobis",  # Gaussians fitted after training, none during it
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
    assert "oos.threshold =" in result.output and "best dev macro F1" in result.output
    return tmp


def test_train_fits_temperature_and_threshold(model):
    cfg = json.loads((model / "out" / "model-best" / "rnn_intent" / "cfg").read_text())
    assert cfg["oos"]["score"] == "mahalanobis" and cfg["oos"]["threshold"] is not None and cfg["oos"]["temperature"] > 0
    assert isinstance(cfg["oos_gaussian"], str)
    assert cfg["labels"] == ["GetTime", "GetWeather", "PlayMusic"]  # no "oos" class


def test_tune_oos_and_predict_with_explanations(model):
    result = invoke("tune-oos", model / "out" / "model-last", model / "data.spacy", "--score", "energy")
    assert result.exit_code == 0 and "oos.threshold =" in result.output, result.output
    cfg = json.loads((model / "out" / "model-last" / "rnn_intent" / "cfg").read_text())
    assert cfg["oos"]["score"] == "energy" and cfg["oos"]["threshold"] is not None
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
    assert result.exit_code == 1 and "oos.score must be one of" in result.output


def _copy_model(model, tmp_path):
    import shutil

    shutil.copytree(model / "out" / "model-best", tmp_path / "m")
    return tmp_path / "m"


def _gold_docs(model, vocab):
    from spacy.tokens import DocBin

    return list(DocBin().from_disk(model / "data.spacy").get_docs(vocab))


def test_evaluate_shows_the_decision_the_pipeline_makes(model, tmp_path):
    """Issue 27, item 2: rejected texts are counted, in the headline, the per-intent figures,
    the confusion matrix and the table, with every out-of-scope figure and the ECE."""
    import spacy
    from spacy.tokens import DocBin

    path = _copy_model(model, tmp_path)
    nlp = spacy.load(path)
    gold = _gold_docs(model, nlp.vocab)
    scores = sorted(d._.oos_score for d in nlp.pipe([g.text for g in gold]))
    half = len(scores) // 2
    cfg_path = path / "rnn_intent" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    cfg["oos"]["threshold"] = (scores[half - 1] + scores[half]) / 2  # the upper half is rejected
    cfg_path.write_text(json.dumps(cfg))
    rejected = len(scores) - half

    result = invoke("evaluate", path, model / "data.spacy", "--output", tmp_path / "all.json", "--plots", tmp_path / "plots")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "all.json").read_text())
    assert data["n_rejected"] == rejected and data["rejection_rate"] == pytest.approx(rejected / len(gold))
    assert data["intent_accuracy"] == pytest.approx(data["accuracy"])  # the final decision, out of scope as a class
    labels, counts = data["intent_confusion"]["labels"], data["intent_confusion"]["counts"]
    assert sum(row[labels.index("(out of scope)")] for row in counts) == rejected
    assert sum(s["support"] for s in data["per_intent"].values()) == len(gold) - len(OOS)
    table = " ".join(result.output.split())
    for words in (f"rejected (out of scope) {rejected} of {len(gold)}", "intent accuracy without rejection",
                  "in-scope accuracy", "out-of-scope P / R / F1", "macro F1 (intents + out of scope)",
                  "out-of-scope AUROC / FPR at 95% TPR", "ECE", "(out of scope)"):
        assert words in table, words

    in_scope = [d for d in gold if any(d.cats.values())]
    DocBin(docs=in_scope).to_disk(tmp_path / "in_scope.spacy")
    result = invoke("evaluate", path, tmp_path / "in_scope.spacy", "--output", tmp_path / "in.json")
    data = json.loads((tmp_path / "in.json").read_text())
    decided = list(spacy.load(path).pipe([d.text for d in in_scope]))  # with the threshold set above
    n_rejected = sum(d._.out_of_scope for d in decided)
    assert n_rejected and data["n_rejected"] == n_rejected
    correct = sum(not p._.out_of_scope and max(p.cats, key=p.cats.get) == max(g.cats, key=g.cats.get) for p, g in zip(decided, in_scope))
    assert data["intent_accuracy"] == pytest.approx(correct / len(in_scope))
    assert data["intent_accuracy"] < data["top_intent_accuracy"] or correct == len(in_scope) - n_rejected
    assert f"rejected (out of scope) {n_rejected} of {len(in_scope)}" in " ".join(result.output.split())


def test_tune_oos_options_replace_the_saved_rule_and_config_cfg_agrees(model, tmp_path):
    """Issue 27, item 3: each run's options are what counts, bad values are refused as a fresh
    model refuses them, and config.cfg holds what the component's cfg holds."""
    import spacy
    from spacy.tokens import DocBin

    path = _copy_model(model, tmp_path)
    nlp = spacy.load(path)
    DocBin(docs=[d for d in _gold_docs(model, nlp.vocab) if any(d.cats.values())]).to_disk(tmp_path / "dev.spacy")
    cfg_path = path / "rnn_intent" / "cfg"

    def saved():
        return json.loads(cfg_path.read_text())

    assert invoke("tune-oos", path, tmp_path / "dev.spacy", "--max-in-scope-loss", "0.01").exit_code == 0
    assert saved()["oos_threshold_choice"]["method"] == "in_scope_loss"
    result = invoke("tune-oos", path, tmp_path / "dev.spacy", "--in-scope-share", "0.5")
    assert result.exit_code == 0, result.output
    cfg = saved()
    assert cfg["oos_threshold_choice"]["method"] == "in_scope_share" and cfg["oos"]["in_scope_share"] == 0.5
    assert cfg["oos"]["max_in_scope_loss"] is None
    for bad in (["--in-scope-share", "1.5"], ["--max-in-scope-loss", "1"], ["--in-scope-share", "0.9", "--max-in-scope-loss", "0.01"]):
        result = invoke("tune-oos", path, tmp_path / "dev.spacy", *bad)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert saved() == cfg
    loaded = spacy.load(path)
    section, pipe_cfg = loaded.config["components"]["rnn_intent"], loaded.get_pipe("rnn_intent").cfg
    assert section["oos"] == pytest.approx(pipe_cfg["oos"]) and section["prior_weight"] == pipe_cfg["prior_weight"]
    assert section["oos"]["temperature"] != 1.0 and section["oos"]["threshold"] is not None


def test_train_writes_the_fitted_settings_into_config_cfg(model):
    import spacy

    loaded = spacy.load(model / "out" / "model-best")
    section, cfg = loaded.config["components"]["rnn_intent"], loaded.get_pipe("rnn_intent").cfg
    # approx: spaCy reads the cfg JSON with ujson, whose floats may differ in the last digit
    assert section["oos"]["score"] == "mahalanobis" and section["oos"] == pytest.approx(cfg["oos"])
    assert section["prior_weight"] == cfg["prior_weight"]
    assert not [key for key in FLAT_KEYS if section.get(key) is not None]  # the block layout only
