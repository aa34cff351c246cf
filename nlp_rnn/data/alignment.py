"""Re-tokenize a Doc so that every slot starts and ends on a token boundary.

Tokenizers cut through gold spans (jieba writes ``听安和桥`` for "play 安和桥", merging the song
name with the verb), and a word-level tagger can never predict such a span. Where a slot boundary
falls inside a token, the token is split there. A token's trailing space becomes a token of its
own only when a slot starts or ends at it; otherwise spaces stay attached as spaCy writes them
(``spacy.util.get_words_and_spaces`` always re-attaches single spaces, so it cannot express
such slots).
"""

from typing import List, Sequence, Set, Tuple

from spacy.tokens import Doc

from .records import Slot


def misaligned_slots(doc: Doc, slots: Sequence[Slot]) -> List[Slot]:
    """The slots whose start or end is not a token boundary of ``doc``."""
    starts = {token.idx for token in doc}
    ends = {token.idx + len(token) for token in doc}
    return [slot for slot in slots if slot.start not in starts or slot.end not in ends]


def _pieces(doc: Doc, cuts: Set[int], starts: Set[int], ends: Set[int]):
    """(text, trailing space, original token or None if split) for the re-tokenized doc."""
    for token in doc:
        start, end = token.idx, token.idx + len(token)
        bounds = [start, *sorted(cut for cut in cuts if start < cut < end), end]
        original = token if len(bounds) == 2 else None
        for index, (left, right) in enumerate(zip(bounds, bounds[1:])):
            last = index == len(bounds) - 2
            attached = last and token.whitespace_ and end not in starts and end + 1 not in ends
            yield doc.text[left:right], bool(attached), original
        if token.whitespace_ and not attached:
            yield token.whitespace_, False, None


def split_tokens_at_slots(doc: Doc, slots: Sequence[Slot]) -> Tuple[Doc, int]:
    """``doc`` re-tokenized so every slot is a token span, and how many slots needed a split.

    When no slot needs it, ``doc`` itself comes back unchanged. Unsplit tokens keep their
    tokenizer norm (e.g. ``n't`` → ``not``).
    """
    misaligned = misaligned_slots(doc, slots)
    if not misaligned:
        return doc, 0
    starts = {slot.start for slot in slots}
    ends = {slot.end for slot in slots}
    pieces = list(_pieces(doc, starts | ends, starts, ends))
    new_doc = Doc(
        doc.vocab,
        words=[text for text, _, _ in pieces],
        spaces=[space for _, space, _ in pieces],
    )
    for new_token, (_, _, original) in zip(new_doc, pieces):
        if original is not None and original.norm != new_token.norm:
            new_token.norm_ = original.norm_
    return new_doc, len(misaligned)
