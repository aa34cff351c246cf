"""The character language-model task: ``doc._.lm_log_loss`` (summed nats of a Doc's characters)
and ``doc._.lm_chars`` (their number), cross-entropy scores, and the step API that
``nlp-rnn generate`` samples from (:mod:`nlp_rnn.generation.generator`).

A document is read as ``BOUNDARY c1 ... cn`` and predicts ``c1 ... cn BOUNDARY``; the scores
(``lm_cross_entropy`` in nats per character, ``lm_bits_per_char``, ``lm_perplexity``,
``lm_char_prob`` = exp(−nats), the score spaCy's loop maximises) count the characters of the text
only. Predictions, from the torch model or the exported step graph: (nats, characters) per Doc.
No torch here: the torch half (training with truncated backpropagation through time, chunked
scoring) is :class:`nlp_rnn.pipeline.lm.LMTorchTask`.
"""

import math
from typing import Any, Dict, List, Tuple

import numpy
from spacy.tokens import Doc

from ..char_vocab import BOUNDARY, CharVocab
from ..onnx_runtime.lm_steps import OnnxLMSteps
from ..onnx_runtime.numpy_crf import log_softmax
from ..onnx_runtime.parts import BYTES, JSON, LM_FILE, VOCAB_FILE
from ..onnx_runtime.session import OnnxGraph
from .task import Task

LMPredictions = List[Tuple[float, int]]
#: documents scored side by side by the exported step graph
EXPORTED_SCORING_ROWS = 64


def lm_scores(nats: float, count: int) -> Dict[str, Any]:
    """``lm_cross_entropy`` (nats/char), ``lm_bits_per_char``, ``lm_perplexity``, ``lm_char_prob``
    from summed nats over ``count`` characters (all None when ``count`` is 0)."""
    if not count:
        return {"lm_cross_entropy": None, "lm_bits_per_char": None, "lm_perplexity": None, "lm_char_prob": None}
    ce = nats / count
    return {"lm_cross_entropy": ce, "lm_bits_per_char": ce / math.log(2), "lm_perplexity": math.exp(ce), "lm_char_prob": math.exp(-ce)}


class LMRuntime:
    """An exported language model: its characters and its step graph."""

    def __init__(self, chars: CharVocab, graph_bytes: bytes, num_layers: int, hidden_size: int):
        self.chars = chars
        self.steps = OnnxLMSteps(OnnxGraph(graph_bytes), num_layers, hidden_size)


class LMTask(Task):
    """Character language model; ``pipe.char_vocab``, ``pipe.is_ready``, ``pipe.sampling_steps()``."""

    factory = "rnn_lm"
    exported_factory = "rnn_lm_onnx"
    exposes = ("char_vocab", "is_ready", "sampling_steps")
    exposed_methods = ("sampling_steps",)
    exported_parts = ((VOCAB_FILE, JSON, True), (LM_FILE, BYTES, True))

    def char_vocab(self, pipe) -> CharVocab:
        return pipe.runtime.chars

    def is_ready(self, pipe) -> bool:
        """Whether the model has weights (is initialized or loaded)."""
        return pipe.runtime is not None

    def sampling_steps(self, pipe) -> OnnxLMSteps:
        """The step API that :mod:`nlp_rnn.generation.generator` samples from (a context manager)."""
        return pipe.runtime.steps

    def predict_exported(self, pipe, docs: List[Doc]) -> LMPredictions:
        """(nats, characters) per Doc from the step graph, one character at a time, up to
        :data:`EXPORTED_SCORING_ROWS` documents side by side (each from the zero state)."""
        results: LMPredictions = [(0.0, 0) for _ in docs]
        runtime = pipe.runtime
        for start in range(0, len(docs), EXPORTED_SCORING_ROWS):
            rows = list(range(start, min(len(docs), start + EXPORTED_SCORING_ROWS)))
            encoded = [runtime.chars.encode(docs[i].text) for i in rows]
            steps = max(len(ids) for ids in encoded)  # step t reads BOUNDARY or character t - 1, predicts character t
            inputs = numpy.full((len(rows), steps), BOUNDARY, dtype="int64")
            targets = numpy.full((len(rows), steps), -1, dtype="int64")  # -1: past the end of the text
            for row, ids in enumerate(encoded):
                inputs[row, 1 : len(ids)] = ids[:-1]
                targets[row, : len(ids)] = ids
            nats = numpy.zeros(len(rows), dtype="float64")
            state = runtime.steps.zero_state(len(rows))
            for t in range(steps):
                logits, state = runtime.steps.step(inputs[:, t : t + 1], state)
                counted = targets[:, t] >= 0
                nats[counted] -= log_softmax(logits[counted])[numpy.arange(int(counted.sum())), targets[counted, t]]
            for row, i in enumerate(rows):
                results[i] = (float(nats[row]), len(encoded[row]))
        return results

    def write(self, pipe, docs: List[Doc], predictions: LMPredictions) -> None:
        for doc, (nats, count) in zip(docs, predictions):
            doc._.lm_log_loss = nats
            doc._.lm_chars = count

    def score(self, pipe, examples) -> Dict[str, Any]:
        """Cross-entropy over all scored characters of ``examples``."""
        nats, count = 0.0, 0
        for eg in examples:
            if eg.predicted._.lm_chars:
                nats += eg.predicted._.lm_log_loss
                count += eg.predicted._.lm_chars
        return lm_scores(nats, count)

    def load_runtime(self, pipe, parts: Dict[str, Any]) -> LMRuntime:
        return LMRuntime(CharVocab.from_dict(parts[VOCAB_FILE]), parts[LM_FILE], pipe.cfg["num_layers"], pipe.cfg["hidden_size"])
