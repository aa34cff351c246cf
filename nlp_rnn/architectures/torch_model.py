"""A thinc Model around a torch module whose sizes are known only after ``initialize()``.

The vocabularies (a :class:`DocFeaturizer`) and the label count come from the training data, so
the torch module is built in the init callback, or when a saved pipeline is loaded, from the
JSON state written by :func:`get_model_state`. Weights travel as safetensors: no pickle, and a
model trained on GPU loads on CPU.
"""

from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from spacy.tokens import Doc
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v3, torch2xp, xp2torch

from ..featurizer import DocFeaturizer, static_vector_table
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
    """Build vocabularies from the Docs ``X`` and a freshly initialised torch module."""
    if not X:
        raise ValueError(f"model {model.name!r} needs training Docs to build its vocabulary")
    hparams = model.attrs["hparams"]
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
        module = model.layers[0].shims[0]._model
        _copy_static_vectors(module, static)


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
    wrapper = PyTorchWrapper_v3(module, convert_inputs=_docs_to_tensors, convert_outputs=_tensor_to_array)
    # the same shim PyTorchWrapper_v3 builds, but one that honours the optimizer's parameter averages
    wrapper._shims = [AveragingPyTorchShim(module, deserialize_model=_deserialize_weights)]
    wrapper.attrs["featurizer"] = featurizer
    model._layers = [wrapper]


def _docs_to_tensors(model: Model, docs: List[Doc], is_train: bool) -> Tuple[ArgsKwargs, Callable]:
    return docs_to_inputs(model, docs), lambda d_inputs: []


def docs_to_inputs(model: Model, docs: List[Doc]) -> ArgsKwargs:
    """(ids (batch, T, F), lengths (batch,)) tensors for the module; ids on the module's device.
    ``model`` is the lazy model or its PyTorchWrapper layer."""
    wrapper = model if model.shims else model.layers[0]
    ids, lengths = wrapper.attrs["featurizer"](docs)
    device = wrapper.shims[0].device
    return ArgsKwargs(args=(torch.from_numpy(ids).to(device), torch.from_numpy(lengths)), kwargs={})


def torch_predict(model: Model, docs: List[Doc]):
    """The module's raw outputs for ``docs`` in evaluation mode, without gradients."""
    return torch_shim(model).predict(docs_to_inputs(model, docs))


def torch_begin_update(model: Model, docs: List[Doc]):
    """Training-mode outputs and ``backprop_loss(loss_tensor)``, which backpropagates a scalar loss
    computed from those outputs; call ``model.finish_update(optimizer)`` afterwards."""
    outputs, backprop = torch_shim(model).begin_update(docs_to_inputs(model, docs))

    def backprop_loss(loss: torch.Tensor) -> None:
        backprop(ArgsKwargs(args=(loss,), kwargs={"grad_tensors": torch.ones_like(loss)}))

    return outputs, backprop_loss


def torch_shim(model: Model):
    """The PyTorchShim holding the built module (for custom training steps)."""
    if not model.layers:
        raise ValueError(f"model {model.name!r} is not initialized: call nlp.initialize() first")
    return model.layers[0].shims[0]


def _tensor_to_array(model: Model, inputs_outputs, is_train: bool):
    _, output = inputs_outputs
    array = torch2xp(output)

    def backprop(d_output):
        return ArgsKwargs(args=(output,), kwargs={"grad_tensors": xp2torch(d_output, device=output.device)})

    return array, backprop


def _deserialize_weights(module: torch.nn.Module, data: bytes, device: torch.device):
    module.load_state_dict(load_safetensors(data))
    return module.to(device)


def torch_module(model: Model) -> torch.nn.Module:
    """The initialized torch module inside a lazy model."""
    if not model.layers:
        raise ValueError(f"model {model.name!r} is not initialized")
    return model.layers[0].shims[0]._model


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
        model.set_dim(name, value, force=True)
    model.attrs["static_width"] = config.get("static_width", 0)
    model.attrs["build_info"] = config.get("build_info", {})
    build_torch_layer(model, DocFeaturizer.from_dict(config["featurizer"]))
    module = torch_module(model)
    state = load_safetensors(weights)
    module.load_state_dict(state)
