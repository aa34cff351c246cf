"""``nlp-rnn export``: a trained pipeline → a pipeline folder whose components run onnxruntime.

The pipeline is saved as it is (tokenizer, vocab, other components), then every ``rnn_intent`` /
``rnn_joint`` / ``rnn_tagger`` component folder is replaced by an exported one (the task's parts:
:class:`nlp_rnn.export.exported_pipe.ExportedPipe`) and its ``config.cfg`` block by the task's
exported factory (:mod:`nlp_rnn.export.onnx_components`); ``rnn_translator`` and ``rnn_lm`` become
step graphs run in a numpy loop (:mod:`nlp_rnn.export.sequence_export`). The
torch module is traced once with dynamic batch and sequence axes (legacy TorchScript exporter,
which keeps the RNNs as single ONNX ``LSTM`` / ``GRU`` / ``RNN`` nodes), from an example batch of
two Docs of different lengths; the caller checks parity at other shapes. Without the ``onnx``
package (or onnxruntime for ``quantize``) :class:`ExportError` says which extra to install,
before the output folder is touched (:mod:`.requirements`).
"""

import io
import shutil
import warnings
from pathlib import Path
from typing import Dict, List

import srsly
import torch
from spacy.language import Language

from ..architectures.torch_model import featurize, torch_module
from ..oos.scores import uses_gaussians
from ..oos.settings import oos_block
from ..onnx_runtime.parts import CRF_FILE, FEATURIZER_FILE, MODEL_FILE
from .exportable import IntentGraph, JointGraph
from .requirements import ExportError, check_export_modules
from .sequence_export import export_lm, export_translator

#: the torch components a pipeline's export replaces (each pipe's task names the exported factory)
CLASSIFIER_FACTORIES = ("rnn_intent", "rnn_joint", "rnn_tagger")
SEQUENCE_EXPORTERS = {"rnn_translator": export_translator, "rnn_lm": export_lm}
EXPORTED_FACTORIES = (*CLASSIFIER_FACTORIES, *SEQUENCE_EXPORTERS)

__all__ = ["ExportError", "export_pipeline", "export_graph", "export_sequence_head", "crf_state"]

OPSET = 17
EXAMPLE_TEXTS = ["a short example", "a slightly longer example sentence for tracing"]


def export_pipeline(nlp: Language, output: Path, quantize: bool = False) -> Dict[str, Dict]:
    """Write ``nlp`` to ``output`` with its recurrent components as ONNX graphs.

    ``quantize``: dynamic int8 quantization of the graphs' matrix products and recurrent layers
    (onnxruntime). Returns {component: {"factory", "outputs", "quantized", "bytes"}}.
    """
    output = Path(output)
    names = [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory in EXPORTED_FACTORIES]
    if not names:
        factories = [nlp.get_pipe_meta(name).factory for name in nlp.pipe_names]
        raise ExportError(f"no exportable component: ONNX export supports {sorted(EXPORTED_FACTORIES)}, the pipeline has {factories}")
    check_export_modules(quantize)
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    config = nlp.config.copy()
    summary = {}
    for name in names:
        factory = nlp.get_pipe_meta(name).factory
        pipe = nlp.get_pipe(name)
        if factory in SEQUENCE_EXPORTERS:
            config["components"][name], summary[name] = export_sequence_head(pipe, nlp, output / name, factory, quantize)
            continue
        graph_bytes, output_names = export_graph(pipe, nlp)
        if quantize:
            from .quantize import quantize_graph

            graph_bytes = quantize_graph(graph_bytes)
        folder = output / name
        shutil.rmtree(folder)
        folder.mkdir()
        cfg = dict(pipe.cfg, exported_from=factory, quantized=quantize)
        if factory != "rnn_intent":
            module = torch_module(pipe.model)
            cfg["use_crf"] = bool(module.slot_head.use_crf) if module.slot_head is not None else True
            if module.slot_head is not None:
                srsly.write_json(folder / CRF_FILE, crf_state(module.slot_head.crf))
        srsly.write_json(folder / "cfg", cfg)
        srsly.write_json(folder / FEATURIZER_FILE, pipe.model.attrs["featurizer"].to_dict())
        (folder / MODEL_FILE).write_bytes(graph_bytes)
        block = {"factory": pipe.task.exported_factory}
        if factory != "rnn_intent":
            block["span_confidence"] = bool(getattr(pipe, "span_confidence", True))
        config["components"][name] = block
        summary[name] = {"factory": pipe.task.exported_factory, "outputs": output_names, "quantized": quantize, "bytes": len(graph_bytes)}
    config.to_disk(output / "config.cfg")
    return summary


def export_sequence_head(pipe, nlp: Language, folder: Path, factory: str, quantize: bool) -> "tuple[Dict, Dict]":
    """Write an ``rnn_translator`` / ``rnn_lm`` component folder (:mod:`.sequence_export`): its
    config block and summary."""
    shutil.rmtree(folder)
    folder.mkdir()
    block, graphs, output_names = SEQUENCE_EXPORTERS[factory](pipe, nlp, folder, OPSET)
    if quantize:
        from .quantize import quantize_graph

        graphs = {file: quantize_graph(data) for file, data in graphs.items()}
    for file, data in graphs.items():
        (folder / file).write_bytes(data)
    cfg = dict(srsly.read_json(folder / "cfg"), quantized=quantize)
    srsly.write_json(folder / "cfg", cfg)
    summary = {"factory": block["factory"], "outputs": output_names, "quantized": quantize, "bytes": sum(len(d) for d in graphs.values())}
    return block, summary


def export_graph(pipe, nlp: Language) -> "tuple[bytes, List[str]]":
    """The ONNX bytes of one component's torch module and its output names."""
    module = torch_module(pipe.model)
    was_training = module.training
    module.eval()
    with_features = uses_gaussians(oos_block(pipe.cfg)["score"]) and bool(pipe.cfg.get("oos_gaussian"))
    graph_class = IntentGraph if nlp.get_pipe_meta(pipe.name).factory == "rnn_intent" else JointGraph
    graph = graph_class(module, with_features=with_features)
    graph.eval()
    example = featurize(pipe.model, [nlp.make_doc(text) for text in EXAMPLE_TEXTS])
    example = tuple(tensor.to("cpu") for tensor in example)
    graph.to("cpu")
    output_names = list(graph.output_names)
    dynamic_axes = {"ids": {0: "batch", 1: "time"}, "lengths": {0: "batch"}, "intent_logits": {0: "batch"}, "emissions": {0: "batch", 1: "time"}, "features": {0: "batch"}}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer warnings
        torch.onnx.export(
            graph, example, buffer, dynamo=False, input_names=["ids", "lengths"], output_names=output_names,
            dynamic_axes={k: v for k, v in dynamic_axes.items() if k in ("ids", "lengths") or k in output_names},
            opset_version=OPSET,
        )
    module.train(was_training)
    return buffer.getvalue(), output_names


def crf_state(crf) -> Dict:
    """The CRF's scores and transition masks as JSON-able lists (for :class:`NumpyCRF`)."""
    return {
        "transitions": crf.transitions.detach().cpu().double().tolist(),
        "start": crf.start.detach().cpu().double().tolist(),
        "end": crf.end.detach().cpu().double().tolist(),
        "allowed": crf.allowed.cpu().tolist(),
        "allowed_start": crf.allowed_start.cpu().tolist(),
        "allowed_end": crf.allowed_end.cpu().tolist(),
    }
