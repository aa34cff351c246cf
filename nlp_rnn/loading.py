"""Load a trained pipeline folder with one clear error instead of a traceback."""

from pathlib import Path

import spacy
from spacy.language import Language


class PipelineLoadError(RuntimeError):
    """The model folder is missing, is not a spaCy pipeline, or is corrupt."""


def load_pipeline(path: Path) -> Language:
    """``spacy.load(path)`` with the problem named when it fails."""
    path = Path(path)
    if not path.exists():
        raise PipelineLoadError(f"model folder not found: {path}")
    if not path.is_dir() or not (path / "config.cfg").exists():
        raise PipelineLoadError(f"{path} is not a spaCy pipeline folder (no config.cfg)")
    try:
        return spacy.load(path)
    except Exception as error:  # spaCy, thinc, torch and safetensors raise many kinds
        raise PipelineLoadError(f"cannot load the pipeline in {path}: {error}") from error
