"""Commands that need a pipeline's torch model refuse an exported (ONNX) folder with one line."""

from pathlib import Path

from .app import fail


def refuse_exported(model: Path, command: str) -> None:
    """End ``nlp-rnn command`` with one line when ``model`` is a pipeline exported to ONNX (read
    from its ``config.cfg``, before anything is loaded)."""
    from ..exported import exported_components_on_disk, torch_only_message

    exported = exported_components_on_disk(model)
    if exported:
        raise fail(torch_only_message(f"nlp-rnn {command}", exported))
