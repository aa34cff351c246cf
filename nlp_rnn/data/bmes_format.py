"""Reader for character-per-line NER files tagged BMES, like Resume NER's ``train.char.bmes``.

One ``char tag`` per line (``B-X`` begin, ``M-X`` middle, ``E-X`` end, ``S-X`` single, ``O``),
a blank line between sentences. The layout is CAIS's tag file without the intent file, so the
lines are read by the same code (:func:`.cais_format.char_utterances`): lines are split on their
last space, literal space characters included. Records carry no intent; the slots are character
spans over the concatenated characters.
"""

from contextlib import closing
from pathlib import Path
from typing import Iterator, Optional, Union

from .cais_format import char_utterance_record, char_utterances
from .line_records import utf8_lines
from .records import IntentRecord, ReadReport, resolve_report


def read_bmes(
    path: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
    scheme: str = "BMES",
) -> Iterator[IntentRecord]:
    """Yield one record (``intent=None``) per sentence of a ``char tag`` file.

    A malformed line or a tag outside ``scheme`` raises :class:`InvalidRecordError` naming the
    file and line (the sentence's first line for a tag problem); with ``skip_invalid`` the
    sentence is skipped and reported. Broken sequences (an ``M-x`` or ``E-x`` without its
    ``B-x``, a span without its ``E-x``) are repaired and added to ``report.repairs``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"BMES file not found: {path}")
    report = resolve_report(report)
    with closing(utf8_lines(path)) as stream:
        for utterance in char_utterances(stream):
            record = char_utterance_record(
                utterance, None, path, scheme, report, skip_invalid=skip_invalid
            )
            if record is not None:
                yield record
