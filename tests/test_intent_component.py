"""The rnn_intent component: spaCy's overfitting test, serialization, batching, bad input."""

import json
import subprocess
import sys

import numpy
import pytest
import spacy

from nlp_rnn.loading import PipelineLoadError, load_pipeline

from conftest import TINY_EN, TINY_ZH, make_examples, train_tiny_intent
from nlp_rnn.architectures.encoder_config import nest_encoder_settings


def best(doc):
    return max(doc.cats, key=doc.cats.get)


def test_overfitting_io_fresh_process(trained_en, tmp_path):
    for text, label in TINY_EN:
        assert best(trained_en(text)) == label, text
    trained_en.to_disk(tmp_path / "model")
    texts = [text for text, _ in TINY_EN] + ["", "an utterance never seen 😀"]
    expected = [trained_en(text).cats for text in texts]
    # spacy.load in a fresh process: entry points, no nlp_rnn import, weights from safetensors
    script = (
        "import json, sys, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "print(json.dumps([d.cats for d in nlp.pipe(json.loads(sys.argv[2]))]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "model"), json.dumps(texts)],
        check=True, capture_output=True, text=True,
    )
    reloaded = json.loads(out.stdout)
    for exp, got in zip(expected, reloaded):
        assert exp.keys() == got.keys()
        numpy.testing.assert_allclose([exp[k] for k in exp], [got[k] for k in exp], rtol=1e-5, atol=1e-6)


def test_model_files_are_json_and_safetensors(trained_en, tmp_path):
    trained_en.to_disk(tmp_path / "model")
    files = {p.name for p in (tmp_path / "model" / "rnn_intent").iterdir()}
    assert files == {"cfg", "model.json", "model.safetensors"}
    cfg = json.loads((tmp_path / "model" / "rnn_intent" / "cfg").read_text())
    assert cfg["labels"] == ["GetTime", "GetWeather", "PlayMusic"]


def test_to_bytes_round_trip(trained_en):
    nlp2 = spacy.blank("en")
    nlp2.add_pipe("rnn_intent", config={"model": nest_encoder_settings({"feature_widths": [16, 8, 8, 4], "hidden_size": 16})})
    nlp2.from_bytes(trained_en.to_bytes())
    assert nlp2("play adele").cats == pytest.approx(trained_en("play adele").cats)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, 64])
def test_pipe_equals_call_for_any_batch_size(trained_en, batch_size):
    texts = [text for text, _ in TINY_EN] + ["", "a much longer sentence about the weather in a city far away", "x"]
    alone = [trained_en(text).cats for text in texts]
    batched = [doc.cats for doc in trained_en.pipe(texts, batch_size=batch_size)]
    for a, b in zip(alone, batched):
        assert best(type("D", (), {"cats": a})) == best(type("D", (), {"cats": b}))
        numpy.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-5, atol=1e-6)


def test_exclusive_scores_sum_to_one_and_odd_input(trained_en):
    for text in ["", " ", "\x00\x07\u200b", "😀😀", "几点了 what time", "word " * 20000]:
        doc = trained_en(text)
        assert set(doc.cats) == {"GetTime", "GetWeather", "PlayMusic"}
        assert sum(doc.cats.values()) == pytest.approx(1.0, abs=1e-5)


def test_chinese_pipeline_learns():
    nlp = train_tiny_intent("zh")
    for text, label in TINY_ZH:
        assert best(nlp(text)) == label


def test_multilabel_mode_uses_sigmoid_and_threshold():
    pairs = [("play jazz and tell me the time", "PlayMusic"), ("what time is it", "GetTime"), ("play jazz", "PlayMusic")]
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_intent", config={"exclusive_classes": False, "model": nest_encoder_settings({"hidden_size": 16})})
    examples = make_examples(nlp, pairs)
    examples[0].reference.cats = {"GetTime": 1.0, "PlayMusic": 1.0}
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    cats = nlp("play jazz and tell me the time").cats
    assert cats["GetTime"] > 0.5 and cats["PlayMusic"] > 0.5
    assert nlp.evaluate(examples)["intent_acc"] == 1.0


def test_same_seed_same_model():
    first = train_tiny_intent("en", steps=5, seed=3)
    second = train_tiny_intent("en", steps=5, seed=3)
    assert first("play adele").cats == second("play adele").cats


def test_unseen_gold_label_counts_as_error(trained_en):
    examples = make_examples(trained_en, [("what time is it", "GetTime"), ("book a table", "BookRestaurant")])
    for eg in examples:
        eg.predicted.cats = trained_en(eg.predicted.text).cats
    scores = trained_en.get_pipe("rnn_intent").score(examples)
    assert scores["intent_acc"] == pytest.approx(0.5)


def test_static_vectors_frozen_or_fine_tuned():
    import torch

    from nlp_rnn.architectures.torch_model import torch_module

    results = {}
    for freeze in (True, False):
        nlp = spacy.blank("en")
        for word in ["play", "time", "weather", "jazz", "rain"]:
            nlp.vocab.set_vector(word, numpy.full((5,), float(len(word)), dtype="float32"))
        nlp.add_pipe(
            "rnn_intent",
            config={"model": nest_encoder_settings({"hidden_size": 8, "include_static_vectors": True, "freeze_static_vectors": freeze, "features": ["LOWER"], "feature_widths": [8]})},
        )
        examples = make_examples(nlp, TINY_EN)
        optimizer = nlp.initialize(lambda: examples)
        static = torch_module(nlp.get_pipe("rnn_intent").model).text_encoder.embedding.static
        row = nlp.get_pipe("rnn_intent").model.attrs["featurizer"].vocabs[0].strings.index("play") + 2
        before = static.weight[row].detach().clone()
        assert torch.all(before == 4.0)
        for _ in range(3):
            nlp.update(examples, sgd=optimizer)
        results[freeze] = torch.equal(static.weight[row], before)
    assert results == {True: True, False: False}


def test_static_vectors_without_vectors_is_a_clear_error():
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_intent", config={"model": nest_encoder_settings({"include_static_vectors": True})})
    with pytest.raises(ValueError, match="no vectors"):
        nlp.initialize(lambda: make_examples(nlp, TINY_EN))


def test_missing_and_corrupt_model_folders(trained_en, tmp_path):
    with pytest.raises(PipelineLoadError, match="not found"):
        load_pipeline(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineLoadError, match="config.cfg"):
        load_pipeline(tmp_path / "empty")
    trained_en.to_disk(tmp_path / "model")
    (tmp_path / "model" / "rnn_intent" / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(PipelineLoadError, match="cannot load"):
        load_pipeline(tmp_path / "model")


def test_uninitialized_component_says_so():
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_intent")
    with pytest.raises(ValueError, match="not initialized"):
        nlp("hello")
