"""The record every reader yields, the error for a bad input line, and a reader's report."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Union

Intent = Union[None, str, List[str]]


@dataclass(frozen=True)
class Slot:
    """A labelled character span ``text[start:end]`` (end exclusive)."""

    start: int
    end: int
    label: str


@dataclass
class IntentRecord:
    """One utterance: its text, intent and slots (and, for parallel data, its translation).

    ``intent`` is ``None`` (not annotated), one label (exclusive classes) or a list of labels
    (multi-label; an empty list means "none of the labels applies"). Multi-intent strings such as
    ATIS's ``atis_flight#atis_airfare`` are one label, never split. ``translation`` is the
    target-side text of a sentence pair (``None`` for monolingual data).
    """

    text: str
    intent: Intent = None
    slots: List[Slot] = field(default_factory=list)
    translation: Optional[str] = None

    @property
    def intents(self) -> List[str]:
        """The record's intents as a list (empty when there is none)."""
        if self.intent is None:
            return []
        if isinstance(self.intent, str):
            return [self.intent]
        return list(self.intent)


class InvalidRecordError(ValueError):
    """An input line that cannot become a record; ``str()`` is ``"{path}:{line}: {problem}"``."""

    def __init__(self, path: Union[str, Path], line: int, problem: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}:{line}: {problem}")


@dataclass
class ReadReport:
    """What a reader skipped or repaired while reading (pass one in to collect it).

    ``invalid`` holds the message of every line skipped with ``skip_invalid=True``; ``repairs``
    one message per tag-sequence repair (e.g. an ``I-x`` after ``O`` that starts a new span);
    ``notes`` how the input was read (e.g. the CSV columns used), for the user to check.
    """

    records: int = 0
    invalid: List[str] = field(default_factory=list)
    repairs: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def reject(self, error: InvalidRecordError, skip_invalid: bool) -> None:
        """Raise ``error``, or with ``skip_invalid`` note it and let the reader move on."""
        if not skip_invalid:
            raise error
        self.invalid.append(str(error))


def resolve_report(report: Optional[ReadReport]) -> ReadReport:
    """The caller's report, or a fresh one when the caller does not want it."""
    return report if report is not None else ReadReport()
