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


def test_a_short_option_means_one_long_option_in_every_command():
    """``-t`` is ``--threads`` everywhere, ``-n`` is never ``--length`` in one command and
    ``--n-process`` in another (issue 27, item 10)."""
    import typer.main

    meanings = {}
    for name, command in typer.main.get_command(app).commands.items():
        for param in command.params:
            longs = tuple(sorted(o for o in param.opts + param.secondary_opts if o.startswith("--")))
            for short in (o for o in param.opts + param.secondary_opts if len(o) == 2):
                meanings.setdefault(short, {}).setdefault(longs, []).append(name)
    clashes = {short: seen for short, seen in meanings.items() if len(seen) > 1}
    assert not clashes, clashes
    assert list(meanings["-t"]) == [("--threads",)]


def test_train_help_says_what_is_fitted_after_training():
    text = " ".join(runner.invoke(app, ["train", "--help"]).output.split())
    assert "temperature" in text and "out-of-scope threshold" in text
