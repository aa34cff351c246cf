"""``nlp_rnn.api``, the public Python names, and the scripts that must use only them.

``benchmarks/`` is a client of the package like a user's script: it imports ``nlp_rnn.api`` (or
runs ``nlp-rnn``), never the package's internals, so internals can move without breaking the
figures' scripts. Two scripts are exempt, each for a reason given in :data:`EXEMPT`."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"
EXEMPT = {
    # runs inside worktrees of earlier commits (benchmarks/results/work/train_speed), which predate the API
    "train_speed_probe.py",
    # measures the internal sub-batch size of rnn_joint's predict (it sets the module constant)
    "length_buckets.py",
}


def nlp_rnn_imports(path: Path):
    """(line, module) of every import of nlp_rnn in a file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "nlp_rnn":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "nlp_rnn":
            yield node.lineno, node.module


def test_benchmarks_import_only_the_public_api():
    found = [f"{path.name}:{line}: {module}" for path in sorted(BENCHMARKS.glob("*.py")) if path.name not in EXEMPT
             for line, module in nlp_rnn_imports(path) if module != "nlp_rnn.api"]
    assert not found, "benchmarks/ import package internals; add the name to nlp_rnn/api.py and import it from there:\n" + "\n".join(found)


def test_every_exempt_script_exists():
    assert all((BENCHMARKS / name).exists() for name in EXEMPT)


def test_every_public_name_resolves():
    import nlp_rnn.api as api

    for name in api.__all__:
        value = getattr(api, name)
        assert getattr(value, "__name__", name) == name, f"nlp_rnn.api.{name} is {value!r}"
    with pytest.raises(AttributeError, match="public names"):
        api.no_such_name  # noqa: B018


def test_importing_the_api_imports_neither_torch_nor_spacy():
    code = "import sys, nlp_rnn.api; print(sorted(m for m in ('torch', 'spacy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
