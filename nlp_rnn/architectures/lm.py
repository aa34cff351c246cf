"""``nlp_rnn.CharLM.v1``: a character language model (:class:`~nlp_rnn.nn.char_lm.CharLM`) as a
thinc Model whose torch module is built at ``initialize()``, once the character vocabulary is
known from the training texts.

The vocabulary (:class:`CharVocab`) is stored as JSON in ``model.attrs["vocab"]``; weights travel
as safetensors (:func:`get_lm_state` / :func:`set_lm_state`), never pickle, and a model trained on
GPU loads on CPU.
"""

from typing import Any, Dict, List, Optional, Tuple

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from spacy.util import registry
from thinc.api import Model, PyTorchWrapper_v3

from ..char_vocab import BOUNDARY, N_SPECIAL, PAD, UNK, CharVocab  # noqa: F401  (re-exported)
from ..nn.char_lm import CELLS, CharLM
from .averaging_shim import AveragingPyTorchShim


@registry.architectures("nlp_rnn.CharLM.v1")
def build_char_lm(
    cell: str = "lstm",
    embedding_width: int = 128,
    hidden_size: int = 512,
    num_layers: int = 2,
    dropout: float = 0.2,
    tie_embeddings: bool = False,
    min_freq: int = 1,
) -> Model:
    """Character LM: ``embedding_width`` embeddings → ``num_layers`` ``cell`` (lstm | gru) layers of
    ``hidden_size`` → softmax over the characters seen at least ``min_freq`` times in the training
    texts (others map to UNK). ``tie_embeddings`` shares the input and output embedding matrix."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, not {cell!r}")
    if num_layers < 1 or hidden_size < 1 or embedding_width < 1:
        raise ValueError("num_layers, hidden_size and embedding_width must be >= 1")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), not {dropout}")
    hparams = dict(
        cell=cell,
        embedding_width=embedding_width,
        hidden_size=hidden_size,
        num_layers=num_layers,
        dropout=dropout,
        tie_embeddings=tie_embeddings,
        min_freq=min_freq,
    )
    return Model("rnn_char_lm", _forward, init=_init, attrs={"hparams": hparams, "vocab": None})


def _forward(model: Model, X, is_train: bool):
    raise NotImplementedError("the rnn_lm component drives the torch module directly (lm_shim)")


def _init(model: Model, X: Optional[List[str]] = None, Y=None) -> None:
    """Build the vocabulary from the texts ``X`` (unless one is set) and a fresh torch module."""
    if model.attrs["vocab"] is None:
        if not X:
            raise ValueError(f"model {model.name!r} needs training texts to build its vocabulary")
        model.attrs["vocab"] = CharVocab.from_texts(X, model.attrs["hparams"]["min_freq"]).to_dict()
    _install_module(model)


def _install_module(model: Model) -> None:
    hp = model.attrs["hparams"]
    module = CharLM(
        len(lm_vocab(model)),
        embedding_width=hp["embedding_width"],
        hidden_size=hp["hidden_size"],
        num_layers=hp["num_layers"],
        cell=hp["cell"],
        dropout=hp["dropout"],
        tie_embeddings=hp["tie_embeddings"],
    )
    wrapper = PyTorchWrapper_v3(module)
    wrapper._shims = [AveragingPyTorchShim(module, deserialize_model=_deserialize_weights)]
    model._layers = [wrapper]


def _deserialize_weights(module: torch.nn.Module, data: bytes, device: torch.device):
    module.load_state_dict(load_safetensors(data))
    return module.to(device)


def lm_vocab(model: Model) -> CharVocab:
    """The character vocabulary of an initialized model."""
    data = model.attrs["vocab"]
    if data is None:
        raise ValueError(f"model {model.name!r} is not initialized: call nlp.initialize() first")
    cached = model.attrs.get("_vocab_cache")
    if cached is None or cached[0] is not data:
        cached = (data, CharVocab.from_dict(data))
        model.attrs["_vocab_cache"] = cached
    return cached[1]


def lm_shim(model: Model):
    """The PyTorchShim holding the built :class:`CharLM`."""
    if not model.layers:
        raise ValueError(f"model {model.name!r} is not initialized: call nlp.initialize() first")
    return model.layers[0].shims[0]


def lm_module(model: Model) -> CharLM:
    """The initialized torch module."""
    return lm_shim(model)._model


def get_lm_state(model: Model) -> Tuple[Dict[str, Any], bytes]:
    """JSON-able ``{"hparams", "vocab"}`` and safetensors weight bytes."""
    weights = {k: v.detach().to("cpu").contiguous() for k, v in lm_module(model).state_dict().items()}
    return {"hparams": model.attrs["hparams"], "vocab": model.attrs["vocab"]}, save_safetensors(weights)


def set_lm_state(model: Model, config: Dict[str, Any], weights: bytes) -> None:
    """Rebuild the module from :func:`get_lm_state` output and load the weights (onto the CPU
    or the device the shim uses)."""
    model.attrs["hparams"] = dict(model.attrs["hparams"], **config["hparams"])
    model.attrs["vocab"] = config["vocab"]
    _install_module(model)
    shim = lm_shim(model)
    module = lm_module(model)
    module.load_state_dict(load_safetensors(weights))
    module.to(shim.device)
