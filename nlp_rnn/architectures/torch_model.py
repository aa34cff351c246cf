"""A thinc Model around a torch module whose sizes are known only after ``initialize()``.

The vocabularies (a :class:`DocFeaturizer`) and the label count come from the training data, so
the torch module is built in the init callback, or when a saved pipeline is loaded, from the
JSON state written by :func:`get_model_state`. Weights travel as safetensors: no pickle, and a
model trained on GPU loads on CPU.

This is the one file where thinc meets torch. Every task module follows the contract of
:mod:`nlp_rnn.nn.outputs` (``forward`` → named outputs, ``loss(outputs, gold)``, ``decode``), and
every pipe uses the same helpers: :func:`predict_outputs` (evaluation mode, no gradients),
:func:`module_loss` (the module's loss, which the pipes' ``get_loss`` returns for backprop) and :func:`decode`. The thinc
model's own forward runs for every model: its input is the Docs, or ``(docs, *extra tensors)``
(the translator's teacher-forcing input), its output the module's named outputs, and its
backprop takes the scalar loss.
"""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from spacy.tokens import Doc
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v3

from ..featurizer import DocFeaturizer, FeaturizedBatch, static_vector_table
from ..nn.encoder_weights import load_encoder_weights
from .averaging_shim import AveragingPyTorchShim

# build_module(hparams, featurizer, dims) -> torch.nn.Module; hparams include model.attrs["build_info"],
# JSON-able facts from the training data (e.g. tag names) that the component sets before initialize
ModuleBuilder = Callable[[Dict[str, Any], DocFeaturizer, Dict[str, int]], torch.nn.Module]


def make_lazy_torch_model(
    name: str, hparams: Dict[str, Any], build_module: ModuleBuilder, dims: Dict[str, Optional[int]]
) -> Model[List[Doc], Any]:
    """A Model whose only layer, a PyTorchWrapper, is created by :func:`build_torch_layer`.

    ``hparams`` (JSON-able) describe the architecture; ``dims`` are sizes such as ``nO`` that the
    component fills in before initialisation.
    """
    return Model(
        name,
        _forward,
        init=_init,
        dims=dims,
        attrs={"hparams": hparams, "build_module": build_module, "featurizer": None, "build_info": {}},
    )


def _forward(model: Model, docs: List[Doc], is_train: bool):
    if not model.layers:
        raise ValueError(f"model {model.name!r} is not initialized: call nlp.initialize() first")
    return model.layers[0](docs, is_train)


def _init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    """Build vocabularies from the Docs ``X`` and a freshly initialised torch module; after
    :func:`set_initial_encoder`, its vocabularies and encoder weights instead."""
    if not X:
        raise ValueError(f"model {model.name!r} needs training Docs to build its vocabulary")
    hparams = model.attrs["hparams"]
    initial = model.attrs.pop("initial_encoder", None)
    if initial is not None:
        featurizer = initial[0]
    else:
        featurizer = DocFeaturizer.from_docs(
            X, hparams["features"], min_freq=hparams["min_freq"], max_length=hparams["max_length"]
        )
    static = None
    if hparams.get("include_static_vectors"):
        table = static_vector_table(X[0].vocab, featurizer.vocabs[0].strings)
        if table is None:
            raise ValueError(
                "include_static_vectors = true but the pipeline has no vectors: "
                "set [initialize] vectors to a pipeline or vectors package"
            )
        static = torch.from_numpy(table)
        model.attrs["static_width"] = table.shape[1]
    build_torch_layer(model, featurizer)
    if static is not None:
        _copy_static_vectors(torch_module(model), static)
    if initial is not None:
        load_encoder_weights(torch_module(model), initial[1])


def set_initial_encoder(model: Model, featurizer: DocFeaturizer, encoder_weights: Dict[str, torch.Tensor]) -> None:
    """Make the next ``model.initialize()`` use ``featurizer`` (its vocabularies) instead of
    building one from the Docs, and load ``encoder_weights`` (a state dict of the module's
    ``text_encoder``) into the module it builds: a pretrained encoder (``nlp-rnn pretrain``,
    :mod:`nlp_rnn.pretrain.init_encoder`). Used once: ``initialize`` consumes it."""
    model.attrs["initial_encoder"] = (featurizer, encoder_weights)


def _copy_static_vectors(module: torch.nn.Module, table: torch.Tensor) -> None:
    for sub in module.modules():
        if getattr(sub, "static", None) is not None:
            with torch.no_grad():
                sub.static.weight.copy_(table.to(sub.static.weight.device))


def build_torch_layer(model: Model, featurizer: DocFeaturizer) -> None:
    """Create the torch module from hparams, featurizer and dims, and install it as the layer."""
    dims = {name: model.get_dim(name) for name in model.dim_names if model.has_dim(name)}
    hparams = dict(
        model.attrs["hparams"], static_width=model.attrs.get("static_width", 0), **model.attrs["build_info"]
    )
    module = model.attrs["build_module"](hparams, featurizer, dims)
    model.attrs["featurizer"] = featurizer
    wrapper = PyTorchWrapper_v3(module, convert_inputs=_inputs_to_tensors, convert_outputs=_outputs_with_loss_backprop)
    # the same shim PyTorchWrapper_v3 builds, but one that honours the optimizer's parameter averages
    wrapper._shims = [AveragingPyTorchShim(module, deserialize_model=_deserialize_weights)]
    wrapper.attrs["featurizer"] = featurizer
    model._layers = [wrapper]


