"""The one table of per-token tag schemes (BIO, BIOES, BILUO, BMES): which prefix plays which role.

A tag is :data:`OUTSIDE` (``"O"``) or ``PREFIX-label``; the label may itself contain ``-``
(``M-x-y`` is role ``I``, label ``x-y``). Each prefix plays one role:

- ``B`` begin: first token of a span of two or more;
- ``I`` inside: a token that continues an open span (and, in BIO, may also close it);
- ``L`` last: the token that closes a span of two or more;
- ``U`` unit: a span of one token.

BIO has only ``B`` and ``I`` (spans end implicitly); the other three schemes end spans
explicitly and differ only in their letters: BIOES ``B I E S``, BILUO ``B I L U`` (spaCy's,
and the model's own tag set: :data:`MODEL_SCHEME`, :func:`biluo_tags`), BMES ``B M E S``
(Chinese NER data).

Strict and lenient reading
--------------------------
:data:`SCHEMES` lists each scheme's own prefixes, and that is what the data readers accept
(:mod:`nlp_rnn.data.tags`): an ``I-`` tag in a BMES file is an error in the file, reported
with its line, not silently read as ``M-``. The CRF transition masks
(:mod:`nlp_rnn.nn.tag_constraints`) read tags *leniently* (``lenient=True``): a scheme then also
accepts the letters of every scheme with the same roles (:data:`LENIENT`, built from
:data:`SCHEMES`), so under ``BIOES``, ``BILUO`` and ``BMES`` any of ``B I M E L S U`` is read,
while BIO stays ``B I``. The masks only need each tag's role, so which letter set a tag uses
does not matter there; in data it means the file is not in the scheme it was read with. Both
behaviours are pinned by tests (``tests/test_bmes_format.py``, ``tests/test_crf.py``).
"""

from typing import Dict, List, Optional, Sequence, Tuple

OUTSIDE = "O"
ROLES = ("B", "I", "L", "U")  # begin, inside, last, unit

# scheme -> {tag prefix -> role}; OUTSIDE is outside in every scheme
SCHEMES: Dict[str, Dict[str, str]] = {
    "BIO": {"B": "B", "I": "I"},
    "BIOES": {"B": "B", "I": "I", "E": "L", "S": "U"},
    "BILUO": {"B": "B", "I": "I", "L": "L", "U": "U"},
    "BMES": {"B": "B", "M": "I", "E": "L", "S": "U"},
}
KNOWN_SCHEMES: Tuple[str, ...] = tuple(SCHEMES)
MODEL_SCHEME = "BILUO"  # the scheme of the model's own tags, see biluo_tags

Parsed = Tuple[str, str]  # (role, label); (OUTSIDE, "") for outside


def _lenient_table() -> Dict[str, Dict[str, str]]:
    """Each scheme's prefixes merged with those of every scheme that has the same roles."""
    table: Dict[str, Dict[str, str]] = {}
    for scheme, prefixes in SCHEMES.items():
        merged: Dict[str, str] = {}
        for other in SCHEMES.values():
            if set(other.values()) != set(prefixes.values()):
                continue
            for prefix, role in other.items():
                if merged.setdefault(prefix, role) != role:
                    raise ValueError(f"prefix {prefix!r} has two roles in schemes like {scheme}")
        table[scheme] = merged
    return table


# scheme -> {prefix -> role} accepted when reading leniently (the CRF masks)
LENIENT: Dict[str, Dict[str, str]] = _lenient_table()


def scheme_prefixes(scheme: str, lenient: bool = False) -> Dict[str, str]:
    """``{prefix -> role}`` for ``scheme``; :class:`ValueError` naming the known schemes."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; known: {', '.join(KNOWN_SCHEMES)}")
    return (LENIENT if lenient else SCHEMES)[scheme]


def ends_explicitly(scheme: str) -> bool:
    """Whether spans in ``scheme`` close with an ``L``/``U`` tag (all but BIO)."""
    return "L" in scheme_prefixes(scheme).values()


def _split(tag: str, prefixes: Dict[str, str]) -> Optional[Parsed]:
    """``(role, label)``, or None when the prefix is not in ``prefixes`` or the label is empty."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, _, label = tag.partition("-")
    if prefix not in prefixes or not label:
        return None
    return prefixes[prefix], label


def parse_tag(tag: str, scheme: str, lenient: bool = False) -> Parsed:
    """``(role, label)`` for ``tag``, role one of O B I L U.

    :class:`ValueError` ``tag 'X' is not a SCHEME tag`` for a tag outside the scheme, or for an
    unknown scheme.
    """
    parsed = _split(tag, scheme_prefixes(scheme, lenient))
    if parsed is None:
        raise ValueError(f"tag {tag!r} is not a {scheme} tag")
    return parsed


def parse_tags(tags: Sequence[str], scheme: str, lenient: bool = False) -> List[Parsed]:
    """:func:`parse_tag` for each tag; the error names the tag's 1-based position too."""
    prefixes = scheme_prefixes(scheme, lenient)
    parsed = []
    for number, tag in enumerate(tags, start=1):
        one = _split(tag, prefixes)
        if one is None:
            raise ValueError(f"tag {number} {tag!r} is not a {scheme} tag")
        parsed.append(one)
    return parsed


def biluo_tags(labels: Sequence[str]) -> List[str]:
    """The model's tag order: ``O`` then ``B-x I-x L-x U-x`` for each label ``x`` in order."""
    return [OUTSIDE] + [f"{prefix}-{label}" for label in labels for prefix in SCHEMES[MODEL_SCHEME]]
