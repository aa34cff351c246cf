"""Issue 24, "rejection on when the data asks for it": ``nlp-rnn train`` with the shipped config and
no out-of-scope flag turns out-of-scope scoring on when train or dev hold out-of-scope examples
(score and threshold chosen on dev, written into the component's cfg and config.cfg), leaves the
config's choice when they hold none, and says in the summary which it is."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli import app
from nlp_rnn.oos.settings import AUTO_OOS_SCORES

from conftest import ROOT, TINY_EN

runner = CliRunner()
OOS = ["what is the meaning of life", "how do i bake bread", "who won the football game", "transfer money to savings"]
TINY_TRAINING = [
    "--training.max_steps", "20", "--training.eval_frequency", "10",
    "--components.rnn_intent.model.encoder.hidden_size", "16",
    "--components.rnn_intent.model.encoder.feature_widths", "[16,8,8,4,8]",
]
OFF_LINE = "out of scope: off (no out-of-scope examples in train/dev; set oos.score to enable)"


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def trained(tmp, rows):
    """convert ``rows`` (text, intent; "oos" = out of scope) and train on them (train = dev)."""
    (tmp / "data.csv").write_text("text,intent\n" + "".join(f"{t},{label}\n" for t, label in rows), encoding="utf8")
    result = invoke("convert", tmp / "data.csv", tmp / "data.spacy", "--format", "csv", "--lang", "en", "--oos-label", "oos")
    assert result.exit_code == 0, result.output
    result = invoke("train", ROOT / "pipelines" / "intent_en.cfg", "--output", tmp / "out",
                    "--paths.train", tmp / "data.spacy", "--paths.dev", tmp / "data.spacy", *TINY_TRAINING)
    assert result.exit_code == 0, result.output
    return tmp, " ".join(result.output.split())


@pytest.fixture(scope="module")
def with_oos(tmp_path_factory):
    return trained(tmp_path_factory.mktemp("oos_auto_on"), list(TINY_EN) + [(t, "oos") for t in OOS])


@pytest.fixture(scope="module")
def without_oos(tmp_path_factory):
    return trained(tmp_path_factory.mktemp("oos_auto_off"), list(TINY_EN))


def saved_cfg(model_dir):
    return json.loads((model_dir / "rnn_intent" / "cfg").read_text())


def test_out_of_scope_examples_turn_scoring_on_and_the_summary_says_so(with_oos):
    import spacy

    tmp, output = with_oos
    for name in ("model-best", "model-last"):
        cfg = saved_cfg(tmp / "out" / name)
        assert cfg["oos"]["score"] in AUTO_OOS_SCORES and cfg["oos"]["threshold"] is not None, name
        assert cfg["oos_examples"] == {"train": len(OOS), "dev": len(OOS)}
        assert set(cfg["oos_score_choice"]["dev_macro_f1_open"]) == set(AUTO_OOS_SCORES)
        assert cfg["oos_threshold_choice"]["method"] == "dev_macro_f1_open"
        loaded = spacy.load(tmp / "out" / name)
        section = loaded.config["components"]["rnn_intent"]
        # approx: spaCy reads the cfg JSON with ujson, whose floats may differ in the last digit
        assert section["oos"] == cfg["oos"] == pytest.approx(loaded.get_pipe("rnn_intent").cfg["oos"]), name
        assert isinstance(loaded("what is the meaning of life")._.out_of_scope, bool)
    cfg, choice = saved_cfg(tmp / "out" / "model-best"), saved_cfg(tmp / "out" / "model-best")["oos_threshold_choice"]
    assert 'out-of-scope scoring is on although the config says oos.score = "none"' in output
    assert (f"out of scope: on ({cfg['oos']['score']}, turned on by the out-of-scope examples in train/dev; score and threshold chosen on dev: "
            f"recall {choice['oos_recall']:.2f} at in-scope accuracy {100 * choice['in_scope_accuracy']:.1f} on dev)") in output


def test_without_out_of_scope_examples_the_config_choice_stands(without_oos):
    tmp, output = without_oos
    cfg = saved_cfg(tmp / "out" / "model-best")
    assert cfg["oos"]["score"] == "none" and cfg["oos"]["threshold"] is None and cfg["oos_examples"] == {"train": 0, "dev": 0}
    assert OFF_LINE in output and "out of scope: on" not in output


def test_out_of_scope_examples_in_train_only_keep_the_first_score_and_the_share_rule(with_oos, without_oos, tmp_path):
    """No out-of-scope dev docs to compare the scores on: the first of AUTO_OOS_SCORES, its
    threshold by the in-scope share rule."""
    from nlp_rnn.cli.oos_status import out_of_scope_lines
    from nlp_rnn.cli.tune_oos import tune_saved_oos

    model = tmp_path / "model"
    shutil.copytree(without_oos[0] / "out" / "model-best", model)
    chosen = tune_saved_oos(model, without_oos[0] / "data.spacy", with_oos[0] / "data.spacy", choose_score=True)["rnn_intent"]
    assert chosen["score"] == AUTO_OOS_SCORES[0] and chosen["method"] == "in_scope_share" and chosen["examples"] == {"train": len(OOS), "dev": 0}
    assert out_of_scope_lines(model) == [f"out of scope: on ({AUTO_OOS_SCORES[0]}, turned on by the out-of-scope examples in train/dev; score and "
                                         f"threshold keeps a share of the in-scope dev docs: in-scope accuracy {100 * chosen['in_scope_accuracy']:.1f} on dev)"]
