"""Which component an explanation explains, checked without torch (so that ``predict --explain``
refuses a pipeline it cannot explain with one line, before predicting anything)."""

from typing import Any, Optional, Tuple

from spacy.language import Language

from ..exported import is_exported_factory, torch_only_message


class ExplainError(ValueError):
    """The pipeline has no intent component that occlusion can explain."""


def intent_component(nlp: Language, name: Optional[str] = None) -> Tuple[str, Any]:
    """(name, pipe) of the intent component to explain: ``name``, else the first with intents.
    :class:`ExplainError` naming the reason when there is none or it is exported to ONNX
    (occlusion runs the torch model)."""
    for pipe_name, pipe in nlp.pipeline:
        if (name is not None and pipe_name != name) or not getattr(pipe, "intents", None):
            continue
        factory = nlp.get_pipe_meta(pipe_name).factory
        if is_exported_factory(factory):
            raise ExplainError(torch_only_message("explaining intents (--explain)", [(pipe_name, factory)]))
        if hasattr(pipe, "model"):
            return pipe_name, pipe
    if name is not None:
        raise ExplainError(f"no intent component {name!r} to explain")
    raise ExplainError(f"explaining intents (--explain) needs an rnn_intent or rnn_joint component; the pipeline has {nlp.pipe_names or 'none'}")
