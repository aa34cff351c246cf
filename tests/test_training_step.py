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
    outputs, backprop = pipe.model.begin_update(pipe.task.model_input(pipe, examples))
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
    outputs, _ = pipe.model.begin_update(pipe.task.model_input(pipe, examples))
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


def test_nlp_rnn_train_refuses_a_training_dropout_in_one_line(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        subprocess.run([sys.executable, "-m", "nlp_rnn", "convert", str(ROOT / "data" / "en" / f"{split}.jsonl"),
                        str(corpus / f"{split}.spacy"), "--format", "jsonl", "--lang", "en"], check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, "-m", "nlp_rnn", "train", str(ROOT / "pipelines" / "intent_en.cfg"), "--output", str(tmp_path / "out"),
         "--paths.train", str(corpus / "train.spacy"), "--paths.dev", str(corpus / "dev.spacy"), "--training.dropout", "0.1",
         "--training.max_steps", "2"],
        capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "[training] dropout = 0.0" in done.stderr + done.stdout
