"""What ``nlp-rnn train`` says at the end of a run (issue 27, item 10): the prior-correction note
only when one was chosen and is not 0, language-model scores in their own unit, and a line for
a pretrained encoder (``init_encoder``)."""

import json

from nlp_rnn.cli.train import pretrained_encoders, report
from nlp_rnn.training.loop import TrainingSummary


def _summary(scores):
    summary = TrainingSummary()
    summary.is_new_best(10, 0.5)
    summary.final_step, summary.final_score = 10, 0.5
    summary.best_scores, summary.score_keys = dict(scores), list(scores)
    return summary


def _model_best(tmp_path, cfg):
    (tmp_path / "model-best" / "rnn_intent").mkdir(parents=True)
    (tmp_path / "model-best" / "rnn_intent" / "cfg").write_text(json.dumps(cfg))


def test_prior_note_only_when_a_non_zero_prior_correction_was_chosen(tmp_path, capsys):
    note = "before the prior correction"
    _model_best(tmp_path, {"prior_weight": 0.0, "prior_weight_dev_accuracy": {"0": 0.9, "0.1": 0.9}})
    report(tmp_path, _summary({"intent_acc": 0.9}))
    assert note not in capsys.readouterr().out
    _model_best(tmp_path / "chosen", {"prior_weight": 0.2, "prior_weight_dev_accuracy": {"0": 0.8, "0.2": 0.9}})
    report(tmp_path / "chosen", _summary({"intent_acc": 0.9}))
    assert note in capsys.readouterr().out


def test_language_model_scores_are_shown_in_nats_per_char(tmp_path, capsys):
    report(tmp_path, _summary({"lm_char_prob": 0.2019, "lm_cross_entropy": 1.6001}))
    out = capsys.readouterr().out
    assert "lm_cross_entropy 1.6001 nats/char" in out and "160.01" not in out
    assert "prior correction" not in out


def test_pretrained_encoders_are_named():
    config = {"initialize": {"components": {"rnn_joint": {"init_encoder": "pretrained/joint_en"}, "rnn_lm": {}}}}
    assert pretrained_encoders(config) == {"rnn_joint": "pretrained/joint_en"}
    assert pretrained_encoders({"initialize": {"components": {"rnn_joint": {"init_encoder": None}}}}) == {}
