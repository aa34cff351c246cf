"""The command line's surface: fast start-up (no torch / spaCy at import), complete and
consistent help."""

import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli import app

runner = CliRunner()
COMMANDS = sorted(c.name for c in app.registered_commands)
MODEL_COMMANDS = ["train", "evaluate", "predict", "translate", "tune-prior"]


def test_importing_the_command_line_loads_neither_torch_nor_spacy():
    code = "import sys, nlp_rnn.cli; print(' '.join(m for m in ('torch', 'spacy', 'thinc') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == ""


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\s", result.output, re.M), name
    assert {"annotate", "translate", "convert", "train", "evaluate", "predict"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_no_value_for_flags_and_upper_case_arguments(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    usage = result.output.splitlines()[0]
    arguments = re.findall(r"[{\[]?([A-Za-z_]+)[}\]]?(?:\.\.\.)?", usage.split("[OPTIONS]", 1)[-1])
    assert all(a.isupper() for a in arguments), usage


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_model_commands_document_threads_and_batch_size(command):
    result = runner.invoke(app, [command, "--help"])
    assert "--threads" in result.output
    if "--batch-size" in result.output:
        line = next(l for l in result.output.splitlines() if "--batch-size" in l)
        assert len(line.split("--batch-size", 1)[1].strip()) > 3, line  # has a description


@pytest.mark.parametrize("command", ["predict", "evaluate", "translate"])
def test_gpu_id_on_inference_commands(command):
    assert "--gpu-id" in runner.invoke(app, [command, "--help"]).output


def test_predict_help_lists_every_field_it_prints():
    help_text = " ".join(runner.invoke(app, ["predict", "--help"]).output.split())
    fields = ("text", "intent", "confidence", "ranking", "score", "slots", "start", "end", "label",
              "out_of_scope", "oos_score", "translation", "explanation")
    for field in fields:
        assert f'"{field}"' in help_text, field


def test_boolean_flags_take_no_value():
    result = runner.invoke(app, ["train", "--help"])
    assert "--tune-prior / --no-tune-prior" in result.output
