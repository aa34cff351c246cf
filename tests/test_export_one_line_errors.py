"""One line instead of a traceback (issue 27 item 7): the commands that need the torch model on an
exported pipeline (``predict --explain``, ``tune-oos``), and ``export`` without the ``onnx`` extra
(its packages blocked in a subprocess)."""

import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

pytest.importorskip("onnxruntime")

from nlp_rnn.cli.app import app  # noqa: E402
from nlp_rnn.export.to_onnx import export_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def exported_intent(trained_en, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported") / "onnx"
    export_pipeline(trained_en, out)
    return out


@pytest.mark.parametrize("command", [["predict", "{model}", "play adele", "--explain"], ["tune-oos", "{model}"]])
def test_torch_only_commands_refuse_exported_pipeline_in_one_line(exported_intent, command):
    result = CliRunner().invoke(app, [part.format(model=exported_intent) for part in command])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "exported to ONNX" in result.output and "rnn_intent (rnn_intent_onnx)" in result.output


BLOCK_MODULES = textwrap.dedent(
    """
    import sys

    BLOCKED = set(sys.argv.pop(1).split(","))

    class BlockModules:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, BlockModules())
    from nlp_rnn.cli import main
    sys.argv = ["nlp-rnn", *sys.argv[1:]]
    main()
    """
)


@pytest.mark.parametrize("blocked, options", [("onnx", []), ("onnxruntime", ["--quantize"])])
def test_export_without_the_onnx_extra_is_one_line(trained_en, tmp_path, blocked, options):
    """torch's exporter needs the onnx package, --quantize onnxruntime: the line names the missing
    package and the extra, and nothing is written."""
    trained_en.to_disk(tmp_path / "model")
    command = [sys.executable, "-c", BLOCK_MODULES, blocked, "export", str(tmp_path / "model"), str(tmp_path / "out"), *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output, output[-3000:]
    assert f"needs {blocked}," in output and "nlp-rnn[onnx]" in output and len(output.strip().splitlines()) == 1, output
    assert not (tmp_path / "out").exists()
