"""Training data for nlp_rnn: read intent / slot data sets and convert them to spaCy DocBins.

Readers (one module per format) yield :class:`IntentRecord` objects lazily; :func:`convert`
turns any registered format (:data:`FORMATS`) into a ``.spacy`` file.
"""

from .bmes_format import read_bmes
from .cais_format import read_cais
from .convert import FORMATS, ConvertReport, InputFormat, convert, get_format
from .csv_format import read_csv
from .docbin import SlotAlignment, intent_cats, records_to_doc, records_to_docbin
from .hf_format import read_hf
from .jsonl_format import read_jsonl
from .records import IntentRecord, InvalidRecordError, ReadReport, Slot
from .snips_format import read_snips
from .tags import tags_to_slots, tags_to_token_spans, to_biluo

__all__ = [
    "FORMATS",
    "ConvertReport",
    "InputFormat",
    "IntentRecord",
    "InvalidRecordError",
    "ReadReport",
    "Slot",
    "SlotAlignment",
    "convert",
    "get_format",
    "intent_cats",
    "read_bmes",
    "read_cais",
    "read_csv",
    "read_hf",
    "read_jsonl",
    "read_snips",
    "records_to_doc",
    "records_to_docbin",
    "tags_to_slots",
    "tags_to_token_spans",
    "to_biluo",
]
