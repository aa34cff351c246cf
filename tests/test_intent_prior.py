"""Prior correction of intent probabilities: the adjustment, its choice on dev data, the components."""

import numpy
import pytest
import spacy
from spacy.training import Example

from nlp_rnn.pipeline.intent_prior import adjust_for_prior, choose_prior_weight, training_prior, tune_prior_weights
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

PRIOR = [0.8, 0.15, 0.05]


def test_weight_zero_or_no_prior_leaves_probabilities_unchanged():
    probs = numpy.array([[0.7, 0.2, 0.1]], dtype="float32")
    assert adjust_for_prior(probs, PRIOR, 0.0) is probs
    assert adjust_for_prior(probs, [], 0.5) is probs
    assert adjust_for_prior(numpy.zeros((0, 3), dtype="float32"), PRIOR, 0.5).shape == (0, 3)


def test_adjustment_divides_by_the_prior_power_and_renormalises():
    probs = numpy.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0]], dtype="float32")
    adjusted = adjust_for_prior(probs, PRIOR, 1.0)
    expected = probs[0] / numpy.array(PRIOR)
    numpy.testing.assert_allclose(adjusted[0], expected / expected.sum(), rtol=1e-5)
    assert adjusted.dtype == probs.dtype and numpy.allclose(adjusted.sum(1), 1)
    assert adjusted[0].argmax() == 2  # the rare intent wins once its prior is divided out
    assert adjusted[1].argmax() == 0  # a certain prediction stays certain


def test_choice_fixes_rare_intents_without_breaking_frequent_ones_and_prefers_small_weights():
    probs = numpy.array([[0.6, 0.3, 0.1], [0.55, 0.1, 0.35], [0.9, 0.05, 0.05]], dtype="float32")
    weight, accuracy = choose_prior_weight(probs, [1, 2, 0], PRIOR, weights=(0.0, 0.5, 1.0, 3.0))
    # too strong a correction takes the frequent intent's example away too
    assert accuracy == {0.0: pytest.approx(1 / 3), 0.5: 1.0, 1.0: 1.0, 3.0: pytest.approx(1 / 3)}
    assert weight == 0.5  # a tie goes to the smaller weight
    weight, _ = choose_prior_weight(probs[2:], [0], PRIOR, weights=(0.0, 0.5))
    assert weight == 0.0
    weight, accuracy = choose_prior_weight(probs[:1], [-1], PRIOR, weights=(0.0, 0.5))
    assert accuracy == {0.0: 0.0, 0.5: 0.0}  # an intent unknown to the model is always an error


def test_training_prior_is_smoothed_relative_frequency():
    nlp = spacy.blank("en")
    examples = []
    for label in ["a", "a", "a", "b"]:
        doc = nlp.make_doc("x")
        reference = doc.copy()
        reference.cats = {"a": float(label == "a"), "b": float(label == "b"), "c": 0.0}
        examples.append(Example(doc, reference))
    assert training_prior(examples, ["a", "b", "c"]) == pytest.approx([4 / 7, 2 / 7, 1 / 7])


ROWS = [("what time is it", "GetTime")] * 6 + [("what is the weather", "GetWeather")] * 2 + [("play a song", "PlayMusic")]


def rows_to_examples(nlp, rows):
    intents = sorted({intent for _, intent in rows})
    examples = []
    for text, intent in rows:
        doc = nlp.make_doc(text)
        reference = doc.copy()
        reference.cats = {label: float(label == intent) for label in intents}
        examples.append(Example(doc, reference))
    return examples


@pytest.mark.parametrize("factory", ["rnn_intent", "rnn_joint"])
def test_components_keep_the_prior_apply_the_weight_and_save_it(factory, tmp_path):
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe(factory, config={"model": nest_encoder_settings({"hidden_size": 16, "feature_widths": [16, 4, 4, 4]})})
    examples = rows_to_examples(nlp, ROWS)
    nlp.initialize(lambda: examples)
    assert pipe.cfg["intent_prior"] == pytest.approx([7 / 12, 3 / 12, 2 / 12])
    texts = [text for text, _ in ROWS[::3]]
    raw = pipe.intent_probabilities([nlp.make_doc(t) for t in texts])
    chosen = tune_prior_weights(nlp, examples)
    assert set(chosen) == {factory} and pipe.cfg["prior_weight"] == chosen[factory]["prior_weight"]
    pipe.cfg["prior_weight"] = 0.5
    adjusted = numpy.array([[d.cats[label] for label in sorted(d.cats)] for d in nlp.pipe(texts)])
    numpy.testing.assert_allclose(adjusted, adjust_for_prior(raw, pipe.cfg["intent_prior"], 0.5), rtol=1e-4, atol=1e-6)
    assert not numpy.allclose(adjusted, raw)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.get_pipe(factory).cfg["prior_weight"] == 0.5
    again = numpy.array([[d.cats[label] for label in sorted(d.cats)] for d in loaded.pipe(texts)])
    numpy.testing.assert_allclose(again, adjusted, rtol=1e-5)
