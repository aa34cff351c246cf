"""Reader for Hugging Face ``datasets``: a hub dataset name or a local data file.

A local ``.json``/``.jsonl``/``.csv``/``.parquet`` file is loaded with the matching packaged
builder (``load_dataset("json", data_files=...)``), a local folder or anything else by name
(e.g. ``"DeepPavlov/snips"``). The intent column may hold strings, lists of strings, or
``ClassLabel`` ints (mapped to their names through the dataset's features).
``datasets`` is an optional dependency, imported only here.
"""

from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

from .records import IntentRecord, InvalidRecordError, ReadReport, resolve_report
from .validation import check_record

LOCAL_BUILDERS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet"}
BATCH_SIZE = 1000


def _import_datasets():
    try:
        import datasets
    except ImportError:
        raise ImportError(
            "the hf format needs the Hugging Face datasets package: pip install nlp-rnn[hf]"
        ) from None
    return datasets


def load_hf_dataset(
    source: str, split: str = "train", config: Optional[str] = None, cache_dir: Optional[str] = None
):
    """``datasets.load_dataset`` for a hub name, a local folder or a local data file."""
    datasets = _import_datasets()
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in LOCAL_BUILDERS and not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    if path.is_file() and suffix not in LOCAL_BUILDERS:
        known = ", ".join(LOCAL_BUILDERS)
        raise ValueError(f"cannot load {path} with the hf format: use a {known} file")
    try:
        if path.is_file():
            return datasets.load_dataset(
                LOCAL_BUILDERS[suffix], data_files=str(path), split=split, cache_dir=cache_dir
            )
        return datasets.load_dataset(source, config, split=split, cache_dir=cache_dir)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as error:
        raise ValueError(f"could not load Hugging Face dataset {source!r}: {error}") from None


def _intent_decoder(feature: Any) -> Callable[[Any], Any]:
    """Maps a cell of the intent column to a label, list of labels or None."""
    datasets = _import_datasets()
    inner = getattr(feature, "feature", None)
    if isinstance(feature, datasets.ClassLabel):
        return lambda value: None if value is None or value < 0 else feature.int2str(value)
    if isinstance(inner, datasets.ClassLabel):
        return lambda values: None if values is None else [inner.int2str(v) for v in values]
    return lambda value: value


def read_hf(
    source: Union[str, Path],
    *,
    split: str = "train",
    config: Optional[str] = None,
    text_column: str = "text",
    intent_column: Optional[str] = "intent",
    cache_dir: Optional[str] = None,
    skip_invalid: bool = False,
    report: Optional[ReadReport] = None,
) -> Iterator[IntentRecord]:
    """Yield one record per row of a Hugging Face dataset split (intents only, no slots).

    Without an ``intent_column`` (``None``) the records have no intent. A bad row raises
    :class:`InvalidRecordError` naming ``source[split]`` and the 1-based row; with
    ``skip_invalid`` it is skipped and reported.
    """
    source = str(source)
    dataset = load_hf_dataset(source, split, config, cache_dir)
    columns = [text_column] + ([intent_column] if intent_column else [])
    missing = [column for column in columns if column not in dataset.column_names]
    if missing:
        raise ValueError(
            f"{source}[{split}] has no column {', '.join(map(repr, missing))}; "
            f"its columns: {', '.join(dataset.column_names)}"
        )
    decode = _intent_decoder(dataset.features[intent_column]) if intent_column else None
    report = resolve_report(report)
    name = f"{source}[{split}]"
    row = 0
    for batch in dataset.select_columns(columns).iter(batch_size=BATCH_SIZE):
        intents = batch[intent_column] if intent_column else [None] * len(batch[text_column])
        for text, intent in zip(batch[text_column], intents):
            row += 1
            try:
                record = check_record(text, decode(intent) if decode else None)
            except ValueError as error:
                report.reject(InvalidRecordError(name, row, str(error)), skip_invalid)
                continue
            report.records += 1
            yield record
