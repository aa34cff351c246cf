"""``rnn_lm_onnx``: the exported ``rnn_lm`` for ``nlp-rnn generate``, run by onnxruntime, no torch.

One step graph (:class:`~nlp_rnn.export.sequence_graphs.LMStepGraph`: ids (B, T), state (B, L, H)
→ next-character logits (B, V), new state) behind the same step API as the torch component
(:class:`OnnxLMSteps`), so :mod:`nlp_rnn.generation.generator` samples from either with the same
numpy sampling and random streams. The component scores nothing (``doc._.lm_log_loss`` stays
unset): it exists to generate.

A component folder holds ``cfg`` (the torch component's settings, ``num_layers``,
``hidden_size``), ``chars.json`` (the character vocabulary) and ``lm_step.onnx``.
"""

from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc

from ..char_vocab import CharVocab
from .exported_pipe import BYTES, JSON, ExportedPipe
from .onnx_session import NEXT, OnnxGraph

LM_FILE = "lm_step.onnx"
VOCAB_FILE = "chars.json"

State = Dict[str, numpy.ndarray]


@Language.factory("rnn_lm_onnx", assigns=[], default_config={})
def make_rnn_lm_onnx(nlp: Language, name: str) -> "OnnxLanguageModel":
    """``rnn_lm`` exported to ONNX (see ``nlp-rnn export``): sampling with ``nlp-rnn generate``."""
    return OnnxLanguageModel(nlp.vocab, name)


class OnnxLMSteps:
    """The sampling step API (see :class:`nlp_rnn.generation.torch_steps.TorchLMSteps`) over the
    step graph; the state is {"hidden": (rows, L, H)[, "cell": (rows, L, H)]}."""

    def __init__(self, graph: OnnxGraph, num_layers: int, hidden_size: int):
        self.graph = graph
        self.shape = (num_layers, hidden_size)
        self.state_names = [name for name in graph.input_names if name != "ids"]

    def __enter__(self) -> "OnnxLMSteps":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def _run(self, ids: numpy.ndarray, state: State) -> Tuple[numpy.ndarray, State]:
        outputs = self.graph.run_feeds(dict(state, ids=ids))
        return outputs["logits"], {name: outputs[NEXT + name] for name in self.state_names}

    def start(self, ids: List[int], rows: int) -> Tuple[numpy.ndarray, State]:
        """ids: the prompt's ids (BOUNDARY first) → logits (rows, V), state for ``rows`` rows."""
        zeros = {name: numpy.zeros((1, *self.shape), dtype="float32") for name in self.state_names}
        logits, state = self._run(numpy.asarray([ids], dtype="int64"), zeros)
        return numpy.repeat(logits, rows, axis=0), {name: numpy.repeat(value, rows, axis=0) for name, value in state.items()}

    def advance(self, ids: numpy.ndarray, state: State, reset: Optional[numpy.ndarray] = None) -> Tuple[numpy.ndarray, State]:
        """ids (rows,) int64; ``reset`` (rows,) bool or None → logits (rows, V), the new state."""
        if reset is not None and reset.any():
            keep = (~reset).astype("float32")[:, None, None]
            state = {name: value * keep for name, value in state.items()}
        return self._run(numpy.asarray(ids, dtype="int64")[:, None], state)


class OnnxLanguageModel(ExportedPipe):
    """The exported character language model (see the module docstring)."""

    PARTS = ((VOCAB_FILE, JSON, True), (LM_FILE, BYTES, True))

    def __init__(self, vocab, name: str):
        self.vocab = vocab
        self.name = name
        self.cfg: Dict = {}
        self.chars: Optional[CharVocab] = None
        self.graph: Optional[OnnxGraph] = None
        self.model_bytes = b""

    @property
    def is_ready(self) -> bool:
        return self.graph is not None

    @property
    def char_vocab(self) -> CharVocab:
        return self.chars

    def sampling_steps(self) -> OnnxLMSteps:
        """The step API that :mod:`nlp_rnn.generation.generator` samples from."""
        return OnnxLMSteps(self.graph, self.cfg["num_layers"], self.cfg["hidden_size"])

    def __call__(self, doc: Doc) -> Doc:
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        yield from stream

    def parts(self) -> Dict:
        return {} if self.chars is None else {VOCAB_FILE: self.chars.to_dict(), LM_FILE: self.model_bytes}

    def set_parts(self, cfg: Dict, parts: Dict) -> None:
        self.cfg.update(cfg)
        self.chars = CharVocab.from_dict(parts[VOCAB_FILE])
        self.model_bytes = parts[LM_FILE]
        self.graph = OnnxGraph(self.model_bytes)
