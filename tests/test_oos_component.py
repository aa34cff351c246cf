"""Out-of-scope rejection and temperature scaling inside rnn_intent / rnn_joint."""

import numpy
import pytest
import spacy
from spacy.training import Example

from nlp_rnn.language import blank_pipeline
from nlp_rnn.oos.gaussian import ClassGaussians
from nlp_rnn.oos.probabilities import final_probabilities
from nlp_rnn.pipeline.out_of_scope import collect_outputs, dev_scores, tune_out_of_scope

from conftest import TINY_EN, make_examples, train_tiny_intent
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

INTENTS = ["GetTime", "GetWeather", "PlayMusic"]
OOS_TEXTS = ["what is the meaning of life", "how do i bake bread", "transfer money to my savings", "who won the football game"]


def oos_examples(nlp, texts):
    return [Example.from_dict(nlp.make_doc(t), {"cats": {label: 0.0 for label in INTENTS}}) for t in texts]


def dev_examples(nlp):
    return make_examples(nlp, TINY_EN) + oos_examples(nlp, OOS_TEXTS)


@pytest.fixture(scope="module")
def tuned():
    nlp = train_tiny_intent("en", component_config={"oos": {"score": "mahalanobis"}})
    chosen = tune_out_of_scope(nlp, dev_examples(nlp), make_examples(nlp, TINY_EN))
    return nlp, chosen


def test_tuning_sets_temperature_gaussians_and_threshold(tuned):
    nlp, chosen = tuned
    cfg = nlp.get_pipe("rnn_intent").cfg
    assert chosen["rnn_intent"]["method"] == "dev_macro_f1_open"
    assert cfg["oos"]["temperature"] > 0 and cfg["oos"]["temperature"] != 1.0
    assert cfg["oos"]["threshold"] == chosen["rnn_intent"]["threshold"]
    assert isinstance(cfg["oos_gaussian"], str)
    for text in [t for t, _ in TINY_EN] + OOS_TEXTS:
        doc = nlp(text)
        assert sum(doc.cats.values()) == pytest.approx(1.0, abs=1e-5)  # full distribution kept
        assert doc._.out_of_scope == (doc._.oos_score > cfg["oos"]["threshold"])


def test_mahalanobis_score_is_the_distance_of_the_pooled_features(tuned):
    nlp, _ = tuned
    pipe = nlp.get_pipe("rnn_intent")
    docs = [nlp.make_doc(t) for t in OOS_TEXTS]
    _, features = collect_outputs(pipe, docs, True)
    expected = ClassGaussians.from_text(pipe.cfg["oos_gaussian"]).score(features)
    got = [d._.oos_score for d in nlp.pipe(OOS_TEXTS, batch_size=3)]
    numpy.testing.assert_allclose(got, expected, rtol=1e-4)


def test_oos_settings_survive_disk_round_trip(tuned, tmp_path):
    nlp, _ = tuned
    nlp.to_disk(tmp_path / "m")
    files = {p.name for p in (tmp_path / "m" / "rnn_intent").iterdir()}
    assert files == {"cfg", "model.json", "model.safetensors"}  # Gaussians as safetensors text in cfg
    loaded = spacy.load(tmp_path / "m")
    texts = [t for t, _ in TINY_EN] + OOS_TEXTS
    for a, b in zip(nlp.pipe(texts), loaded.pipe(texts)):
        assert a._.oos_score == pytest.approx(b._.oos_score, rel=1e-4)
        assert a._.out_of_scope == b._.out_of_scope
        assert a.cats == pytest.approx(b.cats, abs=1e-6)


@pytest.mark.parametrize("score", ["msp", "energy"])
def test_logit_scores_and_in_scope_share_without_oos_dev(score):
    nlp = train_tiny_intent("en", component_config={"oos": {"score": score, "in_scope_share": 0.45}}, steps=20)
    dev = make_examples(nlp, TINY_EN)
    dev[0].reference.cats = {"GetTime": 0.0, "GetWeather": 1.0, "PlayMusic": 0.0}  # one error: T stays finite
    chosen = tune_out_of_scope(nlp, dev)
    assert chosen["rnn_intent"]["method"] == "in_scope_share"
    scores = dev_scores(nlp.get_pipe("rnn_intent"), dev)["scores"]
    assert chosen["rnn_intent"]["threshold"] == pytest.approx(numpy.quantile(scores, 0.45))
    flags = [d._.out_of_scope for d in nlp.pipe([t for t, _ in TINY_EN])]
    assert sum(flags) == (scores > chosen["rnn_intent"]["threshold"]).sum() == 5  # 0.45 quantile of 9 lies between the 4th and 5th: 5 above


