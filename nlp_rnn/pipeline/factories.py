"""Entry points of the torch components that import without torch.

spaCy imports the module of every factory registered through entry points whenever it creates a
``Language`` (``Language.__init__`` calls ``registry._entry_point_factories.get_all()``), so a
factory module that imports torch at its top makes every spaCy pipeline need torch, even an
exported ONNX one (``nlp-rnn export``). The entry points name this module instead: it imports
each torch component's module, and when torch itself is not installed it leaves that factory
unregistered (using it then gives spaCy's unknown-factory error) instead of failing every
``spacy.load``. Any other import error is raised as usual.

This is how nlp_rnn's components register, and the only way: no module of the package imports a
component's module for its side effect of registering it (``tests/test_import_layers.py`` checks).
"""

import importlib
from typing import Callable, Optional


def _factory(module: str, name: str) -> Optional[Callable]:
    try:
        return getattr(importlib.import_module(module, __package__), name)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "torch":
            raise
        return None


make_rnn_intent = _factory(".intent", "make_rnn_intent")
make_rnn_joint = _factory(".joint", "make_rnn_joint")
make_rnn_tagger = _factory(".joint", "make_rnn_tagger")
make_rnn_translator = _factory(".translator", "make_rnn_translator")
make_rnn_lm = _factory(".lm", "make_rnn_lm")
make_rnn_joint_ensemble = _factory(".ensemble_pipe", "make_rnn_joint_ensemble")
make_rnn_tagger_ensemble = _factory(".ensemble_pipe", "make_rnn_tagger_ensemble")
make_rnn_intent_ensemble = _factory(".ensemble_pipe", "make_rnn_intent_ensemble")
