"""Batch annotation of large corpora: streaming, resumable, nothing lost, local or on Ray.

    from nlp_rnn.annotate import annotate
    summary = annotate("training/model-best", "corpus.jsonl", "annotated.jsonl", n_process=2)

Modules, one concept each: ``inputs`` (the input formats' registry and ``InputSource``; one reader
per format in ``line_inputs`` and ``table_inputs`` behind ``input_reader.InputReader``), ``records``
(Doc → record, around :func:`nlp_rnn.records.doc_record`), ``provenance`` (what an output was made
from, checked by ``--resume``), ``annotator`` (a batch through a loaded pipeline → encoded lines), ``writer``
(the resumable ordered output), ``parquet_output``, ``local`` (this process or a process pool),
``ray_engine`` (Ray Data; imported only for ``engine="ray"``), ``summary`` (summary and progress).
"""

from .annotator import Annotator, EncodedBatch, load_annotator
from .errors import AnnotateError
from .inputs import InputSource, SourceRecord
from .records import RecordSpec, annotation_record, error_record
from .runner import annotate
from .summary import AnnotateSummary

__all__ = [
    "annotate",
    "AnnotateSummary",
    "AnnotateError",
    "Annotator",
    "EncodedBatch",
    "InputSource",
    "SourceRecord",
    "RecordSpec",
    "annotation_record",
    "error_record",
    "load_annotator",
]
