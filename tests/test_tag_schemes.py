"""The one tag-scheme table (nlp_rnn.tag_schemes) and the three modules it drives: the data
converters (strict), the CRF masks (lenient) and the model's BILUO tag set."""

import subprocess
import sys

import pytest

from nlp_rnn import tag_schemes
from nlp_rnn.data.tags import tags_to_slots, tags_to_token_spans, to_biluo
from nlp_rnn.nn import tag_constraints
from nlp_rnn.nn.tag_constraints import allowed_transitions, is_well_formed
from nlp_rnn.slot_tags import SlotTagSet
from nlp_rnn.tag_schemes import (
    KNOWN_SCHEMES,
    LENIENT,
    MODEL_SCHEME,
    OUTSIDE,
    SCHEMES,
    biluo_tags,
    ends_explicitly,
    parse_tag,
    parse_tags,
)

ALL_EXPLICIT_LETTERS = {"B": "B", "I": "I", "M": "I", "E": "L", "L": "L", "S": "U", "U": "U"}


def test_the_table():
    assert OUTSIDE == "O"
    assert KNOWN_SCHEMES == ("BIO", "BIOES", "BILUO", "BMES")
    assert SCHEMES["BIO"] == {"B": "B", "I": "I"}
    assert SCHEMES["BIOES"] == {"B": "B", "I": "I", "E": "L", "S": "U"}
    assert SCHEMES["BILUO"] == {"B": "B", "I": "I", "L": "L", "U": "U"}
    assert SCHEMES["BMES"] == {"B": "B", "M": "I", "E": "L", "S": "U"}
    for prefixes in SCHEMES.values():
        assert set(prefixes.values()) <= set(tag_schemes.ROLES)
    assert [s for s in KNOWN_SCHEMES if ends_explicitly(s)] == ["BIOES", "BILUO", "BMES"]


def test_lenient_aliases_are_the_union_of_schemes_with_the_same_roles():
    assert LENIENT["BIO"] == SCHEMES["BIO"]
    for scheme in ("BIOES", "BILUO", "BMES"):
        assert LENIENT[scheme] == ALL_EXPLICIT_LETTERS


def test_two_roles_for_one_prefix_is_refused(monkeypatch):
    monkeypatch.setitem(SCHEMES, "BAD", {"B": "B", "I": "I", "E": "U", "L": "L"})
    with pytest.raises(ValueError, match="prefix 'E' has two roles"):
        tag_schemes._lenient_table()


def test_parse_tag_and_errors():
    assert parse_tag("O", "BMES") == ("O", "")
    assert parse_tag("E-x-y", "BIOES") == ("L", "x-y")  # the label may hold dashes
    assert parse_tag("L-a", "BIOES", lenient=True) == ("L", "a")
    with pytest.raises(ValueError, match="^tag 'L-a' is not a BIOES tag$"):
        parse_tag("L-a", "BIOES")
    for bad in ("B", "B-", "X-a", "b-a", "-a"):
        with pytest.raises(ValueError, match=f"tag '{bad}' is not a BIO tag"):
            parse_tag(bad, "BIO", lenient=True)
    with pytest.raises(ValueError, match=r"^tag 3 'L-a' is not a BMES tag$"):
        parse_tags(["O", "B-a", "L-a"], "BMES")
    known = "known: BIO, BIOES, BILUO, BMES"
    with pytest.raises(ValueError, match=f"unknown tag scheme 'IOB2'; {known}"):
        parse_tag("O", "IOB2")


def test_tag_constraints_reexports_the_one_parse_tag():
    assert tag_constraints.parse_tag is parse_tag


def _span_tags(scheme):
    """A two-token span ``x`` then a one-token span ``y``, in ``scheme``'s own letters."""
    prefix_of = {role: prefix for prefix, role in SCHEMES[scheme].items()}
    if not ends_explicitly(scheme):
        return ["B-x", "I-x", "B-y"]
    return [f"{prefix_of[role]}-x" for role in "BIL"] + [f"{prefix_of['U']}-y"]


