"""Reader for the CoNLL-2003 column format (``nlp-rnn convert --format conll``).

One token per line, the token in the first whitespace-separated column and its NER tag in the
last (CoNLL-2003 English: ``token POS chunk NER``; a two-column ``token tag`` file works too), a
blank line between sentences; ``-DOCSTART-`` lines (document boundaries) are skipped.

Tags are IOB1 (CoNLL-2003 as released: ``I-X`` starts a span, ``B-X`` appears only where a span
follows another of the same type) or IOB2 (``B-X`` starts every span). Both are read by one rule,
so neither needs naming: an ``I-X`` that does not continue an ``X`` span starts one (IOB1's
meaning; in valid IOB2 that never happens), and ``B-X`` always starts one. The text is the
tokens joined by single spaces; the slots are character spans over it; records carry no intent.
"""

from pathlib import Path
from typing import Iterator, List, Optional, Tuple, Union

from .line_records import numbered_lines
from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report
from .snips_format import word_offsets
from .tags import tags_to_slots

DOCSTART = "-DOCSTART-"
PREFIXES = ("B", "I")

Sentence = List[Tuple[int, str, str]]  # (line number, token, tag)


def iob1_to_iob2(tags: List[str]) -> List[str]:
    """IOB2 tags for IOB1 (or IOB2) ``tags``: an ``I-X`` not continuing an ``X`` span becomes ``B-X``."""
    converted, previous = [], "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        converted.append(tag)
        previous = tag
    return converted


def check_tag(tag: str) -> Optional[str]:
    """The problem with a tag outside IOB (``O``, ``B-X``, ``I-X``), or ``None``."""
    if tag == "O":
        return None
    prefix, dash, label = tag.partition("-")
    if prefix not in PREFIXES or not dash or not label:
        return f"tag {tag!r} is not an IOB tag (O, B-X or I-X)"
    return None


def sentence_record(sentence: Sentence, path: Path) -> IntentRecord:
    """One sentence as a record, or :class:`InvalidRecordError` naming the line of the problem."""
    for number, _, tag in sentence:
        problem = check_tag(tag)
        if problem:
            raise InvalidRecordError(path, number, problem)
    words = [token for _, token, _ in sentence]
    tags = iob1_to_iob2([tag for _, _, tag in sentence])
    slots, _ = tags_to_slots(tags, word_offsets(words), "BIO")  # valid IOB2: no repairs
    return IntentRecord(" ".join(words), None, slots)


def conll_sentences(path: Path) -> Iterator[Tuple[Sentence, Optional[InvalidRecordError]]]:
    """The sentences of a CoNLL file, each with the first problem on its lines (or ``None``)."""
    sentence: Sentence = []
    problem: Optional[InvalidRecordError] = None
    for number, line, error in numbered_lines(path):
        fields = line.split()
        if not fields or fields[0] == DOCSTART:
            if sentence or problem:
                yield sentence, problem
            sentence, problem = [], None
            continue
        if error is not None or len(fields) < 2:
            problem = problem or error or InvalidRecordError(
                path, number, f"expected 'token … tag' (at least 2 columns), got {line.strip()!r}"
            )
            continue
        sentence.append((number, fields[0], fields[-1]))
    if sentence or problem:
        yield sentence, problem


def read_conll(
    path: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield one record (``intent=None``) per sentence of a CoNLL-2003 style file.

    A malformed line or a tag outside IOB raises :class:`InvalidRecordError` naming the file and
    line; with ``skip_invalid`` the sentence is skipped and reported in ``report.invalid``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CoNLL file not found: {path}")
    report = resolve_report(report)
    for sentence, problem in conll_sentences(path):
        try:
            if problem is not None:
                raise problem
            record = sentence_record(sentence, path)
        except InvalidRecordError as error:
            report.reject(error, skip_invalid)
            continue
        report.records += 1
        yield record
