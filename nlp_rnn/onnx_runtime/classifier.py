"""The exported intent / joint / tagger graph: the featurizer's ids → the graph's outputs
(``intent_logits`` (n, members, C), ``emissions`` (n, T, tags), ``features`` (n, width)), and for
taggers the CRF (:class:`~nlp_rnn.onnx_runtime.numpy_crf.NumpyCRF`) that decodes the emissions."""

from typing import Any, Dict, List, Optional

import numpy
from spacy.tokens import Doc

from ..featurizer import DocFeaturizer
from ..length_buckets import length_buckets
from .numpy_crf import NumpyCRF
from .parts import BYTES, CRF_FILE, FEATURIZER_FILE, JSON, MODEL_FILE
from .session import OnnxGraph

LENGTH_CHUNK = 32  # docs per graph call in a large batch (sorted by length)
#: (file, kind, required) of an exported intent / joint / tagger component
CLASSIFIER_PARTS = ((FEATURIZER_FILE, JSON, True), (MODEL_FILE, BYTES, True), (CRF_FILE, JSON, False))


def load_classifier_runtime(parts: Dict[str, Any]) -> "ClassifierRuntime":
    """The runtime of an exported intent / joint / tagger component from its parts."""
    crf = NumpyCRF.from_dict(parts[CRF_FILE]) if parts.get(CRF_FILE) else None
    return ClassifierRuntime(DocFeaturizer.from_dict(parts[FEATURIZER_FILE]), parts[MODEL_FILE], crf)


class ClassifierRuntime:
    """One graph over the featurizer's ids, and the CRF of a tagger (None for an intent graph)."""

    def __init__(self, featurizer: DocFeaturizer, model_bytes: bytes, crf: Optional[NumpyCRF]):
        self.featurizer = featurizer
        self.model_bytes = model_bytes
        self.graph = OnnxGraph(model_bytes)
        self.crf = crf

    def run(self, docs: List[Doc]) -> Dict[str, numpy.ndarray]:
        """The graph's outputs for ``docs`` (rows in input order; ``emissions`` padded to the
        longest doc). Large batches run as chunks of docs of similar length: unlike torch's
        packed sequences, the ONNX recurrent layers compute every padding step."""
        ids, lengths = self.featurizer(docs)
        if len(docs) <= LENGTH_CHUNK:
            return self.graph.run(ids, lengths)
        chunks = []
        for bucket in length_buckets(lengths.tolist(), LENGTH_CHUNK):
            rows = numpy.asarray(bucket)
            width = max(1, int(lengths[rows].max()))
            chunks.append((rows, self.graph.run(ids[rows, :width], lengths[rows])))
        outputs = {}
        for name, first in chunks[0][1].items():
            shape = list(first.shape)
            shape[0] = len(docs)
            if name == "emissions":
                shape[1] = max(chunk[name].shape[1] for _, chunk in chunks)
            merged = numpy.zeros(shape, dtype=first.dtype)
            for rows, chunk in chunks:
                merged[(rows, *[slice(0, n) for n in chunk[name].shape[1:]])] = chunk[name]
            outputs[name] = merged
        return outputs
