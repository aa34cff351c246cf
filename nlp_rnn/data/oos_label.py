"""``nlp-rnn convert --oos-label LABEL``: records whose gold label means "out of scope".

Such a record keeps its text and slots but gets no positive intent (an empty label list), so its
Doc is stored with every ``cats`` value 0 — the form the intent components train on as an
explicit out-of-scope example and that ``evaluate`` counts as out of scope.
"""

from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from .records import IntentRecord


@dataclass
class OutOfScopeCount:
    """How many records carried the out-of-scope label."""

    label: str
    records: int = 0


def mark_out_of_scope(records: Iterable[IntentRecord], count: OutOfScopeCount) -> Iterator[IntentRecord]:
    """Records with ``count.label`` as (one of) their intent(s) lose that label; the others pass."""
    for record in records:
        if count.label in record.intents:
            count.records += 1
            yield replace(record, intent=[label for label in record.intents if label != count.label])
        else:
            yield record


def absent_label_warning(label: str, seen: Iterable[str], source: str, shown: int = 20) -> str:
    """The warning for an ``--oos-label`` that no record carries, with the labels seen."""
    seen = list(seen)
    listed = ", ".join(seen[:shown]) + (f", ... ({len(seen)} in all)" if len(seen) > shown else "")
    return f"warning: --oos-label {label!r} does not occur in {source}; labels seen: {listed or 'none'}"
