"""Checks for untrusted record fields (JSONL objects, CSV cells, dataset rows).

Each check returns the clean value or raises :class:`ValueError` whose message is the problem
alone; the reader adds the file and line by wrapping it in an ``InvalidRecordError``.
"""

from typing import Any, List

from .records import Intent, IntentRecord, Slot


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_text(value: Any) -> str:
    """The utterance text: a string that is not empty or only whitespace."""
    if not isinstance(value, str):
        raise ValueError(f'"text" must be a string, got {_type_name(value)}')
    if not value.strip():
        raise ValueError('"text" is empty')
    return value


def check_intent(value: Any) -> Intent:
    """``None``, one non-empty label, or a list of non-empty labels (multi-label)."""
    if value is None or (isinstance(value, str) and value):
        return value
    if isinstance(value, str):
        raise ValueError('"intent" is an empty string')
    if isinstance(value, list):
        for number, label in enumerate(value, start=1):
            if not isinstance(label, str) or not label:
                raise ValueError(
                    f'"intent" item {number} must be a non-empty string, got {label!r}'
                )
        return list(value)
    raise ValueError(
        f'"intent" must be a string, a list of strings or null, got {_type_name(value)}'
    )


def _check_slot(value: Any, number: int, text: str) -> Slot:
    if not isinstance(value, dict):
        raise ValueError(f"slot {number} must be an object, got {_type_name(value)}")
    for key in ("start", "end", "label"):
        if key not in value:
            raise ValueError(f'slot {number} is missing "{key}"')
    start, end, label = value["start"], value["end"], value["label"]
    for key, offset in (("start", start), ("end", end)):
        if not isinstance(offset, int) or isinstance(offset, bool):
            raise ValueError(f'slot {number}: "{key}" must be an int, got {offset!r}')
    if not isinstance(label, str) or not label:
        raise ValueError(f'slot {number}: "label" must be a non-empty string, got {label!r}')
    if start < 0 or end > len(text):
        raise ValueError(
            f"slot [{start}, {end}) {label!r} falls outside the text (length {len(text)})"
        )
    if end <= start:
        raise ValueError(f"slot [{start}, {end}) {label!r} is empty (end <= start)")
    return Slot(start, end, label)


def check_slots(value: Any, text: str) -> List[Slot]:
    """A list of ``{"start", "end", "label"}`` objects inside ``text`` that do not overlap."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f'"slots" must be a list, got {_type_name(value)}')
    slots = [_check_slot(item, number, text) for number, item in enumerate(value, start=1)]
    ordered = sorted(slots, key=lambda slot: (slot.start, slot.end))
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            raise ValueError(
                f"slot [{after.start}, {after.end}) {after.label!r} overlaps "
                f"slot [{before.start}, {before.end}) {before.label!r}"
            )
    return ordered


def check_record(text: Any, intent: Any = None, slots: Any = None) -> IntentRecord:
    """A record from untrusted values, or :class:`ValueError` naming the first problem."""
    clean_text = check_text(text)
    return IntentRecord(clean_text, check_intent(intent), check_slots(slots, clean_text))
