"""rnn_joint and rnn_tagger: overfitting, serialization in a fresh process, batching, odd input."""

import json
import subprocess
import sys

import pytest
import spacy
import torch
from spacy.training import Example

from nlp_rnn.language import blank_pipeline
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

JOINT_EN = [
    ("wake me up at 7 am tomorrow", "SetAlarm", [(14, 18, "time"), (19, 27, "date")]),
    ("set an alarm for 6 pm", "SetAlarm", [(17, 21, "time")]),
    ("what is the weather in paris", "GetWeather", [(23, 28, "location")]),
    ("will it rain in london tomorrow", "GetWeather", [(16, 22, "location"), (23, 31, "date")]),
    ("play some jazz", "PlayMusic", []),
    ("play adele", "PlayMusic", [(5, 10, "artist")]),
]
NER_ZH = [
    ("张三是北京大学的教授", [(0, 2, "NAME"), (3, 7, "ORG"), (8, 10, "TITLE")]),
    ("李四在上海工作", [(0, 2, "NAME"), (3, 5, "LOC")]),
    ("王五担任经理", [(0, 2, "NAME"), (4, 6, "TITLE")]),
]
SMALL = {"hidden_size": 32, "feature_widths": [32, 8, 8, 8], "dropout": 0.0, "embedding_dropout": 0.0}
SMALL_ZH = {"hidden_size": 32, "features": ["ORTH", "SOFTWORD", "JIEBA_WORD"], "feature_widths": [32, 4, 16], "dropout": 0.0, "embedding_dropout": 0.0}


def joint_examples(nlp, rows):
    intents = sorted({r[1] for r in rows})
    examples = []
    for text, intent, slots in rows:
        doc = nlp.make_doc(text)
        reference = doc.copy()
        reference.ents = [reference.char_span(s, e, label=l) for s, e, l in slots]
        reference.cats = {i: float(i == intent) for i in intents}
        examples.append(Example(doc, reference))
    return examples


def ner_examples(nlp, rows):
    """Examples with gold ``doc.ents`` from (text, [(start, end, label)]) rows."""
    examples = []
    for text, spans in rows:
        doc = nlp.make_doc(text)
        reference = doc.copy()
        reference.ents = [reference.char_span(s, e, label=l) for s, e, l in spans]
        examples.append(Example(doc, reference))
    return examples


def train(nlp, examples, steps):
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


CHARS_AND_BAG = {"features": ["NORM", "PREFIX", "SUFFIX", "SHAPE", "CHARS"], "feature_widths": [32, 8, 8, 8, 16], "ngram_size": 2, "token_intent": True}


@pytest.fixture(
    scope="module",
    params=[{"use_crf": True}, {"use_crf": False}, dict(CHARS_AND_BAG, use_crf=True)],
    ids=["crf", "softmax", "crf-chars-bag-vote"],
)
def joint_nlp(request):
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_joint", config={"model": nest_encoder_settings(dict(SMALL, **request.param))})
    return train(nlp, joint_examples(nlp, JOINT_EN), 60)


def spans_of(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_joint_overfits_and_reloads_in_fresh_process(joint_nlp, tmp_path):
    for text, intent, slots in JOINT_EN:
        doc = joint_nlp(text)
        assert max(doc.cats, key=doc.cats.get) == intent
        assert spans_of(doc) == [tuple(s) for s in slots], text
        assert all(0 < e._.confidence <= 1 for e in doc.ents)
    texts = [t for t, _, _ in JOINT_EN] + ["", "weather 😀 in 北京"]
    assert_same_in_fresh_process(joint_nlp, tmp_path / "model", texts)


def assert_same_in_fresh_process(nlp, path, texts):
    """nlp.to_disk(path), spacy.load in a new interpreter: the same cats, spans and confidences."""
    nlp.to_disk(path)
    script = (
        "import json, sys, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "out = [[d.cats, [[e.start_char, e.end_char, e.label_, e._.confidence] for e in d.ents]] for d in nlp.pipe(json.loads(sys.argv[2]))]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path), json.dumps(texts)], check=True, capture_output=True, text=True)
    for text, (cats, ents) in zip(texts, json.loads(result.stdout)):
        doc = nlp(text)
        assert cats == pytest.approx(doc.cats, abs=1e-5)
        assert [tuple(e[:3]) for e in ents] == spans_of(doc)
        assert [e[3] for e in ents] == pytest.approx([e._.confidence for e in doc.ents], abs=1e-5)


def test_span_confidence_off_keeps_predictions_and_skips_marginals(joint_nlp, tmp_path, monkeypatch):
    """``span_confidence = false`` at load time: the same cats and spans, confidences None (records
    say null), and the CRF's forward-backward pass never runs."""
    from nlp_rnn.nn.crf import CRF
    from nlp_rnn.records import doc_record

    joint_nlp.to_disk(tmp_path / "model")
    texts = [t for t, _, _ in JOINT_EN] + ["", "weather 😀 in 北京"]
    with_confidence = list(joint_nlp.pipe(texts))
    fast = spacy.load(tmp_path / "model", config={"components": {"rnn_joint": {"span_confidence": False}}})
    monkeypatch.setattr(CRF, "marginals", lambda *a, **k: pytest.fail("marginals computed"))
    for slow_doc, doc in zip(with_confidence, fast.pipe(texts, batch_size=3)):
        assert spans_of(doc) == spans_of(slow_doc) and doc.cats == pytest.approx(slow_doc.cats, abs=1e-6)
        assert all(e._.confidence is None for e in doc.ents)
        assert all(slot["confidence"] is None for slot in doc_record(doc)["slots"])
    assert any(doc.ents for doc in with_confidence)


