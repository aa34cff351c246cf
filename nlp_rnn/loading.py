"""Load a trained pipeline folder with one clear error instead of a traceback."""

from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
from spacy.language import Language

from .torch_requirement import TORCH_MISSING, is_missing_torch, torch_factories, torch_installed


class PipelineLoadError(RuntimeError):
    """The model folder is missing, is not a spaCy pipeline, or is corrupt."""


def load_pipeline(path: Path, config: Optional[Dict[str, Any]] = None) -> Language:
    """``spacy.load(path, config=config)`` with the problem named when it fails (``config``:
    settings that replace the saved ones, e.g. ``{"components": {"rnn_translator": {"beam_size": 1}}}``)."""
    path = Path(path)
    if not path.exists():
        raise PipelineLoadError(f"model folder not found: {path}")
    if not path.is_dir() or not (path / "config.cfg").exists():
        raise PipelineLoadError(f"{path} is not a spaCy pipeline folder (no config.cfg)")
    try:
        return spacy.load(path, config=config or {})
    except Exception as error:  # spaCy, thinc, torch and safetensors raise many kinds
        needs_torch = torch_components(path)
        if needs_torch and (is_missing_torch(error) or not torch_installed()):
            raise PipelineLoadError(f"the pipeline in {path} has torch components ({', '.join(needs_torch)}): {TORCH_MISSING}") from error
        raise PipelineLoadError(f"cannot load the pipeline in {path}: {error}") from error


def torch_components(path: Path) -> List[str]:
    """The factories of the pipeline's components that need torch (none for an exported one)."""
    try:
        components = spacy.util.load_config(path / "config.cfg", interpolate=False).get("components", {})
    except Exception:  # an unreadable config: spaCy's own error says more
        return []
    factories = {block.get("factory") for block in components.values() if isinstance(block, dict)}
    return sorted(factories & set(torch_factories()))
