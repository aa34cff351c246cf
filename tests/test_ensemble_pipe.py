"""``nlp-rnn ensemble``: K trained joint pipelines (or taggers) as one spaCy pipeline whose component
averages theirs (rnn_joint_ensemble / rnn_tagger_ensemble)."""

import pytest
import spacy
import torch
from spacy.tokens import DocBin
from typer.testing import CliRunner

from nlp_rnn.architectures.encoder_config import nest_encoder_settings
from nlp_rnn.cli import app
from nlp_rnn.evaluation.evaluate import evaluate
from nlp_rnn.pipeline.ensemble import predict_ensemble
from nlp_rnn.pipeline.ensemble_pipe import build_ensemble

from test_distillation import tiny_joint
from test_joint_component import JOINT_EN, NER_ZH, SMALL_ZH, joint_examples, ner_examples

TEXTS = [text for text, _, _ in JOINT_EN] + ["", "weather 😀 in 北京\x07", "play " + "adele and jazz " * 60]


def trained(nlp, examples, seed: int, steps: int = 25):
    spacy.util.fix_random_seed(seed)
    optimizer = nlp.initialize(lambda: examples)
    torch.manual_seed(seed)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


@pytest.fixture(scope="module")
def member_paths(tmp_path_factory):
    """Two joint pipelines of the same data (seeds 0 and 1), saved."""
    paths = []
    for seed in (0, 1):
        nlp = tiny_joint()
        trained(nlp, joint_examples(nlp, JOINT_EN), seed)
        path = tmp_path_factory.mktemp("members") / f"s{seed}"
        nlp.to_disk(path)
        paths.append(path)
    return paths


