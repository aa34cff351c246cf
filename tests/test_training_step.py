"""The training step every component shares (``RNNPipe.update`` → ``get_loss`` → backprop) and
spaCy's ``drop``, which the components refuse: their dropout rates are in the model config."""

import math

import pytest
import spacy
import torch

from conftest import TINY_EN, make_examples, train_tiny_intent
from nlp_rnn.pipeline.rnn_pipe import DropoutRefused
from test_lm import _component


def test_get_loss_gives_the_float_and_the_tensor_backprop_takes():
    nlp = train_tiny_intent("en", steps=2)
    pipe = nlp.get_pipe("rnn_intent")
    examples = make_examples(nlp, TINY_EN)
    outputs, backprop = pipe.model.begin_update(pipe.model_input(examples))
    loss, d_loss = pipe.get_loss(examples, outputs)
    assert isinstance(loss, float) and math.isfinite(loss) and loss > 0
    assert isinstance(d_loss, torch.Tensor) and d_loss.dim() == 0 and float(d_loss.detach()) == loss
    backprop(d_loss)  # gradients reach the module's weights


def test_update_reports_the_loss_get_loss_computes():
    nlp = train_tiny_intent("en", steps=2)
    pipe = nlp.get_pipe("rnn_intent")
    examples = make_examples(nlp, TINY_EN)
    spacy.util.fix_random_seed(3)
    reported = pipe.update(examples)[pipe.name]
    spacy.util.fix_random_seed(3)
    outputs, _ = pipe.model.begin_update(pipe.model_input(examples))
    assert pipe.get_loss(examples, outputs)[0] == pytest.approx(reported, rel=1e-6)


def test_a_training_dropout_is_refused_with_where_dropout_is_set():
    nlp = train_tiny_intent("en", steps=1)
    examples = make_examples(nlp, TINY_EN)
    with pytest.raises(DropoutRefused, match=r"\[components.rnn_intent.model.encoder\] dropout.*\[training\] dropout = 0.0"):
        nlp.update(examples, drop=0.1)
    nlp.update(examples, drop=0.0)


def test_the_language_model_refuses_a_training_dropout_too():
    nlp, pipe = _component()
    from spacy.training import Example

    examples = [Example(nlp.make_doc("abc abc"), nlp.make_doc("abc abc"))]
    with pytest.raises(DropoutRefused, match="rnn_lm"):
        pipe.update(examples, drop=0.2)
    assert math.isfinite(pipe.update(examples)[pipe.name])
