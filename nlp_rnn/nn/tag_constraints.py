"""Which tag may follow which in BIO and BIOES (= BILUO, BMES) tag sets, as CRF masks.

Tags are ``O`` or ``PREFIX-label``. In ``BIO`` the prefixes are ``B`` (begin) and ``I``
(inside); in ``BIOES`` a span also ends explicitly: ``B``, ``I``, ``E`` (end), ``S`` (single).
BILUO (``B I L U``, spaCy's letters) and BMES (``B M E S``, Chinese NER data) are the same
scheme with other letters. Tags are read leniently (see :mod:`nlp_rnn.tag_schemes`): any of
those letters is accepted under the names ``BIOES``, ``BILUO`` and ``BMES``, since the masks
depend only on each tag's role. :func:`parse_tag` is :func:`nlp_rnn.tag_schemes.parse_tag`
(strict unless called with ``lenient=True``).

Rules (``x``, ``y`` labels):

- BIO: ``I-x`` only after ``B-x`` or ``I-x``; everything else anywhere.
- BIOES: after ``O``, ``E-x``, ``S-x`` (no open span) or at the start come ``O``, ``B-y``,
  ``S-y``; after ``B-x``, ``I-x`` (an open span) come ``I-x``, ``E-x``; the last tag closes
  every span (``O``, ``E-x``, ``S-x``).
"""

from typing import Optional, Sequence, Tuple

import torch

from ..tag_schemes import Parsed, ends_explicitly, parse_tag, parse_tags

__all__ = ["allowed_transitions", "is_well_formed", "parse_tag"]


def _closed(tag: Optional[Parsed]) -> bool:
    """BIOES: whether no span is open after ``tag`` (None: before the first tag)."""
    return tag is None or tag[0] in "OLU"


def _may_follow(previous: Optional[Parsed], tag: Parsed, explicit_ends: bool) -> bool:
    """Whether ``tag`` may come after ``previous`` (None: at the start); ``explicit_ends``: BIOES
    rules, else BIO."""
    role, label = tag
    if not explicit_ends:
        if role != "I":
            return True
        return previous is not None and previous[0] in "BI" and previous[1] == label
    if _closed(previous):
        return role in "OBU"
    return role in "IL" and previous[1] == label


def _may_end(tag: Parsed, explicit_ends: bool) -> bool:
    return not explicit_ends or tag[0] in "OLU"


def allowed_transitions(
    tags: Sequence[str], scheme: str = "BIO"
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Masks for :class:`~nlp_rnn.nn.crf.CRF` over ``tags`` (in the CRF's tag order).

    Returns ``allowed`` (K, K) bool (``allowed[i, j]``: tag j may follow tag i),
    ``allowed_start`` (K,) and ``allowed_end`` (K,). :class:`ValueError` for a tag outside the
    scheme.
    """
    parsed = parse_tags(tags, scheme, lenient=True)
    explicit_ends = ends_explicitly(scheme)
    size = len(parsed)
    allowed = torch.zeros(size, size, dtype=torch.bool)
    for i, previous in enumerate(parsed):
        for j, tag in enumerate(parsed):
            allowed[i, j] = _may_follow(previous, tag, explicit_ends)
    allowed_start = torch.tensor(
        [_may_follow(None, tag, explicit_ends) for tag in parsed], dtype=torch.bool
    )
    allowed_end = torch.tensor([_may_end(tag, explicit_ends) for tag in parsed], dtype=torch.bool)
    return allowed, allowed_start, allowed_end


def is_well_formed(tag_seq: Sequence[str], scheme: str = "BIO") -> bool:
    """Whether ``tag_seq`` obeys the scheme's rules (the empty sequence does).

    :class:`ValueError` for a tag outside the scheme (anywhere in ``tag_seq``) or an unknown
    scheme.
    """
    explicit_ends = ends_explicitly(scheme)
    previous: Optional[Parsed] = None
    for parsed in parse_tags(tag_seq, scheme, lenient=True):
        if not _may_follow(previous, parsed, explicit_ends):
            return False
        previous = parsed
    return previous is None or _may_end(previous, explicit_ends)