def test_msp_mahalanobis_is_the_standardized_sum_and_the_loss_budget_sets_the_threshold(tmp_path):
    nlp = train_tiny_intent("en", component_config={"oos": {"score": "msp_mahalanobis", "max_in_scope_loss": 0.0}}, steps=20)
    dev = make_examples(nlp, TINY_EN)
    chosen = tune_out_of_scope(nlp, dev, make_examples(nlp, TINY_EN))["rnn_intent"]
    pipe = nlp.get_pipe("rnn_intent")
    assert chosen["method"] == "in_scope_loss"
    texts = [t for t, _ in TINY_EN] + OOS_TEXTS
    docs = [nlp.make_doc(t) for t in texts]
    logits, features = collect_outputs(pipe, docs, True)
    probs = final_probabilities(pipe.cfg, logits)  # float64, as doc.cats (float32) are before rounding
    assert probs == pytest.approx(numpy.array([list(d.cats.values()) for d in nlp.pipe(texts)]), abs=1e-5)
    distance = ClassGaussians.from_text(pipe.cfg["oos_gaussian"]).score(features)
    stats = pipe.cfg["oos_standardization"]
    (msp_mean, msp_sd), (maha_mean, maha_sd) = ([float(x) for x in stats[part]] for part in ("msp", "mahalanobis"))
    expected = (1 - probs.max(1) - msp_mean) / msp_sd + (distance - maha_mean) / maha_sd
    got = [d._.oos_score for d in nlp.pipe(texts, batch_size=2)]
    numpy.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # a zero budget: every correctly classified dev doc is kept
    dev_docs = list(nlp.pipe([t for t, _ in TINY_EN]))
    for doc, (_, label) in zip(dev_docs, TINY_EN):
        if max(doc.cats, key=doc.cats.get) == label:
            assert not doc._.out_of_scope
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    # the msp statistics of this confident tiny model are ~1e-8: they must survive the cfg's JSON
    assert [d._.oos_score for d in loaded.pipe(texts)] == pytest.approx(got, rel=1e-4, abs=1e-4)


def test_bad_in_scope_loss_budget_is_refused_at_construction():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"oos\.max_in_scope_loss must be in"):
        nlp.add_pipe("rnn_intent", config={"oos": {"max_in_scope_loss": 1.0}})


def test_no_oos_dev_and_no_share_is_a_clear_error():
    nlp = train_tiny_intent("en", component_config={"oos": {"score": "msp", "in_scope_share": None}}, steps=5)
    with pytest.raises(ValueError, match=r"rnn_intent: .*no out-of-scope examples.*oos\.in_scope_share"):
        tune_out_of_scope(nlp, make_examples(nlp, TINY_EN))


def test_unknown_score_is_rejected_at_construction():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"oos\.score must be one of"):
        nlp.add_pipe("rnn_intent", config={"oos": {"score": "maxprob"}})


def test_explicit_oos_examples_are_trained_towards_low_confidence():
    pairs = TINY_EN
    nlp = blank_pipeline("en")
    nlp.add_pipe("rnn_intent", config={"model": nest_encoder_settings({"feature_widths": [16, 8, 8, 4], "hidden_size": 16, "dropout": 0.0, "embedding_dropout": 0.0})})
    examples = make_examples(nlp, pairs) + oos_examples(nlp, OOS_TEXTS)
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    assert nlp.get_pipe("rnn_intent").labels == tuple(INTENTS)  # no extra class
    for text, label in pairs:
        assert max(nlp(text).cats.values()) > 0.8
    for text in OOS_TEXTS:  # uniform target: 1/3 each (ignored docs would get a confident intent)
        assert max(nlp(text).cats.values()) < 0.5


def test_mixup_outlier_loss_pairs_docs_of_different_intents_only():
    import torch

    from nlp_rnn.nn.losses import mixup_outlier_loss
    from nlp_rnn.nn.outputs import IntentGold

    layer = torch.nn.Linear(4, 3)
    features = torch.randn(6, 4, requires_grad=True)
    targets = torch.eye(3)[[0, 1, 2, 0, 1, 2]]
    gold = IntentGold(targets, torch.ones(6), True, 1.0)
    torch.manual_seed(0)
    loss = mixup_outlier_loss(features, layer, gold)
    loss.backward()
    assert loss > numpy.log(3) - 1e-6  # cross-entropy to uniform is at least log C
    assert features.grad.abs().sum() > 0
    torch.manual_seed(0)
    assert mixup_outlier_loss(features, layer, gold).item() == pytest.approx(loss.item())  # seeded: reproducible
    same = IntentGold(torch.eye(3)[[1] * 6], torch.ones(6), True, 1.0)
    assert mixup_outlier_loss(features, layer, same).item() == 0.0  # one intent: no pair to mix
    uniform_rows = IntentGold(torch.full((6, 3), 1 / 3), torch.ones(6), True, 1.0)  # explicit out-of-scope docs
    assert mixup_outlier_loss(features, layer, uniform_rows).item() == 0.0


