"""Telling an exported (ONNX) pipeline from a torch one, loaded or on disk, without torch.

``nlp-rnn export`` gives every exported component the factory ``<torch factory>_onnx``
(``rnn_joint`` → ``rnn_joint_onnx``). What needs the torch model (training, ``tune-oos``, the
occlusion explanations of ``predict --explain``) asks here first and refuses with one line.
"""

from pathlib import Path
from typing import List, Tuple, Union

from spacy.language import Language

EXPORTED_SUFFIX = "_onnx"


def is_exported_factory(factory: str) -> bool:
    """Whether a component made by ``factory`` runs an exported ONNX graph."""
    return factory.endswith(EXPORTED_SUFFIX)


def exported_components(nlp: Language) -> List[Tuple[str, str]]:
    """(name, factory) of the loaded pipeline's exported components."""
    factories = ((name, nlp.get_pipe_meta(name).factory) for name in nlp.pipe_names)
    return [(name, factory) for name, factory in factories if is_exported_factory(factory)]


def exported_components_on_disk(model_dir: Union[str, Path]) -> List[Tuple[str, str]]:
    """(name, factory) of the exported components in a pipeline folder's ``config.cfg`` (empty
    when there is no such file: loading the pipeline then says what is wrong)."""
    config_path = Path(model_dir) / "config.cfg"
    if not config_path.is_file():
        return []
    from spacy.util import load_config

    components = load_config(config_path, interpolate=False).get("components", {})
    return [(name, block.get("factory", "")) for name, block in components.items() if is_exported_factory(str(block.get("factory", "")))]


def torch_only_message(what: str, exported: List[Tuple[str, str]]) -> str:
    """One line: ``what`` needs the torch pipeline, and which components are exported."""
    names = ", ".join(f"{name} ({factory})" for name, factory in exported)
    return f"{what} needs the torch pipeline, but this one is exported to ONNX: {names}; use the folder it was exported from"
