"""Pipelines saved with the v1 (flat) architectures keep loading and predicting: the decision for
``nlp_rnn.IntentClassifier.v1``, ``JointIntentSlot.v1`` and ``Seq2SeqTranslator.v1`` is that they
stay registered and build exactly the model the v2 block with the same settings builds."""

import json
import subprocess
import sys

import pytest
import spacy
import torch

from nlp_rnn.architectures.encoder_config import nest_encoder_settings
from nlp_rnn.architectures.torch_model import torch_module
from test_joint_component import JOINT_EN, NER_ZH, SMALL, SMALL_ZH, joint_examples, ner_examples, train
from test_translator import TINY, ZH_EN
from test_translator import train as train_translator

V1 = {
    "rnn_intent": "nlp_rnn.IntentClassifier.v1",
    "rnn_joint": "nlp_rnn.JointIntentSlot.v1",
    "rnn_tagger": "nlp_rnn.JointIntentSlot.v1",  # what ner_zh.cfg used before nlp_rnn.Tagger.v1
    "rnn_translator": "nlp_rnn.Seq2SeqTranslator.v1",
}


def _pipeline(factory, version):
    lang = "zh" if factory in ("rnn_tagger", "rnn_translator") else "en"
    settings = {"rnn_tagger": SMALL_ZH, "rnn_translator": TINY}.get(factory, SMALL)
    if factory == "rnn_tagger" and version == 1:
        settings = dict(settings, pooling="max", slot_to_intent=False, n_intents=None, n_tags=None)
    model = dict(settings, **{"@architectures": V1[factory]}) if version == 1 else nest_encoder_settings(settings)
    nlp = spacy.blank(lang)
    nlp.add_pipe(factory, config={"model": model})
    if factory == "rnn_translator":
        return train_translator(nlp, ZH_EN, 5)
    if factory == "rnn_tagger":
        return train(nlp, ner_examples(nlp, NER_ZH), 5)
    return train(nlp, joint_examples(nlp, JOINT_EN), 5)


def _outputs(nlp, texts):
    return [[d.cats, [[e.start_char, e.end_char, e.label_] for e in d.ents], d._.translation if d.has_extension("translation") else None] for d in nlp.pipe(texts)]


TEXTS = ["wake me up at 7 am", "张三在北京工作", "我很好。", ""]


@pytest.mark.parametrize("factory", sorted(V1))
def test_v1_block_builds_the_same_model_as_v2(factory):
    v1, v2 = _pipeline(factory, 1), _pipeline(factory, 2)
    state1 = torch_module(v1.get_pipe(factory).model).state_dict()
    state2 = torch_module(v2.get_pipe(factory).model).state_dict()
    assert state1.keys() == state2.keys()
    for key in state1:
        torch.testing.assert_close(state1[key], state2[key], atol=0, rtol=0, msg=key)


@pytest.mark.parametrize("factory", sorted(V1))
def test_pipeline_saved_with_v1_loads_in_a_fresh_process(factory, tmp_path):
    nlp = _pipeline(factory, 1)
    nlp.to_disk(tmp_path / "model")
    if factory in ("rnn_joint", "rnn_tagger"):  # older versions saved the tag count as a dim
        path = tmp_path / "model" / factory / "model.json"
        saved = json.loads(path.read_text())
        saved["dims"]["n_tags"] = len(nlp.get_pipe(factory).tag_set)
        path.write_text(json.dumps(saved))
    assert V1[factory] in (tmp_path / "model" / "config.cfg").read_text()
    script = (
        "import json, sys, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "print(json.dumps([[d.cats, [[e.start_char, e.end_char, e.label_] for e in d.ents], d._.translation if d.has_extension('translation') else None] for d in nlp.pipe(json.loads(sys.argv[2]))]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model"), json.dumps(TEXTS)], check=True, capture_output=True, text=True)
    for (cats, ents, translation), (cats2, ents2, translation2) in zip(json.loads(result.stdout), _outputs(nlp, TEXTS)):
        assert cats == pytest.approx(cats2, abs=1e-5)
        assert ents == ents2 and translation == translation2


def test_tagger_architecture_has_no_intent_settings():
    nlp = spacy.blank("en")
    with pytest.raises(Exception, match="pooling"):
        nlp.add_pipe("rnn_tagger", config={"model": {"@architectures": "nlp_rnn.Tagger.v1", "pooling": "max", "encoder": {"@architectures": "nlp_rnn.TextEncoder.v1"}}})


def test_tagger_rejects_a_striding_encoder():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="one encoder state per token"):
        nlp.add_pipe("rnn_tagger", config={"model": nest_encoder_settings({"conv_filters": 8, "conv_stride": 2})})
