"""Per-token tags (BIO, BIOES, BILUO, BMES) to labelled spans, repairing broken sequences.

Tags are first read with the scheme's own prefixes (strict, see :mod:`nlp_rnn.tag_schemes`) and
mapped to spaCy's BILUO letters, then every ``I``/``L`` that does not continue an
open span of the same label (an ``I-x`` after ``O`` or after a ``y`` span) is repaired to start a
new span, and in schemes with explicit ends (all but BIO) a span left without its end tag is
closed. Each repair gets a message, so a caller can report them instead of fixing data silently.
The valid BILUO sequence is then read with spaCy's ``iob_utils``.
"""

from typing import List, Sequence, Tuple

from spacy.training.iob_utils import biluo_to_iob, iob_to_biluo, tags_to_entities

from ..tag_schemes import OUTSIDE, ends_explicitly, parse_tags
from .records import Slot

TokenSpan = Tuple[str, int, int]  # (label, first token, end token exclusive)


def to_biluo(tags: Sequence[str], scheme: str = "BIO") -> Tuple[List[str], List[str]]:
    """Valid BILUO tags for ``tags`` and one message per repair made on the way."""
    explicit_end = ends_explicitly(scheme)
    repaired: List[str] = []
    repairs: List[str] = []
    open_label = None
    for number, (letter, label) in enumerate(parse_tags(tags, scheme), start=1):
        if letter in "IL" and label != open_label:
            previous = tags[number - 2] if number > 1 else "the start"
            repairs.append(
                f"tag {number} {tags[number - 1]!r} follows {previous!r}: started a new span"
            )
            letter = "B" if letter == "I" else "U"
        elif letter not in "IL" and open_label is not None and explicit_end:
            repairs.append(f"span {open_label!r} before tag {number} has no end tag: closed it")
        repaired.append(OUTSIDE if letter == OUTSIDE else f"{letter}-{label}")
        open_label = label if letter in "BI" else None
    if open_label is not None and explicit_end:
        repairs.append(f"span {open_label!r} at the end has no end tag: closed it")
    # biluo_to_iob -> iob_to_biluo closes the spans BIO leaves open and keeps the rest as they are
    return iob_to_biluo(biluo_to_iob(repaired)), repairs


def tags_to_token_spans(
    tags: Sequence[str], scheme: str = "BIO"
) -> Tuple[List[TokenSpan], List[str]]:
    """``(label, start, end)`` token spans (end exclusive) and the repair messages."""
    biluo, repairs = to_biluo(tags, scheme)
    spans = [(label, start, end + 1) for label, start, end in tags_to_entities(biluo)]
    return spans, repairs


def tags_to_slots(
    tags: Sequence[str], offsets: Sequence[Tuple[int, int]], scheme: str = "BIO"
) -> Tuple[List[Slot], List[str]]:
    """Character-offset slots from per-token tags and each token's ``(start, end)`` offsets."""
    if len(tags) != len(offsets):
        raise ValueError(f"{len(tags)} tags for {len(offsets)} tokens")
    spans, repairs = tags_to_token_spans(tags, scheme)
    slots = [Slot(offsets[start][0], offsets[end - 1][1], label) for label, start, end in spans]
    return slots, repairs
