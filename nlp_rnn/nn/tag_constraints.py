"""Which tag may follow which in BIO and BIOES (= BILUO, BMES) tag sets, as CRF masks.

Tags are ``O`` or ``PREFIX-label``. In ``BIO`` the prefixes are ``B`` (begin) and ``I``
(inside); in ``BIOES`` a span also ends explicitly: ``B``, ``I``, ``E`` (end), ``S`` (single).
BILUO (``B I L U``, spaCy's letters) and BMES (``B M E S``, Chinese NER data) are the same
scheme with other letters, and any of those letters is accepted under the names ``BIOES``,
``BILUO`` and ``BMES``.

Rules (``x``, ``y`` labels):

- BIO: ``I-x`` only after ``B-x`` or ``I-x``; everything else anywhere.
- BIOES: after ``O``, ``E-x``, ``S-x`` (no open span) or at the start come ``O``, ``B-y``,
  ``S-y``; after ``B-x``, ``I-x`` (an open span) come ``I-x``, ``E-x``; the last tag closes
  every span (``O``, ``E-x``, ``S-x``).
"""

from typing import Dict, Optional, Sequence, Tuple

import torch

# scheme -> {prefix -> canonical role}; roles: B begin, I inside, L last, U unit
_BIOES_ROLES = {"B": "B", "I": "I", "M": "I", "E": "L", "L": "L", "S": "U", "U": "U"}
ROLES: Dict[str, Dict[str, str]] = {
    "BIO": {"B": "B", "I": "I"},
    "BIOES": _BIOES_ROLES,
    "BILUO": _BIOES_ROLES,
    "BMES": _BIOES_ROLES,
}
OUTSIDE = "O"

Parsed = Tuple[str, str]  # (role, label); ("O", "") for outside


def _roles(scheme: str) -> Dict[str, str]:
    if scheme not in ROLES:
        raise ValueError(f"unknown tag scheme {scheme!r}; known: {', '.join(ROLES)}")
    return ROLES[scheme]


def parse_tag(tag: str, scheme: str) -> Parsed:
    """``(role, label)`` for a tag, role one of O B I L U; :class:`ValueError` if not in scheme."""
    roles = _roles(scheme)
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, _, label = tag.partition("-")
    if prefix not in roles or not label:
        raise ValueError(f"tag {tag!r} is not a {scheme} tag")
    return roles[prefix], label


def _closed(tag: Optional[Parsed]) -> bool:
    """BIOES: whether no span is open after ``tag`` (None: before the first tag)."""
    return tag is None or tag[0] in "OLU"


def _may_follow(previous: Optional[Parsed], tag: Parsed, scheme: str) -> bool:
    """Whether ``tag`` may come after ``previous`` (None: at the start)."""
    role, label = tag
    if scheme == "BIO":
        if role != "I":
            return True
        return previous is not None and previous[0] in "BI" and previous[1] == label
    if _closed(previous):
        return role in "OBU"
    return role in "IL" and previous[1] == label


def _may_end(tag: Parsed, scheme: str) -> bool:
    return scheme == "BIO" or tag[0] in "OLU"


def allowed_transitions(
    tags: Sequence[str], scheme: str = "BIO"
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Masks for :class:`~nlp_rnn.nn.crf.CRF` over ``tags`` (in the CRF's tag order).

    Returns ``allowed`` (K, K) bool (``allowed[i, j]``: tag j may follow tag i),
    ``allowed_start`` (K,) and ``allowed_end`` (K,). :class:`ValueError` for a tag outside the
    scheme.
    """
    parsed = [parse_tag(tag, scheme) for tag in tags]
    size = len(parsed)
    allowed = torch.zeros(size, size, dtype=torch.bool)
    for i, previous in enumerate(parsed):
        for j, tag in enumerate(parsed):
            allowed[i, j] = _may_follow(previous, tag, scheme)
    allowed_start = torch.tensor(
        [_may_follow(None, tag, scheme) for tag in parsed], dtype=torch.bool
    )
    allowed_end = torch.tensor([_may_end(tag, scheme) for tag in parsed], dtype=torch.bool)
    return allowed, allowed_start, allowed_end


def is_well_formed(tag_seq: Sequence[str], scheme: str = "BIO") -> bool:
    """Whether ``tag_seq`` obeys the scheme's rules (the empty sequence does).

    :class:`ValueError` for a tag outside the scheme.
    """
    previous: Optional[Parsed] = None
    for tag in tag_seq:
        parsed = parse_tag(tag, scheme)
        if not _may_follow(previous, parsed, scheme):
            return False
        previous = parsed
    return previous is None or _may_end(previous, scheme)
