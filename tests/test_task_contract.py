"""One task contract under every head: each torch factory builds the one torch pipe (``RNNPipe``)
with its head's task, each exported factory the one exported pipe (``ExportedPipe``) with the
numpy half of the same task; head-specific attributes are the task's; ``initialize`` settings a
task does not take are one error naming them."""

import pytest
import spacy

from conftest import TINY_EN, make_examples
from nlp_rnn.export.exported_pipe import ExportedPipe
from nlp_rnn.pipeline.rnn_pipe import RNNPipe

HEADS = {"rnn_intent": "en", "rnn_joint": "en", "rnn_tagger": "en", "rnn_translator": "zh", "rnn_lm": "en"}


@pytest.mark.parametrize("factory", sorted(HEADS))
def test_every_head_runs_on_the_one_torch_pipe_and_the_one_exported_pipe(factory):
    nlp = spacy.blank(HEADS[factory])
    pipe = nlp.add_pipe(factory)
    assert type(pipe) is RNNPipe and pipe.task.factory == factory
    exported = nlp.add_pipe(pipe.task.exported_factory, name="exported")
    assert type(exported) is ExportedPipe
    assert pipe.task.exported_factory == exported.task.exported_factory == factory + "_onnx"
    # the torch task is the exported task's class with the torch half added
    assert isinstance(pipe.task, type(exported.task))
    assert "torch" not in type(exported.task).__module__ and type(exported.task).__module__.endswith("_task")


def test_head_attributes_are_the_tasks_and_settings_are_set_on_it():
    nlp = spacy.blank("zh")
    translator = nlp.add_pipe("rnn_translator", config={"beam_size": 3})
    assert translator.beam_size == 3
    translator.beam_size = 1
    assert translator.task.beam_size == 1 and "beam_size" not in translator.__dict__
    with pytest.raises(AttributeError, match="intents"):
        translator.intents
    intent = spacy.blank("en").add_pipe("rnn_intent")
    assert intent.intents == [] and intent.add_label("GetTime") == 1 and intent.intents == ["GetTime"]
    with pytest.raises(AttributeError, match="beam_size"):
        intent.beam_size


def test_an_initialize_setting_the_task_does_not_take_is_one_error():
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("rnn_intent")
    examples = make_examples(nlp, TINY_EN)
    with pytest.raises(ValueError, match=r"\[initialize.components.rnn_intent\] chars: not a setting of 'rnn_intent'"):
        pipe.initialize(lambda: examples, chars=["a", "b"])
    pipe.initialize(lambda: examples, labels=sorted({label for _, label in TINY_EN}))
    assert len(pipe.labels) >= 2
