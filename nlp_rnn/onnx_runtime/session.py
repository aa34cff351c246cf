"""An onnxruntime session for an exported graph: thread settings, ``run(ids, lengths)`` for the
encoders and ``run_feeds`` for the step graphs of the translator and the language model."""

import os
from typing import Dict, List, Optional

import numpy

THREADS_ENV = "NLP_RNN_THREADS"
NEXT = "next_"  #: a step graph's output carrying state ``x`` to the next step is named ``next_x`` (ONNX names are unique)


def session_threads() -> Optional[int]:
    """Intra-op threads for onnxruntime: ``$NLP_RNN_THREADS``, else ``$OMP_NUM_THREADS``, else None
    (onnxruntime's default: one per physical core)."""
    for name in (THREADS_ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


class OnnxGraph:
    """Runs an exported graph (inputs ``ids`` (batch, T, F) int64 and ``lengths`` (batch,) int64).

    Idle threads sleep instead of spinning (the same reason as ``OMP_WAIT_POLICY=PASSIVE`` for
    torch: on a shared machine spinning threads steal each other's cores)."""

    def __init__(self, model_bytes: bytes, threads: Optional[int] = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        threads = threads if threads is not None else session_threads()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
        self.output_names: List[str] = [output.name for output in self.session.get_outputs()]
        self.input_names: List[str] = [item.name for item in self.session.get_inputs()]

    def run_feeds(self, feeds: Dict[str, numpy.ndarray]) -> Dict[str, numpy.ndarray]:
        """{input name: array} → {output name: array}; arrays the graph does not take are left out
        (the exporter drops inputs a graph never reads)."""
        outputs = self.session.run(self.output_names, {name: feeds[name] for name in self.input_names})
        return dict(zip(self.output_names, outputs))

    def run(self, ids: numpy.ndarray, lengths: numpy.ndarray) -> Dict[str, numpy.ndarray]:
        """ids (batch, T, F), lengths (batch,) → {output name: array}. A batch whose Docs are all
        empty (T = 0) is padded to one step, and lengths are at least 1, as in the torch encoder."""
        if ids.shape[1] == 0:
            ids = numpy.zeros((ids.shape[0], 1, ids.shape[2]), dtype="int64")
        lengths = numpy.maximum(lengths, 1).astype("int64")
        outputs = self.session.run(self.output_names, {"ids": ids.astype("int64", copy=False), "lengths": lengths})
        return dict(zip(self.output_names, outputs))