# the thinc input: the Docs (or a FeaturizedBatch of them), or (Docs, extra tensors...) appended to
# the module's arguments
ModelInput = Union[List[Doc], FeaturizedBatch, Tuple[Any, ...]]


def _inputs_to_tensors(model: Model, X: ModelInput, is_train: bool) -> Tuple[ArgsKwargs, Callable]:
    docs, extra = (X[0], X[1:]) if isinstance(X, tuple) else (X, ())
    if isinstance(docs, FeaturizedBatch):
        ids, lengths = arrays_to_tensors(docs.ids, docs.lengths, model.shims[0].device)
    else:
        ids, lengths = featurize(model, docs)
    extra = tuple(tensor.to(ids.device) for tensor in extra)
    return ArgsKwargs(args=(ids, lengths, *extra), kwargs={}), lambda d_inputs: []


def _outputs_with_loss_backprop(model: Model, inputs_outputs, is_train: bool):
    """The module's named outputs as they are; backprop takes the scalar loss computed from them."""
    _, outputs = inputs_outputs

    def backprop(loss):
        return ArgsKwargs(args=(loss,), kwargs={"grad_tensors": torch.ones_like(loss)})

    return outputs, backprop


def featurize(model: Model, docs: Sequence[Doc]) -> Tuple[torch.Tensor, torch.Tensor]:
    """ids (B, T, F) long on the module's device and lengths (B,) long on CPU (what packing
    wants). ``model`` is the lazy model or its PyTorchWrapper layer."""
    wrapper = model if model.shims else _wrapper(model)
    return docs_to_tensors(wrapper.attrs["featurizer"], docs, wrapper.shims[0].device)


def docs_to_tensors(featurizer: DocFeaturizer, docs: Sequence[Doc], device) -> Tuple[torch.Tensor, torch.Tensor]:
    """The featurizer's ids (B, T, F) as a long tensor on ``device`` and lengths (B,) on CPU."""
    return arrays_to_tensors(*featurizer(list(docs)), device)


def arrays_to_tensors(ids, lengths, device) -> Tuple[torch.Tensor, torch.Tensor]:
    """numpy ids (B, T, F) → a long tensor on ``device`` (through pinned memory and a non-blocking
    copy on a GPU), lengths (B,) → a long tensor on CPU."""
    tensor = torch.from_numpy(ids)
    device = torch.device(device) if device is not None else torch.device("cpu")
    if device.type == "cuda":
        tensor = tensor.pin_memory().to(device, non_blocking=True)
    else:
        tensor = tensor.to(device)
    return tensor, torch.from_numpy(lengths)


def predict_outputs(model: Model, X: ModelInput):
    """The module's named outputs for the Docs (or ``(docs, *extra)``), in evaluation mode and
    without gradients."""
    return model.predict(X)


def module_loss(model: Model, outputs: Any, gold: Any) -> torch.Tensor:
    """The torch module's ``loss(outputs, gold)``: a scalar tensor (backprop of
    ``model.begin_update`` takes it)."""
    return torch_module(model).loss(outputs, gold)


def decode(model: Model, *args, **settings):
    """The module's ``decode`` (predictions from outputs; the translator's search from source
    tensors), without gradients."""
    with torch.no_grad():
        return torch_module(model).decode(*args, **settings)


def _wrapper(model: Model) -> Model:
    if not model.layers:
        raise ValueError(f"model {model.name!r} is not initialized: call nlp.initialize() first")
    return model.layers[0]


def _deserialize_weights(module: torch.nn.Module, data: bytes, device: torch.device):
    module.load_state_dict(load_safetensors(data))
    return module.to(device)


def torch_module(model: Model) -> torch.nn.Module:
    """The initialized torch module inside a lazy model (for export, explanations and tests)."""
    return _wrapper(model).shims[0]._model


def get_model_state(model: Model) -> Tuple[Dict[str, Any], bytes]:
    """JSON-able description (featurizer, dims, static width) and safetensors weight bytes."""
    module = torch_module(model)
    config = {
        "featurizer": model.attrs["featurizer"].to_dict(),
        "dims": {n: model.get_dim(n) for n in model.dim_names if model.has_dim(n)},
        "static_width": model.attrs.get("static_width", 0),
        "build_info": model.attrs["build_info"],
    }
    weights = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
    return config, save_safetensors(weights)


def set_model_state(model: Model, config: Dict[str, Any], weights: bytes) -> None:
    """Rebuild the torch module from :func:`get_model_state` output and load the weights."""
    for name, value in config["dims"].items():
        if name in model.dim_names:  # a dim older versions saved (e.g. n_tags) is derived now
            model.set_dim(name, value, force=True)
    model.attrs["static_width"] = config.get("static_width", 0)
    model.attrs["build_info"] = config.get("build_info", {})
    build_torch_layer(model, DocFeaturizer.from_dict(config["featurizer"]))
    module = torch_module(model)
    state = load_safetensors(weights)
    module.load_state_dict(state)
