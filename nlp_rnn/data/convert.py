"""Convert an input in any known format into a spaCy ``.spacy`` DocBin.

The input is read twice: the first pass collects every intent label (spaCy's text classifiers
need all labels in every ``doc.cats``) and counts the records, the second builds the Docs. Readers
stream their input, so only the DocBin itself grows with the data.
"""

import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .records import IntentRecord, ReadReport
from .text_format import document_unit, read_text

PROGRESS_MIN_DOCS = 1000  # smaller inputs convert in a blink: no progress bar


@dataclass(frozen=True)
class InputFormat:
    """A registered input format: its reader and the reader options it accepts beyond the
    common ``skip_invalid`` and ``report``. ``parallel`` readers (translation pairs) also get the
    source language ``lang``.

    ``reader`` is the function, or ``"module:function"`` inside this package, imported on first
    use (several readers need spaCy, which the command line's ``--help`` must not load)."""

    name: str
    reader: Union[Callable[..., Iterator[IntentRecord]], str]
    description: str
    options: Tuple[str, ...] = ()
    parallel: bool = False
    raw_text: bool = False  #: texts only (no intents, no slots): reported as documents and characters

    @property
    def read(self) -> Callable[..., Iterator[IntentRecord]]:
        if not isinstance(self.reader, str):
            return self.reader
        module, _, function = self.reader.partition(":")
        return getattr(import_module(f".{module}", __package__), function)


FORMATS: Dict[str, InputFormat] = {
    fmt.name: fmt
    for fmt in (
        InputFormat(
            "jsonl", "jsonl_format:read_jsonl", 'JSON Lines: {"text", "intent", "slots": [{start, end, label}]}'
        ),
        InputFormat(
            "csv",
            "csv_format:read_csv",
            "CSV rows text,intent; a header row may name them (--text-column, --label-column)",
            ("text_column", "intent_column"),
        ),
        InputFormat("snips", "snips_format:read_snips", "folder with seq.in, seq.out (BIO), label: SNIPS, ATIS"),
        InputFormat("cais", "cais_format:read_cais", "folder with a 'char tag' BIOES file + NAME.intent: CAIS"),
        InputFormat(
            "hf",
            "hf_format:read_hf",
            "Hugging Face dataset: hub name or local .json/.jsonl/.csv/.parquet",
            ("split", "config", "text_column", "intent_column", "cache_dir"),
        ),
        InputFormat("bmes", "bmes_format:read_bmes", "'char tag' per line BMES file, no intents: Resume NER"),
        InputFormat(
            "conll",
            "conll_format:read_conll",
            "CoNLL-2003 'token ... tag' per line (IOB1 or IOB2), blank line between sentences, "
            "-DOCSTART- skipped; no intents: English NER",
        ),
        InputFormat(
            "tatoeba",
            "tatoeba_format:read_tatoeba",
            "translation pairs 'English<TAB>other[<TAB>attribution]'; --lang is the source",
            parallel=True,
        ),
        InputFormat(
            "hf_parallel",
            "tatoeba_format:read_hf_parallel",
            "Hugging Face translation pairs: source/target columns or a 'translation' dict; "
            "--lang is the source",
            ("split", "config", "text_column", "target_column", "target_lang", "cache_dir"),
            parallel=True,
        ),
        InputFormat(
            "text",
            read_text,
            "plain text for language models: one document per file (default, running text) or per line (--doc-per line)",
            ("doc_per",),
            raw_text=True,
        ),
    )
}


class EmptyInputError(ValueError):
    """The input holds no record to convert (an empty file, or every record invalid)."""


