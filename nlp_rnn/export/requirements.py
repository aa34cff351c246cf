"""What ``nlp-rnn export`` needs besides torch, checked before anything is loaded or written.

torch's ONNX exporter writes the graph with the ``onnx`` package; ``--quantize`` runs
onnxruntime's quantizer. Both come with the ``onnx`` extra. (The exported pipeline itself needs
onnxruntime only where it runs, not where it is exported.)
"""

import importlib
from typing import List

EXTRA_HINT = 'install nlp-rnn[onnx] (pip install -e ".[onnx]" in the checkout)'


class ExportError(ValueError):
    """The pipeline has nothing that can be exported, a component cannot be, or a package the
    export needs is missing."""


def missing_export_modules(quantize: bool = False) -> List[str]:
    """The top-level modules the export needs that cannot be imported."""
    needed = ["onnx"] + (["onnxruntime.quantization"] if quantize else [])
    missing = []
    for name in needed:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name.split(".")[0])
    return missing


def check_export_modules(quantize: bool = False) -> None:
    """:class:`ExportError` in one line naming the missing packages and the extra to install."""
    missing = missing_export_modules(quantize)
    if missing:
        what = "ONNX export with --quantize" if quantize and missing != ["onnx"] else "ONNX export"
        verb = "is" if len(missing) == 1 else "are"
        raise ExportError(f"{what} needs {' and '.join(missing)}, which {verb} not installed: {EXTRA_HINT}")
