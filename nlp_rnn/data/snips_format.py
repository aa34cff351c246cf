"""Reader for the SNIPS / ATIS folder format: ``seq.in``, ``seq.out`` and ``label``.

Line ``n`` of the three files is one utterance: space-separated words, one BIO tag per word
(lines end with a trailing space, so both are split with ``str.split()``), and the intent. ATIS
multi-intent labels such as ``atis_flight#atis_airfare`` stay one label. The text is the words
joined by single spaces and the slots are character spans over it.
"""

from contextlib import ExitStack, closing
from itertools import zip_longest
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

from .line_records import utf8_lines
from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report
from .tags import tags_to_slots

FILES = ("seq.in", "seq.out", "label")


def word_offsets(words: List[str]) -> List[Tuple[int, int]]:
    """``(start, end)`` of each word in ``" ".join(words)``."""
    offsets, position = [], 0
    for word in words:
        offsets.append((position, position + len(word)))
        position += len(word) + 1
    return offsets


def snips_paths(folder: Union[str, Path]) -> List[Path]:
    """The ``seq.in``, ``seq.out`` and ``label`` files of ``folder``, which must all exist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"SNIPS folder not found: {folder} (expected a folder with {', '.join(FILES)})"
        )
    paths = [folder / name for name in FILES]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"SNIPS folder {folder} has no {', '.join(missing)}")
    return paths


def _parse(
    lines: Tuple[str, str, str], number: int, paths: Dict[str, Path], scheme: str
) -> Tuple[IntentRecord, List[str]]:
    """The record for line ``number`` of the three files and its tag repairs."""
    in_line, out_line, label = lines
    words, tags = in_line.split(), out_line.split()
    if not words:
        raise InvalidRecordError(paths["seq.in"], number, "empty utterance")
    if len(tags) != len(words):
        problem = f"{len(tags)} tags for {len(words)} words"
        raise InvalidRecordError(paths["seq.out"], number, problem)
    try:
        slots, repairs = tags_to_slots(tags, word_offsets(words), scheme)
    except ValueError as error:
        raise InvalidRecordError(paths["seq.out"], number, str(error)) from None
    return IntentRecord(" ".join(words), label.strip() or None, slots), repairs


def read_snips(
    folder: Union[str, Path],
    *,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
    scheme: str = "BIO",
) -> Iterator[IntentRecord]:
    """Yield the records of a SNIPS/ATIS folder, reading its three files in step.

    A word/tag count mismatch or a bad tag raises :class:`InvalidRecordError` naming the file and
    line (skipped and reported with ``skip_invalid``). Files of different lengths always raise.
    Tag repairs (``I-x`` after ``O``) are added to ``report.repairs``.
    """
    paths = snips_paths(folder)
    report = resolve_report(report)
    by_name = dict(zip(FILES, paths))
    with ExitStack() as stack:
        streams = [stack.enter_context(closing(utf8_lines(path))) for path in paths]
        for number, lines in enumerate(zip_longest(*streams), start=1):
            if all(line is None or not line.strip() for line in lines):
                continue
            missing = [name for name, line in zip(FILES, lines) if line is None]
            if missing:
                longer = [name for name, line in zip(FILES, lines) if line is not None]
                raise InvalidRecordError(
                    by_name[missing[0]],
                    number,
                    f"{missing[0]} ends before line {number} but {longer[0]} goes on "
                    "(the files must have one line per utterance)",
                )
            try:
                record, repairs = _parse(lines, number, by_name, scheme)
            except InvalidRecordError as error:
                report.reject(error, skip_invalid)
                continue
            report.repairs.extend(f"{by_name['seq.out']}:{number}: {repair}" for repair in repairs)
            report.records += 1
            yield record