def spans(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_the_ensemble_pipeline_predicts_the_mean_and_reloads_the_same(member_paths, tmp_path):
    nlp = build_ensemble(member_paths)
    assert nlp.pipe_names == ["rnn_joint"] and nlp.get_pipe_meta("rnn_joint").factory == "rnn_joint_ensemble"
    reference = predict_ensemble([spacy.load(path) for path in member_paths], "rnn_joint", TEXTS)
    alone = [nlp(text) for text in TEXTS]
    for doc, expected in zip(alone, reference):
        assert doc.cats == pytest.approx(expected.cats, abs=1e-6) and spans(doc) == spans(expected)
        assert all(0.0 < e._.confidence <= 1.0 + 1e-6 for e in doc.ents)  # the mean marginal of each chosen tag
    batched = list(nlp.pipe(TEXTS, batch_size=3))
    assert [spans(d) for d in batched] == [spans(d) for d in alone]
    assert all(d.cats == pytest.approx(a.cats, abs=1e-6) for d, a in zip(batched, alone))
    nlp.to_disk(tmp_path / "ensemble")
    assert sorted(p.name for p in (tmp_path / "ensemble" / "rnn_joint").iterdir()) == ["cfg", "member_0", "member_1"]
    loaded = spacy.load(tmp_path / "ensemble")
    for doc, text in zip(alone, TEXTS):
        again = loaded(text)
        assert again.cats == pytest.approx(doc.cats, abs=1e-6) and spans(again) == spans(doc)
    assert loaded.get_pipe("rnn_joint").intents == nlp.get_pipe("rnn_joint").intents
    scores = loaded.evaluate(joint_examples(loaded, JOINT_EN))
    assert {"intent_acc", "span_f", "exact_match"} <= set(scores)
    DocBin(docs=[eg.reference for eg in joint_examples(loaded, JOINT_EN)]).to_disk(tmp_path / "gold.spacy")
    figures = evaluate(loaded, tmp_path / "gold.spacy")  # what nlp-rnn evaluate prints
    assert figures["n_docs"] == len(JOINT_EN) and figures["span_f1"] == pytest.approx(scores["span_f"])
    assert figures["intent_accuracy"] == pytest.approx(scores["intent_acc"])


def test_an_ensemble_of_members_that_reject_out_of_scope_says_it_does_not(member_paths, tmp_path):
    paths = []
    for i, path in enumerate(member_paths):
        nlp = spacy.load(path)
        nlp.get_pipe("rnn_joint").cfg["oos"]["score"] = "msp"
        nlp.to_disk(tmp_path / f"m{i}")
        paths.append(str(tmp_path / f"m{i}"))
    result = CliRunner().invoke(app, ["ensemble", *paths, "--output", str(tmp_path / "ensemble")])
    assert result.exit_code == 0 and "the ensemble does not" in result.output
    doc = spacy.load(tmp_path / "ensemble")(TEXTS[0])
    assert doc._.oos_score is None and doc._.out_of_scope is False  # nothing scored, nothing rejected


def test_the_ensemble_component_round_trips_through_bytes(member_paths):
    nlp = build_ensemble(member_paths)
    other = spacy.blank("en")
    other.add_pipe("rnn_joint_ensemble", name="rnn_joint")
    with pytest.raises(ValueError, match="no members"):
        other(TEXTS[0])
    other.get_pipe("rnn_joint").from_bytes(nlp.get_pipe("rnn_joint").to_bytes())
    for text in TEXTS[:3]:
        assert other(text).cats == pytest.approx(nlp(text).cats, abs=1e-6)


def test_a_tagger_ensemble_writes_entities():
    members = []
    for seed in (0, 1):
        nlp = spacy.blank("zh")
        nlp.add_pipe("rnn_tagger", config={"model": nest_encoder_settings(dict(SMALL_ZH, hidden_size=16))})
        members.append(trained(nlp, ner_examples(nlp, NER_ZH), seed, steps=40))
    ensemble = spacy.blank("zh")
    ensemble.add_pipe("rnn_tagger_ensemble", name="rnn_tagger").set_members(members, "rnn_tagger")
    doc = ensemble("张三是北京大学的教授")
    assert doc.cats == {} and {e.label_ for e in doc.ents} <= {"NAME", "ORG", "TITLE", "LOC"}
    assert ensemble("").ents == ()


def test_nlp_rnn_ensemble_writes_a_pipeline_and_names_each_problem(member_paths, tmp_path):
    runner = CliRunner()
    out = tmp_path / "ensemble"
    result = runner.invoke(app, ["ensemble", *map(str, member_paths), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert spacy.load(out)(TEXTS[0]).cats and "out-of-scope" not in result.output
    result = runner.invoke(app, ["predict", str(out), TEXTS[0]])
    assert result.exit_code == 0 and '"intent": ' in result.output
    result = runner.invoke(app, ["export", str(out), str(tmp_path / "onnx")])  # an ensemble is not exported
    assert result.exit_code != 0 and "no exportable component" in result.output
    result = runner.invoke(app, ["ensemble", str(member_paths[0]), "--output", str(tmp_path / "one")])
    assert result.exit_code != 0 and "two or more" in result.output
    other = tiny_joint()
    trained(other, joint_examples(other, JOINT_EN[:4]), 0, steps=2)  # fewer intents and slot labels
    other.to_disk(tmp_path / "other")
    result = runner.invoke(app, ["ensemble", str(member_paths[0]), str(tmp_path / "other"), "--output", str(tmp_path / "x")])
    assert result.exit_code != 0 and "not those of the model it joins" in result.output
    result = runner.invoke(app, ["ensemble", *map(str, member_paths), "--component", "ner", "--output", str(tmp_path / "y")])
    assert result.exit_code != 0 and "not an rnn_joint, rnn_tagger or rnn_intent component" in result.output


def test_an_intent_ensemble_averages_the_members_scores(tmp_path):
    from conftest import train_tiny_intent

    paths = []
    for seed in (0, 1):
        train_tiny_intent("en", seed=seed, steps=15).to_disk(tmp_path / f"s{seed}")
        paths.append(tmp_path / f"s{seed}")
    nlp = build_ensemble(paths)
    assert nlp.get_pipe_meta("rnn_intent").factory == "rnn_intent_ensemble"
    members = [spacy.load(path) for path in paths]
    for text in ["what time is it", "", "🙂 " * 300]:
        alone = [member(text).cats for member in members]
        assert nlp(text).cats == pytest.approx({k: (alone[0][k] + alone[1][k]) / 2 for k in alone[0]}, abs=1e-6)
    nlp.to_disk(tmp_path / "ensemble")
    assert spacy.load(tmp_path / "ensemble")("what time is it").cats == pytest.approx(nlp("what time is it").cats, abs=1e-6)
    docs = predict_ensemble(members, "rnn_intent", ["what time is it", ""])
    assert docs[0].cats == pytest.approx(nlp("what time is it").cats, abs=1e-6)
