"""Training data for nlp_rnn: read intent / slot data sets and convert them to spaCy DocBins.

Readers (one module per format) yield :class:`IntentRecord` objects lazily; :func:`convert`
turns any registered format (:data:`FORMATS`) into a ``.spacy`` file.

The names below are imported on first use (PEP 562), so importing a light module of this
package (the format registry, the records) does not load spaCy and torch.
"""

from importlib import import_module

# light (no spaCy): imported now. ``convert`` is both a module and its main function; importing it
# here binds the name to the function for good.
from .convert import FORMATS, ConvertReport, EmptyInputError, InputFormat, convert, get_format
from .records import IntentRecord, InvalidRecordError, ReadReport, Slot

_EAGER = [
    "FORMATS", "ConvertReport", "EmptyInputError", "InputFormat", "convert", "get_format",
    "IntentRecord", "InvalidRecordError", "ReadReport", "Slot",
]
_EXPORTS = {
    "SlotAlignment": "docbin",
    "intent_cats": "docbin",
    "records_to_doc": "docbin",
    "records_to_docbin": "docbin",
    "read_bmes": "bmes_format",
    "read_cais": "cais_format",
    "read_conll": "conll_format",
    "read_csv": "csv_format",
    "read_hf": "hf_format",
    "read_jsonl": "jsonl_format",
    "read_snips": "snips_format",
    "tags_to_slots": "tags",
    "tags_to_token_spans": "tags",
    "to_biluo": "tags",
}

__all__ = sorted(_EAGER + list(_EXPORTS))


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
