"""What ``nlp-rnn pretrain`` takes from a task config: its tokenizer and a component's encoder block.

The config is loaded with the command's ``--section.key value`` overrides (each checked as
``nlp-rnn train`` checks them), the pipeline is built (not trained), and its tokenizer is
initialized with ``[initialize.tokenizer]`` (so a Chinese pipeline's segmenter and jieba user
dictionary apply). The component is the one named, else the only one that can load a
pretrained encoder (its ``initialize`` takes ``init_encoder``).
"""

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..architectures.encoder_config import TextEncoderSettings


@dataclass
class PretrainTarget:
    """The built pipeline ``nlp`` (for its tokenizer), the ``component`` name and its encoder ``settings``."""

    nlp: Language
    component: str
    settings: TextEncoderSettings

    def make_docs(self, texts: List[str]) -> List[Doc]:
        """The texts tokenized as the task pipeline tokenizes them; Docs without tokens are left out."""
        docs = (self.nlp.make_doc(text) for text in texts)
        return [doc for doc in docs if len(doc)]


def load_pretrain_target(config_path: Path, overrides: Dict[str, object], component: Optional[str] = None) -> PretrainTarget:
    """Raises ``ValueError`` (one line) for a bad config, override or component."""
    from spacy import util
    from spacy.schemas import ConfigSchemaInit
    from spacy.util import registry
    from thinc.api import ConfigValidationError

    from ..training.overrides import check_overrides

    try:
        check_overrides(util.load_config(config_path, interpolate=False), overrides)
        config = util.load_config(config_path, overrides=overrides, interpolate=True)
        nlp = util.load_model_from_config(config, auto_fill=True, validate=True)
        init = registry.resolve(nlp.config.interpolate()["initialize"], schema=ConfigSchemaInit)
    except ConfigValidationError as error:
        raise ValueError(f"{config_path}: {' '.join(str(error).split())}") from None
    name = _choose_component(nlp, component, config_path)
    if hasattr(nlp.tokenizer, "initialize"):
        from spacy.schemas import validate_init_settings

        settings = validate_init_settings(nlp.tokenizer.initialize, init["tokenizer"], section="tokenizer", name="tokenizer")
        nlp.tokenizer.initialize(lambda: [], nlp=nlp, **settings)
    hparams = nlp.get_pipe(name).model.attrs["hparams"]
    return PretrainTarget(nlp, name, TextEncoderSettings.pick(hparams))


def _takes_init_encoder(pipe) -> bool:
    initialize = getattr(pipe, "initialize", None)
    return initialize is not None and "init_encoder" in inspect.signature(initialize).parameters


def _choose_component(nlp: Language, component: Optional[str], config_path: Path) -> str:
    able = [name for name, pipe in nlp.pipeline if _takes_init_encoder(pipe)]
    if component is not None:
        if component not in nlp.pipe_names:
            raise ValueError(f"{config_path}: no component {component!r} in the pipeline {nlp.pipe_names}")
        if component not in able:
            raise ValueError(f"{config_path}: component {component!r} cannot load a pretrained encoder; these can: {able or 'none'}")
        return component
    if len(able) != 1:
        found = "none of" if not able else f"several ({', '.join(able)}) of"
        raise ValueError(
            f"{config_path}: {found} the components {nlp.pipe_names} can load a pretrained encoder"
            + ("; choose one with --component NAME" if able else " (rnn_intent, rnn_joint and rnn_tagger can)")
        )
    return able[0]
