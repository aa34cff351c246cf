"""``nlp-rnn tune``: Optuna search with the project's training loop on tiny data (6 steps a trial).

Every trial is in the report (complete / pruned / failed), the best config trains with
``nlp-rnn train``, a rerun resumes without repeating finished trials, a trial cut off by a killed
process is run again, and bad space files fail with one line.
"""

import json

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli import app
from nlp_rnn.tuning import TuneError
from nlp_rnn.tuning.space import Dimension, default_space, parse_space

from conftest import ROOT, TINY_EN
from test_train_cli import TINY_MODEL, write_docbin

optuna = pytest.importorskip("optuna")
runner = CliRunner()
CONFIG = ROOT / "pipelines" / "intent_en.cfg"
STEPS = ["--training.max_steps", "6", "--training.eval_frequency", "2", "--threads", "1"]
SPACE = {
    "components.rnn_intent.model.encoder.dropout": {"low": 0.0, "high": 0.4},
    "training.optimizer.learn_rate.initial_rate": {"low": 0.002, "high": 0.02, "log": True},
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tune_data")
    space = tmp / "space.json"
    space.write_text(json.dumps(SPACE))
    return {"train": write_docbin(tmp / "train.spacy", TINY_EN), "dev": write_docbin(tmp / "dev.spacy", TINY_EN[::2]),
            "space": space, "tmp": tmp}


def tune(output, data, *args, space=None):
    command = ["tune", str(CONFIG), "--output", str(output), "--space", str(space or data["space"]),
               "--paths.train", str(data["train"]), "--paths.dev", str(data["dev"])]
    result = runner.invoke(app, command + TINY_MODEL + STEPS + [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def report(output):
    return json.loads((output / "report.json").read_text())


def test_search_reports_every_trial_resumes_and_its_best_config_trains(tmp_path, data):
    out = tmp_path / "search"
    result = tune(out, data, "--trials", "2")
    assert result.exit_code == 0, result.output
    assert "[1/2] trial 0" in result.output and "[2/2] trial 1" in result.output  # a progress line per trial
    first = report(out)
    assert [t["number"] for t in first["trials"]] == [0, 1]
    assert first["trials"][0]["notes"][0].startswith("baseline")  # the config's own values come first
    assert first["trials"][0]["params"] == {k: v for k, v in [("components.rnn_intent.model.encoder.dropout", 0.3),
                                                              ("training.optimizer.learn_rate.initial_rate", 0.003)]}
    for trial in first["trials"]:
        assert trial["state"] in ("complete", "pruned") and trial["minutes"] is not None
        assert trial["dev_score"] is not None and trial["steps"] is not None
    assert (out / "study.db").exists() and (out / "report.md").exists()
    assert (out / "best" / "model" / "meta.json").exists()
    assert first["best"]["dev_score"] == max(t["dev_score"] for t in first["trials"] if t["state"] == "complete")

    # resume: one more trial only; the finished ones are kept as they were
    result = tune(out, data, "--trials", "3")
    assert result.exit_code == 0, result.output
    assert "2 of 3 trials already finished" in result.output
    assert [line.split(" · ")[0] for line in result.output.splitlines() if line.startswith("[")] == ["[3/3] trial 2 complete"] \
        or [line.split(" · ")[0] for line in result.output.splitlines() if line.startswith("[")] == ["[3/3] trial 2 pruned"]
    second = report(out)
    assert [t["number"] for t in second["trials"]] == [0, 1, 2]
    assert second["trials"][:2] == first["trials"]
    result = tune(out, data, "--trials", "3")
    assert "3 of 3 trials already finished" in result.output
    assert not [line for line in result.output.splitlines() if line.startswith("[")]

    # another search in the same folder is refused
    other = data["tmp"] / "other_space.json"
    other.write_text(json.dumps({"components.rnn_intent.model.encoder.dropout": {"low": 0.1, "high": 0.2}}))
    result = tune(out, data, "--trials", "3", space=other)
    assert result.exit_code == 1 and "holds another search" in result.output

    # the best config is ready for nlp-rnn train
    trained = tmp_path / "again"
    result = runner.invoke(app, ["train", str(out / "best" / "config.cfg"), "--output", str(trained), "--no-tune-prior"])
    assert result.exit_code == 0, result.output
    assert (trained / "model-best").exists()


def test_a_failing_trial_is_recorded_as_failed(tmp_path, data):
    bad = data["tmp"] / "bad_space.json"
    bad.write_text(json.dumps({"components.rnn_intent.model.encoder.cell": {"choices": ["bogus"]}}))
    result = tune(tmp_path / "search", data, "--trials", "1", space=bad)
    assert result.exit_code == 1
    assert "trial 0 failed" in result.output and "no trial completed" in result.output
    trials = report(tmp_path / "search")["trials"]
    assert len(trials) == 1 and trials[0]["state"] == "failed" and "bogus" in trials[0]["error"]


def test_a_trial_left_running_by_a_killed_search_is_run_again(tmp_path, data):
    out = tmp_path / "search"
    assert tune(out, data, "--trials", "1").exit_code == 0
    study = optuna.load_study(study_name="nlp-rnn-tune", storage=f"sqlite:///{out / 'study.db'}")
    study.ask({"components.rnn_intent.model.encoder.dropout": optuna.distributions.FloatDistribution(0.0, 0.4),
               "training.optimizer.learn_rate.initial_rate": optuna.distributions.FloatDistribution(0.002, 0.02, log=True)})
    result = tune(out, data, "--trials", "2")  # trial 1 was RUNNING when its process died
    assert result.exit_code == 0, result.output
    assert "trials 1 were cut off" in result.output
    trials = report(out)["trials"]
    assert [t["state"] for t in trials][:2] == ["complete", "failed"] and "interrupted" in trials[1]["notes"]
    assert trials[2]["params"] == trials[1]["params"] and "retry of trial 1" in trials[2]["notes"]
    assert trials[2]["state"] in ("complete", "pruned")


def test_space_files_and_default_spaces():
    from spacy import util

    space = default_space(util.load_config(ROOT / "pipelines" / "joint_en.cfg", interpolate=False))
    assert "components.rnn_joint.model.encoder.dropout" in space.keys and "training.batcher.size" in space.keys
    baseline = space.baseline(util.load_config(ROOT / "pipelines" / "joint_en.cfg", interpolate=False))
    assert baseline["components.rnn_joint.model.encoder.hidden_size"] == 256
    with pytest.raises(TuneError, match="default search space"):
        default_space(util.load_config(ROOT / "pipelines" / "translate_en_zh.cfg", interpolate=False))
    for bad, message in [
        ({"a.b": {"low": 1}}, "low and high must both be numbers"),
        ({"a.b": {"low": 0, "high": 1, "log": True}}, "log range must start above 0"),
        ({"a.b": {"choices": []}}, "non-empty list"),
        ({"a.b": {"low": 0, "high": 1, "scale": 2}}, "unknown field 'scale'"),
        ({"paths.train": {"choices": ["x"]}}, "the data is not searched"),
    ]:
        with pytest.raises(TuneError, match=message):
            parse_space(bad)
    assert Dimension("k", low=16, high=64, step=16).contains(32) and not Dimension("k", low=16, high=64, step=16).contains(40)


def test_an_unknown_key_in_the_space_fails_in_one_line(tmp_path, data):
    typo = data["tmp"] / "typo.json"
    typo.write_text(json.dumps({"components.rnn_intent.model.encoder.dropuot": {"low": 0.1, "high": 0.2}}))
    result = tune(tmp_path / "search", data, "--trials", "1", space=typo)
    assert result.exit_code == 1 and "did you mean --components.rnn_intent.model.encoder.dropout" in result.output
    assert not (tmp_path / "search").exists()