@pytest.mark.parametrize("batch_size", [1, 2, 5, 64])
def test_joint_batch_size_independence(joint_nlp, batch_size):
    texts = [t for t, _, _ in JOINT_EN] + ["", "set an alarm for 7 am in paris with adele playing"]
    alone = [(spans_of(joint_nlp(t)), joint_nlp(t).cats) for t in texts]
    for (spans, cats), doc in zip(alone, joint_nlp.pipe(texts, batch_size=batch_size)):
        assert spans_of(doc) == spans
        assert doc.cats == pytest.approx(cats, abs=1e-5)


def test_joint_predicts_large_mixed_batches_in_order(joint_nlp):
    """More docs than one length-sorted sub-batch (PREDICT_SUB_BATCH), lengths shuffled: every
    doc gets what it gets alone."""
    from nlp_rnn.pipeline.joint import PREDICT_SUB_BATCH

    base = [t for t, _, _ in JOINT_EN] + ["", "set an alarm for 7 am in paris with adele playing", "paris " * 40]
    texts = [base[(i * 7) % len(base)] for i in range(2 * PREDICT_SUB_BATCH + 5)]
    alone = {t: (spans_of(joint_nlp(t)), joint_nlp(t).cats) for t in base}
    docs = list(joint_nlp.pipe(texts, batch_size=len(texts)))
    assert [d.text for d in docs] == texts
    for doc in docs:
        assert spans_of(doc) == alone[doc.text][0]
        assert doc.cats == pytest.approx(alone[doc.text][1], abs=1e-5)


def test_length_buckets_restore_the_input_order():
    import numpy

    from nlp_rnn.length_buckets import length_buckets, restore_order

    lengths = [5, 0, 3, 9, 3, 1, 7]
    buckets = length_buckets(lengths, 3)
    assert buckets == [[1, 5, 2], [4, 0, 6], [3]]
    assert restore_order(buckets, [[lengths[i] for i in b] for b in buckets]) == lengths
    rows = restore_order(buckets, [numpy.array([[lengths[i], i] for i in b]) for b in buckets])
    assert rows.tolist() == [[n, i] for i, n in enumerate(lengths)]


def test_joint_scores(joint_nlp):
    examples = joint_examples(joint_nlp, JOINT_EN)
    scores = joint_nlp.evaluate(examples)
    assert scores["intent_acc"] == 1.0 and scores["span_f"] == 1.0 and scores["exact_match"] == 1.0


@pytest.fixture(scope="module")
def zh_tagger():
    nlp = spacy.blank("zh")  # spaCy's character segmentation: every span is expressible
    nlp.add_pipe("rnn_tagger", config={"model": nest_encoder_settings(SMALL_ZH)})
    return train(nlp, ner_examples(nlp, NER_ZH), 60)


def test_chinese_character_tagger_overfits_and_reloads_in_fresh_process(zh_tagger, tmp_path):
    for text, spans in NER_ZH:
        assert spans_of(zh_tagger(text)) == [tuple(s) for s in spans]
    assert_same_in_fresh_process(zh_tagger, tmp_path / "ner", [t for t, _ in NER_ZH] + ["", "Hello 张三 😀"])


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_tagger_batch_size_independence(zh_tagger, batch_size):
    texts = [t for t, _ in NER_ZH] + ["", "李四和王五在北京大学工作" * 3]
    alone = [(spans_of(zh_tagger(t)), [e._.confidence for e in zh_tagger(t).ents]) for t in texts]
    for (spans, confidences), doc in zip(alone, zh_tagger.pipe(texts, batch_size=batch_size)):
        assert spans_of(doc) == spans
        assert [e._.confidence for e in doc.ents] == pytest.approx(confidences, abs=1e-5)


def test_tagger_writes_span_group_when_asked():
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_tagger", config={"model": nest_encoder_settings(SMALL), "spans_key": "slots"})
    examples = []
    for text, _, slots in JOINT_EN:
        doc = nlp.make_doc(text)
        reference = doc.copy()
        reference.spans["slots"] = [reference.char_span(s, e, label=l) for s, e, l in slots]
        examples.append(Example(doc, reference))
    train(nlp, examples, 60)
    doc = nlp("wake me up at 7 am tomorrow")
    assert [(s.text, s.label_) for s in doc.spans["slots"]] == [("7 am", "time"), ("tomorrow", "date")]
    assert list(doc.ents) == []


def test_optimizer_averages_reach_the_torch_weights():
    """With ``use_averages`` the optimizer's moving averages are what ``nlp.use_params`` (spaCy's
    evaluation and checkpointing) runs with, and the trained weights come back afterwards."""
    from thinc.api import Adam

    from nlp_rnn.architectures.torch_model import torch_module

    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_joint", config={"model": nest_encoder_settings(SMALL)})
    examples = joint_examples(nlp, JOINT_EN)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01, use_averages=True)
    for _ in range(5):
        nlp.update(examples, sgd=optimizer)
    module = torch_module(nlp.get_pipe("rnn_joint").model)
    trained = {k: v.clone() for k, v in module.state_dict().items()}
    texts = [t for t, _, _ in JOINT_EN]
    before = [d.cats for d in nlp.pipe(texts)]
    assert optimizer.averages
    with nlp.use_params(optimizer.averages):
        averaged = module.state_dict()
        name = "intent_output.weight"
        key = next(k for k in optimizer.averages if isinstance(k, tuple) and k[1] == name)
        assert torch.equal(averaged[name], torch.as_tensor(optimizer.averages[key]))
        assert not torch.equal(averaged[name], trained[name])
        assert [d.cats for d in nlp.pipe(texts)] != before
    assert all(torch.equal(v, trained[k]) for k, v in module.state_dict().items())
    assert [d.cats for d in nlp.pipe(texts)] == before
