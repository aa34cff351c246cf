"""Exporting the sequence heads: ``rnn_translator`` (encoder + decoder-step graphs) and ``rnn_lm``
(one step graph), traced with dynamic rows and lengths like :func:`.to_onnx.export_graph`.

Each writer fills a component folder and returns the ``config.cfg`` block of the exported
component and a summary; :func:`.to_onnx.export_pipeline` calls them.
"""

import io
import warnings
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import srsly
import torch
from spacy.language import Language

from ..architectures.torch_model import featurize, torch_module
from ..char_vocab import BOUNDARY
from ..onnx_runtime.parts import ENCODER_FILE, FEATURIZER_FILE, LM_FILE, STEP_FILE, VOCAB_FILE
from ..onnx_runtime.session import NEXT
from ..target_vocab import BOS
from .sequence_graphs import LMStepGraph, TranslatorEncoderGraph, TranslatorStepGraph
EXAMPLE_SOURCES = ["我很好。", "他是我的朋友 and a longer example"]  # two lengths, any language
ROWS, SOURCE = "rows", "source"
EXPORTED_HPARAMS = ("max_target_length", "target_lang", "target_units", "attention")  #: what the exported translator reads
STATE_AXES = {"memory": {0: ROWS, 1: SOURCE}, "mask": {0: ROWS, 1: SOURCE}, "keys": {0: ROWS, 1: SOURCE},
              "hidden": {0: ROWS}, "cell": {0: ROWS}, "att_vector": {0: ROWS}}


def trace(graph: torch.nn.Module, example: Tuple[torch.Tensor, ...], input_names: Sequence[str], output_names: Sequence[str],
          dynamic_axes: Dict[str, Dict[int, str]], opset: int) -> bytes:
    """ONNX bytes of ``graph`` traced on ``example`` (legacy TorchScript exporter: recurrent layers
    stay single ``GRU`` / ``LSTM`` nodes)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer warnings
        torch.onnx.export(
            graph, example, buffer, dynamo=False, input_names=list(input_names), output_names=list(output_names),
            dynamic_axes={k: v for k, v in dynamic_axes.items() if k in input_names or k in output_names}, opset_version=opset,
        )
    return buffer.getvalue()


def export_translator(pipe, nlp: Language, folder: Path, opset: int) -> Tuple[Dict, Dict[str, bytes], List[str]]:
    """The ``rnn_translator_onnx`` block (decoding settings as the torch pipe runs them), the
    graphs {file: bytes} and the step graph's output names; writes ``cfg`` and ``featurizer.json``."""
    module = torch_module(pipe.model)
    was_training = module.training
    module.eval()
    try:
        encoder = TranslatorEncoderGraph(module).to("cpu")
        step = TranslatorStepGraph(encoder)
        ids, lengths = (t.to("cpu") for t in featurize(pipe.model, [nlp.make_doc(text) for text in EXAMPLE_SOURCES]))
        encoder_bytes = trace(encoder, (ids, lengths), ["ids", "lengths"], encoder.output_names,
                              {"ids": {0: "batch", 1: "time"}, "lengths": {0: "batch"}, **STATE_AXES}, opset)
        with torch.no_grad():
            rows = torch.tensor([0, 0, 1])  # three rows, one sentence twice (a beam)
            state = [value.index_select(0, rows) for value in encoder(ids, lengths)]
        prev, n_best = torch.tensor([BOS, BOS + 3, BOS + 5]), torch.tensor(2)
        axes = {"prev": {0: ROWS}, "top_log_probs": {0: ROWS, 1: "best"}, "top_ids": {0: ROWS, 1: "best"}, "weights": {0: ROWS, 1: SOURCE},
                **STATE_AXES}
        axes.update({NEXT + name: {0: ROWS} for name in ("hidden", "cell", "att_vector")})
        step_bytes = trace(step, (prev, n_best, *state), step.input_names, step.output_names, axes, opset)
    finally:
        module.train(was_training)
    cfg = dict(pipe.cfg, exported_from="rnn_translator", target_vocab=pipe.target_vocab.to_dict(),
               hparams={key: pipe.hparams[key] for key in EXPORTED_HPARAMS})
    srsly.write_json(folder / "cfg", cfg)
    srsly.write_json(folder / FEATURIZER_FILE, pipe.model.attrs["featurizer"].to_dict())
    block = {"factory": pipe.task.exported_factory, "beam_size": pipe.beam_size, "length_penalty": pipe.length_penalty,
             "max_length_ratio": pipe.max_length_ratio, "max_length_offset": pipe.max_length_offset, "store_attention": pipe.store_attention}
    return block, {ENCODER_FILE: encoder_bytes, STEP_FILE: step_bytes}, list(step.output_names)


def export_lm(pipe, nlp: Language, folder: Path, opset: int) -> Tuple[Dict, Dict[str, bytes], List[str]]:
    """The ``rnn_lm_onnx`` block, the step graph {file: bytes} and its output names; writes
    ``cfg`` and the character vocabulary."""
    module = pipe.module
    graph = LMStepGraph(module).to("cpu")
    width = module.num_layers, module.hidden_size
    ids = torch.tensor([[BOUNDARY, 3, 4], [BOUNDARY, 5, 6]])
    state = [torch.zeros(2, *width) for _ in graph.input_names[1:]]
    axes = {"ids": {0: ROWS, 1: "time"}, "logits": {0: ROWS}, "hidden": {0: ROWS}, "cell": {0: ROWS}, NEXT + "hidden": {0: ROWS}, NEXT + "cell": {0: ROWS}}
    graph_bytes = trace(graph, (ids, *state), graph.input_names, graph.output_names, axes, opset)
    srsly.write_json(folder / "cfg", dict(pipe.cfg, exported_from="rnn_lm", num_layers=module.num_layers, hidden_size=module.hidden_size))
    srsly.write_json(folder / VOCAB_FILE, pipe.char_vocab.to_dict())
    return {"factory": pipe.task.exported_factory}, {LM_FILE: graph_bytes}, list(graph.output_names)
