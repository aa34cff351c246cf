"""Readers for parallel (translation) data: Tatoeba / manythings.org TSV and Hugging Face datasets.

Every record's ``text`` is the source sentence and ``translation`` the target sentence; the
converter stores the target as ``doc.user_data["translation"]`` (see ``docbin.py``). ``lang``
names the source language.

Tatoeba (``--format tatoeba``): ``English<TAB>Other[<TAB>attribution]`` per line, as in the
manythings.org exports (``cmn.txt``) and ``../shared/data/tatoeba_cmn_eng/*.tsv``. With
``lang = "en"`` English is the source and the second column the target; with any other
``lang`` (e.g. ``zh``) the second column is the source and English the target.

Hugging Face (``--format hf_parallel``): a hub dataset or a local ``.json/.jsonl/.csv/.parquet``
file. The columns are found, in this order, from ``text_column`` + ``target_column``; a
``translation`` column of ``{lang: text}`` dicts (OPUS / WMT layout); or columns named after the
languages (``lang`` and ``target_lang``, or the only other column).
"""

from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple, Union

from .hf_format import BATCH_SIZE, load_hf_dataset
from .line_records import read_line_records
from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report

TATOEBA_ENGLISH = "en"


def check_pair(
    source: Any, target: Any, names: Tuple[str, str] = ("source sentence", "target sentence")
) -> IntentRecord:
    """A record from an untrusted (source, target) pair, or :class:`ValueError` naming the problem
    (``names`` say which is which in the message)."""
    for name, value in zip(names, (source, target)):
        if not isinstance(value, str):
            kind = "null" if value is None else type(value).__name__
            raise ValueError(f"{name} must be a string, got {kind}")
        if not value.strip():
            raise ValueError(f"{name} is empty")
    return IntentRecord(source.strip(), translation=target.strip())


def parse_tatoeba_line(line: str, lang: str) -> IntentRecord:
    """One ``English<TAB>Other[<TAB>attribution]`` line as a record (source = ``lang``'s column)."""
    cells = line.rstrip("\r\n").split("\t")
    if len(cells) not in (2, 3):
        raise ValueError(
            f"expected 2 or 3 tab-separated columns (English, translation[, attribution]), "
            f"got {len(cells)}"
        )
    english, other = cells[0], cells[1]
    if lang == TATOEBA_ENGLISH:
        return check_pair(english, other, ("source sentence (column 1)", "target sentence (column 2)"))
    return check_pair(other, english, ("source sentence (column 2)", "target sentence (column 1)"))


def read_tatoeba(
    path: Union[str, Path],
    *,
    lang: str,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield one record per sentence pair of a Tatoeba TSV file (blank lines are skipped).

    A bad line raises :class:`InvalidRecordError` (``file:line: problem``); with
    ``skip_invalid`` it is skipped and its message added to ``report.invalid``.
    """
    return read_line_records(
        path, lambda line: parse_tatoeba_line(line, lang), kind="Tatoeba TSV", skip_invalid=skip_invalid, report=report
    )


def _parallel_columns(
    columns: List[str],
    lang: str,
    text_column: Optional[str],
    target_column: Optional[str],
    target_lang: Optional[str],
) -> Tuple[str, Optional[str], Optional[str]]:
    """(source column, target column, None) or ("translation", None, target key or None)."""
    if text_column or target_column:
        missing = [c for c in (text_column, target_column) if c and c not in columns]
        if missing or not (text_column and target_column):
            raise ValueError(
                "give both the source (text_column) and target_column that exist; "
                f"columns: {', '.join(columns)}"
            )
        return text_column, target_column, None
    if "translation" in columns:
        return "translation", None, target_lang
    if lang in columns:
        others = [c for c in columns if c != lang]
        if target_lang in columns:
            return lang, target_lang, None
        if target_lang is None and len(others) == 1:
            return lang, others[0], None
    raise ValueError(
        f"cannot tell the source and target columns apart (columns: {', '.join(columns)}): "
        "pass text_column and target_column, or use a 'translation' column of {lang: text} "
        "dicts, or name the columns after the languages"
    )


def _from_translation_dict(value: Any, lang: str, target_lang: Optional[str]) -> Tuple[Any, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"'translation' must be a {{lang: text}} object, got {type(value).__name__}")
    if lang not in value:
        raise ValueError(f"'translation' has no {lang!r} text (keys: {', '.join(value)})")
    if target_lang is None:
        others = [key for key in value if key != lang]
        if len(others) != 1:
            raise ValueError(f"'translation' has several targets {others}: set target_lang")
        target_lang = others[0]
    if target_lang not in value:
        raise ValueError(f"'translation' has no {target_lang!r} text (keys: {', '.join(value)})")
    return value[lang], value[target_lang]


def read_hf_parallel(
    source: Union[str, Path],
    *,
    lang: str,
    split: str = "train",
    config: Optional[str] = None,
    text_column: Optional[str] = None,
    target_column: Optional[str] = None,
    target_lang: Optional[str] = None,
    cache_dir: Optional[str] = None,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield one record per row of a parallel Hugging Face dataset split (see the module
    docstring for how the columns are found). A bad row raises :class:`InvalidRecordError`
    naming ``source[split]`` and the 1-based row; with ``skip_invalid`` it is skipped."""
    source = str(source)
    dataset = load_hf_dataset(source, split, config, cache_dir)
    src_col, tgt_col, tgt_key = _parallel_columns(
        list(dataset.column_names), lang, text_column, target_column, target_lang
    )
    columns = [src_col] + ([tgt_col] if tgt_col else [])
    report = resolve_report(report)
    name = f"{source}[{split}]"
    row = 0
    for batch in dataset.select_columns(columns).iter(batch_size=BATCH_SIZE):
        if tgt_col:
            pairs = zip(batch[src_col], batch[tgt_col])
        else:
            pairs = ((value, None) for value in batch[src_col])
        for first, second in pairs:
            row += 1
            try:
                if tgt_col is None:
                    first, second = _from_translation_dict(first, lang, tgt_key)
                record = check_pair(first, second)
            except ValueError as error:
                report.reject(InvalidRecordError(name, row, str(error)), skip_invalid)
                continue
            report.records += 1
            yield record
