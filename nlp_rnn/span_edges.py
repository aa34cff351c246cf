"""A predicted span without the whitespace, punctuation and emoji at its edges.

spaCy gives extra spaces their own token (``"in  New  York"`` → ``in``, ``" "``, ``New`` …), and
a tagger may stretch a span over a quote, a comma or an emoji (``'Beyoncé 🎵'``). Records name a
slot by its content: the span from its first to its last token that has a character other than
whitespace, punctuation, emoji or another pictographic symbol. Currency and maths signs (``$5``,
``+44``) and ``%`` (``50%``) belong to their quantity and are kept.
"""

import unicodedata
from typing import Optional, Tuple

from spacy.tokens import Span, Token

# Unicode categories of characters that carry no slot value: punctuation (P*), separators (Z*),
# controls and format characters (Cc, Cf: the emoji zero-width joiner), combining marks (Mn, Me:
# the emoji variation selector), other and modifier symbols (So, Sk: emoji, skin tones, ©)
EDGE_CATEGORIES = ("P", "Z", "Cc", "Cf", "Mn", "Me", "So", "Sk")
KEPT_SIGNS = frozenset("%‰‱")


def is_edge_noise(token: Token) -> bool:
    """Whether ``token`` has no character that could be part of a slot's value."""
    return all(char not in KEPT_SIGNS and unicodedata.category(char).startswith(EDGE_CATEGORIES) for char in token.text)


def content_bounds(span: Span) -> Optional[Tuple[int, int]]:
    """(start, end) token indices in ``span.doc`` of the span trimmed to its content, or None when
    every token of the span is whitespace, punctuation or emoji."""
    doc, start, end = span.doc, span.start, span.end
    while start < end and is_edge_noise(doc[start]):
        start += 1
    while end > start and is_edge_noise(doc[end - 1]):
        end -= 1
    return (start, end) if start < end else None
