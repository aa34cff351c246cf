"""Evaluation: steady words/s, spaCy's own evaluate table, clear errors; intent labels added by hand."""

from spacy.language import Language
from spacy.tokens import DocBin
from typer.testing import CliRunner

from nlp_rnn.cli import app
from nlp_rnn.evaluation.evaluate import evaluate
from nlp_rnn.language import blank_pipeline

from conftest import SMALL_MODEL, TINY_EN, make_examples, train_tiny_intent
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

SLOW_START = {"calls": 0}


@Language.component("nlp_rnn_test_slow_first_call")
def slow_first_call(doc):
    """Sleeps once, as jieba loading its dictionary on the first text does."""
    import time

    if SLOW_START["calls"] == 0:
        time.sleep(1.0)
    SLOW_START["calls"] += 1
    return doc


def write_gold(nlp, path):
    docbin = DocBin(store_user_data=True)
    for eg in make_examples(nlp, TINY_EN * 4):
        docbin.add(eg.reference)
    docbin.to_disk(path)
    return path


def test_words_per_second_does_not_count_start_up(tmp_path):
    nlp = train_tiny_intent("en", steps=3)
    nlp.add_pipe("nlp_rnn_test_slow_first_call", first=True)
    SLOW_START["calls"] = 0
    results = evaluate(nlp, write_gold(nlp, tmp_path / "gold.spacy"))
    assert results["warmup_seconds"] >= 1.0
    assert results["seconds"] < 0.9  # the timed pass is the pipeline alone
    assert results["words_per_second"] == results["n_words"] / results["seconds"]
    assert results["n_docs"] == 4 * len(TINY_EN)


def test_spacy_evaluate_shows_the_intent_scores(tmp_path, capsys):
    from spacy.cli.evaluate import evaluate as spacy_evaluate

    nlp = train_tiny_intent("en", steps=20)
    nlp.to_disk(tmp_path / "model")
    data = spacy_evaluate(str(tmp_path / "model"), write_gold(nlp, tmp_path / "gold.spacy"), silent=False)
    out = capsys.readouterr().out
    assert "TEXTCAT (intent accuracy)" in out and "Textcat F" in out
    assert 0.0 <= data["cats_score"] <= 1.0 and set(data["cats_f_per_type"]) == {"GetTime", "GetWeather", "PlayMusic"}


def test_evaluate_of_a_jsonl_file_points_at_nlp_rnn_convert(tmp_path):
    nlp = train_tiny_intent("en", steps=1)
    nlp.to_disk(tmp_path / "model")
    data = tmp_path / "test.jsonl"
    data.write_text('{"text": "hi", "intent": "greet"}\n')
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "model"), str(data)])
    assert result.exit_code == 1
    assert "nlp-rnn convert" in result.output and "spacy convert" not in result.output.replace("nlp-rnn convert", "")
    assert len(result.output.strip().splitlines()) == 1


def test_intent_labels_added_by_hand_then_initialize_without_examples():
    nlp = blank_pipeline("en")
    intent = nlp.add_pipe("rnn_intent", config={"model": nest_encoder_settings(dict(SMALL_MODEL))})
    for label in ("GetTime", "GetWeather", "PlayMusic"):
        assert intent.add_label(label) == 1
    nlp.initialize()  # like spaCy's textcat: the labels added above are kept
    assert intent.labels == ("GetTime", "GetWeather", "PlayMusic")
    doc = nlp("what time is it")
    assert set(doc.cats) == {"GetTime", "GetWeather", "PlayMusic"}
    assert abs(sum(doc.cats.values()) - 1.0) < 1e-5
    # and it trains from there
    optimizer = nlp.create_optimizer()
    losses = {}
    nlp.update(make_examples(nlp, TINY_EN), sgd=optimizer, losses=losses)
    assert losses["rnn_intent"] > 0


def test_gpu_id_without_a_gpu_is_one_line(tmp_path):
    from thinc.util import gpu_is_available

    if gpu_is_available():  # pragma: no cover - a machine with a GPU: nothing to check here
        return
    for command in (["predict", str(tmp_path / "m"), "hi"], ["evaluate", str(tmp_path / "m"), str(tmp_path / "d.spacy")]):
        result = CliRunner().invoke(app, [*command, "--gpu-id", "0"])
        assert result.exit_code == 1 and "cannot use GPU 0" in result.output and "Traceback" not in result.output


def test_joint_scores_use_the_keys_spacy_evaluate_prints():
    import spacy

    from test_joint_component import JOINT_EN, SMALL, joint_examples, train

    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_joint", config={"model": nest_encoder_settings(dict(SMALL))})
    examples = joint_examples(nlp, JOINT_EN)
    scores = train(nlp, examples, 3).evaluate(examples)
    assert scores["ents_f"] == scores["span_f"] and scores["ents_p"] == scores["span_p"]
    assert scores["cats_score"] == scores["intent_acc"]
    assert set(scores["ents_per_type"]) <= {"time", "date", "location", "artist"}
