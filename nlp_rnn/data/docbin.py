"""Records → spaCy Docs (slots as ``doc.ents``, intents as ``doc.cats``) → a DocBin."""

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from .alignment import split_tokens_at_slots
from .records import IntentRecord

EMPTY_USER_DATA = b"\x80"  # msgpack of {}: the user_data of a Doc that has none


@dataclass
class SlotAlignment:
    """How many slots were written, and how many needed a token split to become token spans."""

    slots: int = 0
    split_slots: int = 0


def intent_cats(record: IntentRecord, all_intents: Sequence[str]) -> dict:
    """``{label: 1.0 or 0.0}`` over every label of the input; ``{}`` for a record with no intent.

    spaCy's text classifiers need every label in every example, so ``all_intents`` must hold every
    intent seen in the whole input, not only this record's.
    """
    if record.intent is None:
        return {}
    positive = set(record.intents)
    unknown = positive.difference(all_intents)
    if unknown:
        raise ValueError(f"intent {sorted(unknown)} is missing from all_intents")
    return {label: 1.0 if label in positive else 0.0 for label in all_intents}


def records_to_doc(
    record: IntentRecord,
    nlp: Language,
    all_intents: Sequence[str],
    *,
    alignment: Optional[SlotAlignment] = None,
) -> Doc:
    """The Doc for one record, tokenized by ``nlp.make_doc``.

    A token that a slot boundary falls inside is split at the boundary, so every slot becomes a
    token span; ``alignment`` (if given) counts the slots that needed it. ``doc.ents`` are the
    slots with their labels as given (tokens outside them are ``O``), ``doc.cats`` the intents
    (see :func:`intent_cats`), the translation (parallel data) ``doc.user_data["translation"]``.
    """
    doc, split = split_tokens_at_slots(nlp.make_doc(record.text), record.slots)
    spans = [doc.char_span(slot.start, slot.end, label=slot.label) for slot in record.slots]
    if any(span is None for span in spans):  # cannot happen after the split; guards the invariant
        raise AssertionError(f"slots {record.slots} not aligned to the tokens of {record.text!r}")
    doc.ents = spans
    doc.cats = intent_cats(record, all_intents)
    if record.translation is not None:
        doc.user_data["translation"] = record.translation
    if alignment is not None:
        alignment.slots += len(spans)
        alignment.split_slots += split
    return doc


def records_to_docbin(
    records: Iterable[IntentRecord],
    nlp: Language,
    all_intents: Sequence[str],
    *,
    alignment: Optional[SlotAlignment] = None,
) -> DocBin:
    """A DocBin of :func:`records_to_doc` for each record, consuming ``records`` one at a time.

    ``user_data`` (the translations of parallel data) is stored only when some Doc has any: an
    empty entry per Doc made every later read 16× slower (srsly's msgpack extension lookup)."""
    docbin = DocBin(store_user_data=True)
    for record in records:
        docbin.add(records_to_doc(record, nlp, all_intents, alignment=alignment))
    if not any(docbin.user_data[i] != EMPTY_USER_DATA for i in range(len(docbin))):
        docbin.store_user_data = False
        docbin.user_data = []
    return docbin
