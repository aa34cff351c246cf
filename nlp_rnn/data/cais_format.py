"""Reader for the CAIS format: a ``char tag`` per line file and its ``.intent`` file.

The tag file has one character and its BIOES tag per line and a blank line between utterances;
literal spaces are characters too (a line ``"  O"`` is a space tagged ``O``), so lines are split
on their last space. ``NAME.intent`` has one intent per utterance. The text is the characters
concatenated and the slots are character spans over it.

The ``char tag`` reading (:func:`char_utterances`, :func:`char_utterance_record`) is shared with
the intent-less BMES reader in :mod:`.bmes_format`.
"""

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple, Union

from .line_records import utf8_lines
from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report
from .tags import tags_to_slots

INTENT_SUFFIX = ".intent"


def cais_paths(source: Union[str, Path]) -> Tuple[Path, Path]:
    """The tag file and its ``.intent`` file, from the tag file itself or the folder holding both.

    A folder must hold exactly one pair ``NAME`` + ``NAME.intent`` (e.g. ``ch.train`` and
    ``ch.train.intent``).
    """
    source = Path(source)
    if source.is_file():
        tag_file = source
    elif source.is_dir():
        pairs = sorted(
            path.with_suffix("")
            for path in source.glob(f"*{INTENT_SUFFIX}")
            if path.with_suffix("").is_file()
        )
        if len(pairs) != 1:
            found = ", ".join(path.name for path in pairs) or "none"
            raise FileNotFoundError(
                f"CAIS folder {source} must hold exactly one tag file NAME with its "
                f"NAME{INTENT_SUFFIX}; found: {found}"
            )
        tag_file = pairs[0]
    else:
        raise FileNotFoundError(f"CAIS input not found: {source}")
    intent_file = tag_file.with_name(tag_file.name + INTENT_SUFFIX)
    if not intent_file.is_file():
        raise FileNotFoundError(f"CAIS intent file not found: {intent_file}")
    return tag_file, intent_file


@dataclass
class CharUtterance:
    """The lines of one utterance: where it starts, its characters and tags, its first problem."""

    line: int
    chars: List[str] = field(default_factory=list)
    tags: List[str] = field(default_factory=list)
    problem: Optional[Tuple[int, str]] = None

    def add(self, number: int, line: str) -> None:
        char, space, tag = line.rpartition(" ")
        if (not space or not char or not tag) and self.problem is None:
            self.problem = (number, f"expected 'char tag', got {line!r}")
        self.chars.append(char)
        self.tags.append(tag)


def char_utterances(stream: Iterable[str]) -> Iterator[CharUtterance]:
    """The blank-line separated utterances of a ``char tag`` per line stream."""
    utterance: Optional[CharUtterance] = None
    for number, line in enumerate(stream, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            if utterance is not None:
                yield utterance
            utterance = None
            continue
        if utterance is None:
            utterance = CharUtterance(number)
        utterance.add(number, line)
    if utterance is not None:
        yield utterance


def _record(
    utterance: CharUtterance, intent: Optional[str], path: Path, scheme: str
) -> Tuple[IntentRecord, List[str]]:
    """The record for one utterance and its tag repairs, or :class:`InvalidRecordError`."""
    if utterance.problem is not None:
        raise InvalidRecordError(path, *utterance.problem)
    offsets, position = [], 0
    for char in utterance.chars:
        offsets.append((position, position + len(char)))
        position += len(char)
    try:
        slots, repairs = tags_to_slots(utterance.tags, offsets, scheme)
    except ValueError as error:
        raise InvalidRecordError(path, utterance.line, str(error)) from None
    label = (intent.strip() or None) if intent is not None else None
    return IntentRecord("".join(utterance.chars), label, slots), repairs


def char_utterance_record(
    utterance: CharUtterance,
    intent: Optional[str],
    path: Path,
    scheme: str,
    report: ReadReport,
    *,
    skip_invalid: bool = False,
) -> Optional[IntentRecord]:
    """The record for one utterance of the ``char tag`` file ``path``, counted in ``report``.

    A malformed line or tag raises :class:`InvalidRecordError` naming the file and line (the
    utterance's first line for a tag problem); with ``skip_invalid`` it is noted in ``report``
    and None comes back. Tag repairs are added to ``report.repairs``.
    """
    try:
        record, repairs = _record(utterance, intent, path, scheme)
    except InvalidRecordError as error:
        report.reject(error, skip_invalid)
        return None
    report.repairs.extend(f"{path}:{utterance.line}: {repair}" for repair in repairs)
    report.records += 1
    return record


def read_cais(
    source: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
    scheme: str = "BIOES",
) -> Iterator[IntentRecord]:
    """Yield the records of a CAIS tag file (or folder) and its ``.intent`` file, in step.

    A malformed line or tag raises :class:`InvalidRecordError` naming the file and line (the
    utterance's first line for a tag problem); with ``skip_invalid`` the utterance is skipped and
    reported. A different number of utterances and intents always raises. Tag repairs are added
    to ``report.repairs``.
    """
    tag_path, intent_path = cais_paths(source)
    report = resolve_report(report)
    with closing(utf8_lines(tag_path)) as tag_stream, closing(utf8_lines(intent_path)) as intent_stream:
        count = 0
        for count, utterance in enumerate(char_utterances(tag_stream), start=1):
            intent = next(intent_stream, "")
            if not intent:
                raise InvalidRecordError(
                    intent_path,
                    count,
                    f"{intent_path.name} has {count - 1} lines but {tag_path.name} has more "
                    f"utterances (one starts at line {utterance.line})",
                )
            record = char_utterance_record(
                utterance, intent, tag_path, scheme, report, skip_invalid=skip_invalid
            )
            if record is not None:
                yield record
        extra = next(intent_stream, "")
        if extra.strip():
            raise InvalidRecordError(
                intent_path,
                count + 1,
                f"{intent_path.name} has more lines than {tag_path.name} has utterances ({count})",
            )