@pytest.mark.parametrize("scheme", KNOWN_SCHEMES)
def test_each_scheme_reads_the_same_in_data_and_crf(scheme):
    tags = _span_tags(scheme)
    length = len(tags) - 1
    assert tags_to_token_spans(tags, scheme) == ([("x", 0, length), ("y", length, length + 1)], [])
    assert is_well_formed(tags, scheme)
    roles = [role for role, _ in parse_tags(tags, scheme)]
    assert [role for role, _ in parse_tags(tags, scheme, lenient=True)] == roles
    assert [tag_constraints.parse_tag(tag, scheme)[0] for tag in tags] == roles
    allowed, start, end = allowed_transitions(["O"] + tags, scheme)
    assert allowed.shape == (len(tags) + 1, len(tags) + 1) and start[0] and end[0]


@pytest.mark.parametrize(
    "scheme, foreign",
    [("BIOES", ["B-a", "L-a"]), ("BILUO", ["B-a", "E-a"]), ("BMES", ["B-a", "I-a", "L-a"])],
)
def test_data_is_strict_and_crf_masks_are_lenient(scheme, foreign):
    """Letters of another explicit-end scheme: an error in data, the same roles in the masks."""
    with pytest.raises(ValueError, match=f"^tag 2 '{foreign[-1]}' is not a {scheme} tag$"):
        to_biluo(["O", foreign[-1]], scheme)
    assert is_well_formed(foreign, scheme)
    assert not is_well_formed(foreign + foreign[-1:], scheme)  # the rules still hold
    allowed_transitions(["O"] + foreign, scheme)  # no error


def test_bio_is_strict_for_both():
    with pytest.raises(ValueError, match="'E-a' is not a BIO tag"):
        tags_to_slots(["E-a"], [(0, 1)], "BIO")
    with pytest.raises(ValueError, match="'E-a' is not a BIO tag"):
        is_well_formed(["B-a", "E-a"], "BIO")


def test_unknown_scheme_in_every_user():
    with pytest.raises(ValueError, match="unknown tag scheme 'IOB2'"):
        tags_to_token_spans([], "IOB2")
    with pytest.raises(ValueError, match="unknown tag scheme 'IOB2'"):
        allowed_transitions(["O"], "IOB2")
    with pytest.raises(ValueError, match="unknown tag scheme 'IOB2'"):
        is_well_formed([], "IOB2")


def test_a_scheme_added_to_the_table_reaches_data_and_crf(monkeypatch):
    prefixes = {"B": "B", "C": "I", "D": "L", "U": "U"}
    monkeypatch.setitem(SCHEMES, "TEST", prefixes)
    monkeypatch.setitem(LENIENT, "TEST", prefixes)
    tags = ["B-a", "C-a", "D-a", "U-b"]
    assert tags_to_token_spans(tags, "TEST") == ([("a", 0, 3), ("b", 3, 4)], [])
    assert to_biluo(tags, "TEST")[0] == ["B-a", "I-a", "L-a", "U-b"]
    assert is_well_formed(tags, "TEST") and not is_well_formed(tags[:2], "TEST")


def test_model_tag_order_and_slot_tag_set():
    expected = ["O", "B-a", "I-a", "L-a", "U-a", "B-b", "I-b", "L-b", "U-b"]
    assert biluo_tags(["a", "b"]) == expected
    tag_set = SlotTagSet(["a", "b"])
    assert tag_set.tags == expected and len(tag_set) == 9 and tag_set.index["U-b"] == 8
    assert biluo_tags([]) == ["O"]
    # the model's tags are strict BILUO, so both the data side and the CRF read them
    roles = [role for role, _ in parse_tags(tag_set.tags, "BILUO")]
    assert roles == ["O"] + ["B", "I", "L", "U"] * 2
    assert MODEL_SCHEME == "BILUO"
    allowed, _, _ = allowed_transitions(tag_set.tags, MODEL_SCHEME)
    assert allowed[1, 3] and not allowed[1, 7]  # B-a -> L-a yes, B-a -> L-b no


def test_table_module_needs_neither_torch_nor_spacy():
    code = "import sys, nlp_rnn.tag_schemes; print(sorted({'torch', 'spacy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
