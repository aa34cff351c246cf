"""PyTorch is optional: ``pip install nlp-rnn`` runs exported (ONNX) pipelines with spaCy, numpy
and onnxruntime; training, evaluation and the torch components need ``nlp-rnn[train]``.

Where torch is needed but missing, the commands and :func:`nlp_rnn.loading.load_pipeline` say so
in one line (:data:`TORCH_MISSING`) instead of a traceback.
"""

from importlib import metadata
from typing import List

TORCH_MISSING = "this needs PyTorch, which is not installed: pip install 'nlp-rnn[train]' (exported ONNX pipelines run without it)"
TORCH_FACTORY_MODULE = "nlp_rnn.pipeline.factories"  # the entry points of the torch components


def is_missing_torch(error: BaseException) -> bool:
    """Whether ``error`` is the ModuleNotFoundError of a missing torch (or torch submodule)."""
    return isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] == "torch"


def torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError as error:
        if is_missing_torch(error):
            return False
        raise
    return True


def torch_factories() -> List[str]:
    """The spaCy factories that need torch: the ``spacy_factories`` entry points in
    :data:`TORCH_FACTORY_MODULE` (the ``*_onnx`` ones do not)."""
    return sorted(point.name for point in metadata.entry_points(group="spacy_factories") if point.value.startswith(TORCH_FACTORY_MODULE + ":"))