def test_mixup_outliers_keep_the_intents_and_lower_confidence_between_them(tmp_path):
    """A model trained with ``mixup_outliers`` still learns the intents; the setting is saved."""
    plain = train_tiny_intent("en", steps=60)
    mixed = train_tiny_intent("en", steps=60, component_config={"oos": {"mixup_outliers": 1.0}})
    for text, label in TINY_EN:
        assert max(mixed(text).cats, key=mixed(text).cats.get) == label
    between = [f"{a} {b}" for (a, _), (b, _) in zip(TINY_EN, TINY_EN[1:])]
    confidence = lambda nlp: numpy.mean([max(nlp(t).cats.values()) for t in OOS_TEXTS + between])  # noqa: E731
    assert confidence(mixed) < confidence(plain)
    mixed.to_disk(tmp_path / "model")
    assert spacy.load(tmp_path / "model").get_pipe("rnn_intent").cfg["oos"]["mixup_outliers"] == 1.0
    with pytest.raises(ValueError, match=r"oos\.mixup_outliers must be >= 0"):
        spacy.blank("en").add_pipe("rnn_intent", config={"oos": {"mixup_outliers": -1.0}})


def test_multi_label_rejection_is_no_label_above_threshold():
    nlp = train_tiny_intent("en", component_config={"exclusive_classes": False, "threshold": 0.5, "oos": {"score": "msp"}}, steps=30)
    for doc in nlp.pipe(["what time is it", "zzz qqq"]):
        assert doc._.out_of_scope == (max(doc.cats.values()) < 0.5)
        assert doc._.oos_score == pytest.approx(1 - max(doc.cats.values()))


def test_joint_component_rejects_and_trains_with_oos_examples():
    rows = [("wake me up at 7 am", "SetAlarm", [(14, 18, "time")]), ("set an alarm for 6 pm", "SetAlarm", [(17, 21, "time")]),
            ("what is the weather in paris", "GetWeather", [(23, 28, "location")]), ("play some jazz", "PlayMusic", [])]
    nlp = blank_pipeline("en")
    nlp.add_pipe("rnn_joint", config={"oos": {"score": "energy"}, "model": nest_encoder_settings({"hidden_size": 16, "feature_widths": [16, 8, 8, 8], "dropout": 0.0, "embedding_dropout": 0.0})})
    intents = sorted({r[1] for r in rows})
    examples = []
    for text, intent, slots in rows + [(t, None, []) for t in OOS_TEXTS[:2]]:
        doc = nlp.make_doc(text)
        ref = doc.copy()
        ref.ents = [ref.char_span(s, e, label=l) for s, e, l in slots]
        ref.cats = {i: float(i == intent) for i in intents}
        examples.append(Example(doc, ref))
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(40):
        nlp.update(examples, sgd=optimizer)
    for text in OOS_TEXTS[:2]:
        assert max(nlp(text).cats.values()) < 0.5
    chosen = tune_out_of_scope(nlp, examples)
    threshold = chosen["rnn_joint"]["threshold"]
    for doc in nlp.pipe([r[0] for r in rows] + OOS_TEXTS[:2]):
        assert doc._.out_of_scope == (doc._.oos_score > threshold)
    assert [nlp(t)._.out_of_scope for t in OOS_TEXTS[:2]] == [True, True]


def test_record_schema_for_rejected_and_accepted_docs(tuned):
    from nlp_rnn.records import RecordFields, doc_record

    nlp, _ = tuned
    pipe = nlp.get_pipe("rnn_intent")
    fields = RecordFields.from_nlp(nlp)
    assert fields.out_of_scope
    saved = pipe.cfg["oos"]["threshold"]
    try:
        pipe.cfg["oos"]["threshold"] = -1.0  # everything rejected
        record = doc_record(nlp("what time is it"), 2, fields)
        assert record["intent"] is None and record["out_of_scope"] is True
        assert record["oos_score"] > -1.0 and len(record["ranking"]) == 2 and record["confidence"] > 0
        pipe.cfg["oos"]["threshold"] = 1e30  # nothing rejected
        record = doc_record(nlp("what time is it"), 0, fields)
        assert record["intent"] == "GetTime" and record["out_of_scope"] is False
    finally:
        pipe.cfg["oos"]["threshold"] = saved
    plain = train_tiny_intent("en", steps=2)
    assert "out_of_scope" not in doc_record(plain("what time is it"), 0, RecordFields.from_nlp(plain))


def test_evaluate_reports_oos_metrics_and_ece(tuned, tmp_path):
    from spacy.tokens import DocBin

    from nlp_rnn.evaluation.evaluate import evaluate

    nlp, _ = tuned
    docbin = DocBin()
    for eg in dev_examples(nlp):
        docbin.add(eg.reference)
    docbin.to_disk(tmp_path / "dev.spacy")
    results = evaluate(nlp, tmp_path / "dev.spacy", plots_dir=tmp_path / "plots")
    for key in ("in_scope_accuracy", "accuracy", "oos_precision", "oos_recall", "oos_f1", "macro_f1_open", "oos_auroc", "oos_fpr_at_95_tpr", "ece", "ece_before_temperature"):
        assert 0.0 <= results[key] <= 1.0, key
    assert results["n_oos"] == len(OOS_TEXTS)
    assert (tmp_path / "plots" / "reliability.png").exists()