def get_format(name: str) -> InputFormat:
    """The registered format ``name``, or :class:`ValueError` listing the known formats."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; known formats: {', '.join(FORMATS)}")
    return FORMATS[name]


@dataclass
class ConvertReport:
    """What :func:`convert` wrote, skipped and repaired."""

    input: str
    output: str
    format: str
    docs: int = 0
    intents: List[str] = field(default_factory=list)
    multi_label: bool = False
    slots: int = 0
    split_slots: int = 0
    invalid: List[str] = field(default_factory=list)
    repairs: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    seconds: float = 0.0
    parallel: bool = False
    characters: int = 0
    text_unit: Optional[str] = None  #: raw text formats: what one document is ("one per file")

    def summary(self, max_messages: int = 5) -> str:
        """A few human-readable lines, with the first ``max_messages`` skips and repairs."""
        kind = "multi-label" if self.multi_label else "exclusive"
        if self.parallel:
            contents = f"translation pairs: {self.docs} (target in doc.user_data['translation'])"
        elif self.text_unit is not None:
            contents = f"documents: {self.docs} ({self.text_unit}); characters: {self.characters:,}"
        else:
            contents = f"intents: {len(self.intents)} ({kind}); slots: {self.slots}, {self.split_slots} needed a token split"
        lines = [f"wrote {self.docs} docs to {self.output} in {self.seconds:.1f}s", contents]
        lines += self.notes
        for title, messages in (
            ("invalid records skipped", self.invalid),
            ("tag repairs", self.repairs),
        ):
            if messages:
                lines.append(f"{title}: {len(messages)}")
                lines += [f"  {message}" for message in messages[:max_messages]]
                if len(messages) > max_messages:
                    lines.append(f"  ... and {len(messages) - max_messages} more")
        return "\n".join(lines)


def _reader_options(fmt: InputFormat, options: Dict[str, Any]) -> Dict[str, Any]:
    """The options that were set (not None), checked against what the format accepts."""
    given = {name: value for name, value in options.items() if value is not None}
    unsupported = sorted(set(given) - set(fmt.options))
    if unsupported:
        accepted = f"; it accepts {', '.join(fmt.options)}" if fmt.options else ""
        raise ValueError(
            f"option {', '.join(unsupported)} does not apply to the {fmt.name} format{accepted}"
        )
    return given


def _survey(records: Iterable[IntentRecord]) -> Tuple[List[str], bool, int]:
    """First pass: every intent label (sorted), whether any record is multi-label, the count."""
    labels, multi_label, total = set(), False, 0
    for total, record in enumerate(records, start=1):
        labels.update(record.intents)
        multi_label |= isinstance(record.intent, list) and bool(record.intent)  # [] = out of scope
    return sorted(labels), multi_label, total


def convert(
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    fmt: str,
    lang: str,
    *,
    skip_invalid: bool = False,
    user_dict: Optional[Union[str, Path]] = None,
    progress: Optional[bool] = None,
    oos_label: Optional[str] = None,
    **reader_options: Any,
) -> ConvertReport:
    """Convert ``input_path`` (format ``fmt``) into a DocBin at ``output_path``.

    ``lang`` picks the tokenizer (jieba for ``zh``, with an optional ``user_dict``); Docs are
    split further where a slot boundary falls inside a token. ``reader_options`` go to the
    reader (for ``hf``: ``split``, ``config``, ``text_column``, ``intent_column``, ``cache_dir``;
    ``None`` means the reader's default). For parallel formats (``tatoeba``, ``hf_parallel``)
    ``lang`` is the source language and each Doc carries its target in
    ``doc.user_data["translation"]``. With ``skip_invalid`` bad records are skipped and
    listed in the report instead of raising :class:`InvalidRecordError`. ``progress``: ``None``
    shows a bar on stderr for big inputs when it is a terminal. ``oos_label``: records with this
    intent are stored out of scope (all cats 0; see :mod:`nlp_rnn.data.oos_label`); a label that no
    record carries gives a warning note listing the labels seen.
    """
    from tqdm import tqdm

    from ..language import CHINESE_LANGS, blank_pipeline
    from .docbin import SlotAlignment, records_to_docbin

    started = time.perf_counter()
    input_format = get_format(fmt)
    options = _reader_options(input_format, reader_options)
    if user_dict is not None and lang not in CHINESE_LANGS:
        raise ValueError(f"a user dictionary applies to Chinese ({', '.join(CHINESE_LANGS)}) only")
    output_path = Path(output_path)
    if output_path.is_dir():
        raise ValueError(f"output {output_path} is a folder; give a file name like train.spacy")

    if input_format.parallel:
        options["lang"] = lang  # the source language picks the source column

    from .oos_label import OutOfScopeCount, absent_label_warning, mark_out_of_scope

    oos_counts: List[OutOfScopeCount] = []  # one per pass over the input; the last is the written one

    def read(report: ReadReport) -> Iterator[IntentRecord]:
        records = input_format.read(input_path, skip_invalid=skip_invalid, report=report, **options)
        if oos_label is None:
            return records
        oos_counts.append(OutOfScopeCount(oos_label))
        return mark_out_of_scope(records, oos_counts[-1])

    report = ConvertReport(str(input_path), str(output_path), fmt, parallel=input_format.parallel)
    survey_report = ReadReport()
    report.intents, report.multi_label, total = _survey(read(survey_report))
    if total == 0:
        raise EmptyInputError(_nothing_to_convert(input_path, survey_report))
    nlp = blank_pipeline(lang, str(user_dict) if user_dict is not None else None)
    nlp.max_length = max(nlp.max_length, 10**9)  # --format text --doc-per file: a whole file is one Doc

    read_report, alignment = ReadReport(), SlotAlignment()
    records = tqdm(
        read(read_report),
        total=total,
        unit="doc",
        leave=False,
        desc=f"converting {Path(str(input_path)).name}",
        disable=None if progress is None and total >= PROGRESS_MIN_DOCS else not progress,
    )
    if input_format.raw_text:
        report.text_unit = document_unit(options.get("doc_per"))
        records = _count_characters(records, report)
    docbin = records_to_docbin(records, nlp, report.intents, alignment=alignment)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(output_path)

    report.docs = len(docbin)
    report.slots, report.split_slots = alignment.slots, alignment.split_slots
    report.invalid, report.repairs = read_report.invalid, read_report.repairs
    report.notes = read_report.notes
    if oos_label is not None:
        n_oos = oos_counts[-1].records
        report.notes = list(report.notes) + ([f"out of scope (--oos-label {oos_label!r}): {n_oos} docs stored with all cats 0"]
                                             if n_oos else [absent_label_warning(oos_label, report.intents, str(input_path))])
    report.seconds = time.perf_counter() - started
    return report


def _count_characters(records: Iterable[IntentRecord], report: ConvertReport) -> Iterator[IntentRecord]:
    """The records, unchanged, adding their characters to ``report.characters``."""
    for record in records:
        report.characters += len(record.text)
        yield record


def _nothing_to_convert(input_path: Union[str, Path], survey: ReadReport) -> str:
    """The one-line error for an input without a single record."""
    if survey.invalid:
        return (
            f"{input_path}: all {len(survey.invalid)} records are invalid, nothing written "
            f"(first: {survey.invalid[0]})"
        )
    return f"{input_path}: no records found (empty input?), nothing written"
