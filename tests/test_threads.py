"""nlp_rnn.threads: --threads, $NLP_RNN_THREADS, $OMP_NUM_THREADS, the default, and the commands."""

import pytest
import torch
from typer.testing import CliRunner

from nlp_rnn import threads as threads_module
from nlp_rnn.cli import app
from nlp_rnn.threads import default_threads, prepare_threads


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    before = torch.get_num_threads()
    for name in ("NLP_RNN_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    yield
    torch.set_num_threads(before)


def test_precedence_argument_then_environment_then_default(monkeypatch):
    monkeypatch.setattr(threads_module, "available_cpus", lambda: 8)
    assert prepare_threads(None) is None and torch.get_num_threads() == default_threads() == threads_module.DEFAULT_THREADS
    import os

    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert prepare_threads(None) == 3 and torch.get_num_threads() == 3
    monkeypatch.setenv("NLP_RNN_THREADS", "1")
    assert prepare_threads(None) == 1 and torch.get_num_threads() == 1
    assert prepare_threads(2) == 2 and torch.get_num_threads() == 2


def test_default_is_capped_by_the_cpus(monkeypatch):
    monkeypatch.setattr(threads_module, "available_cpus", lambda: 1)
    prepare_threads(None)
    assert torch.get_num_threads() == 1


def test_bad_values_are_one_line_errors(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="--threads must be at least 1"):
        prepare_threads(0)
    monkeypatch.setenv("NLP_RNN_THREADS", "many")
    with pytest.raises(ValueError, match=r"\$NLP_RNN_THREADS must be a whole number"):
        prepare_threads(None)


@pytest.mark.parametrize("command", ["predict", "evaluate", "translate", "tune-prior", "train"])
def test_every_model_command_takes_threads(command, tmp_path):
    missing = str(tmp_path / "missing")
    args = {"train": [__file__], "evaluate": [missing, missing]}.get(command, [missing])
    result = CliRunner().invoke(app, [command, *args, "--threads", "0"])
    assert result.exit_code == 1, result.output
    assert "--threads must be at least 1" in result.output and "Traceback" not in result.output
    torch.set_num_threads(2)
    result = CliRunner().invoke(app, [command, *args, "--threads", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output  # the model / config is not there
    assert torch.get_num_threads() == 1
