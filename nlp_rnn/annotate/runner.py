"""``annotate()``: stream an input file through a pipeline into an ordered, resumable output."""

import time
from pathlib import Path
from typing import Optional, Union

from ..loading import PipelineLoadError
from .errors import AnnotateError
from .inputs import InputSource
from .local import available_cpus, run_local
from .parquet_output import convert_journal, is_parquet, journal_path
from .provenance import RunSource, check_resume, save_run_source
from .summary import AnnotateSummary, progress_bar
from .writer import OutputWriter

ENGINES = ("local", "ray")
PathLike = Union[str, Path]


def annotate(
    model_path: PathLike,
    input_path: PathLike,
    output_path: PathLike,
    *,
    text_field: str = "text",
    id_field: Optional[str] = "id",
    batch_size: int = 256,
    n_process: int = 1,
    resume: bool = False,
    engine: str = "local",
    input_format: Optional[str] = None,
    overwrite: bool = False,
    fsync: bool = False,
    progress: bool = True,
    code: Optional[PathLike] = None,
    batch_timeout: Optional[float] = 600.0,
    ray_address: Optional[str] = None,
    ray_num_cpus: Optional[int] = None,
    threads: Optional[int] = None,
) -> AnnotateSummary:
    """Annotate every document of ``input_path`` with the pipeline in ``model_path``.

    Input: JSONL (``text_field`` holds the text, ``id_field`` an optional id), plain text (one
    document per line), CSV (a header row naming the columns) or Parquet, chosen by extension or
    by ``input_format`` ("jsonl", "text", "csv", "parquet"). Output: JSONL, or Parquet when
    ``output_path`` ends in ``.parquet``, with one record per input line in input order::

        {"line": 3, "id": "a7", "intent": "GetWeather", "confidence": 0.98,
         "slots": [{"start": 11, "end": 16, "text": "Paris", "label": "city", "confidence": 0.97}],
         "translation": "…"}

    ``line`` is the 1-based input line number; for CSV it counts the data rows after the header
    from 1, for Parquet it is the row number from 1. ``id`` is there when the input record has
    ``id_field``; ``intent``/``confidence`` when the pipeline writes ``doc.cats``;
    ``translation`` when it has an ``rnn_translator``. A line that cannot be annotated (invalid
    JSON or UTF-8, not an object, no text or a non-string text) becomes ``{"line", "error"}``.

    Streaming, memory flat in the input size; output flushed after every batch of ``batch_size``
    documents (``fsync``: to disk too). ``resume``: continue an output left by a crash or kill,
    after its last complete record, with no gap and no duplicate (an existing output is otherwise
    refused unless ``overwrite``); the run refuses to resume an output made from another input or
    model, or with other fields (see :mod:`.provenance`: ``OUTPUT.source.json`` records what an
    output is made from). ``n_process``: worker processes (-1: one per CPU) for the
    local engine, Ray actors for ``engine="ray"`` (connects to ``ray_address`` / ``RAY_ADDRESS``,
    else starts a local instance with ``ray_num_cpus``). ``code``: a Python file to import first
    in every process (custom components). ``batch_timeout``: seconds to wait for a worker's batch
    before giving up with an error. ``threads``: torch threads in each worker process / Ray actor
    (default: the CPUs shared out among the workers; Ray: 1). Raises :class:`AnnotateError` or
    :class:`~nlp_rnn.loading.PipelineLoadError` with a message for the user.

    ``n_process > 1`` starts spawned worker processes: in a script, call ``annotate`` under
    ``if __name__ == "__main__":``.
    """
    started = time.perf_counter()
    if engine not in ENGINES:
        raise AnnotateError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    if batch_size < 1:
        raise AnnotateError(f"batch size must be at least 1, got {batch_size}")
    if n_process == 0 or n_process < -1:
        raise AnnotateError(f"n_process must be -1 (one per CPU) or at least 1, got {n_process}")
    model_path, output_path = Path(model_path), Path(output_path)
    if not (model_path / "config.cfg").is_file():
        raise PipelineLoadError(f"{model_path} is not a spaCy pipeline folder (no config.cfg)")
    source = InputSource.open(input_path, input_format, text_field, id_field)
    if output_path.resolve() == source.path.resolve():
        raise AnnotateError("OUTPUT must not be the INPUT file")
    target = _output_target(output_path, resume, overwrite)
    if engine == "local" and n_process == -1:
        n_process = available_cpus()
    if threads is not None and threads < 1:
        raise AnnotateError(f"threads must be at least 1, got {threads}")

    run_source = RunSource.of(source, model_path)
    continuing = resume and target.exists() and target.stat().st_size > 0
    if continuing:
        check_resume(output_path, run_source)  # before the writer touches the output
    writer = OutputWriter(target, resume=resume, overwrite=overwrite, fsync=fsync)
    if not continuing:  # a new (or emptied) output: say what it is made from before any record
        save_run_source(output_path, run_source, fsync=fsync)
    summary = AnnotateSummary(str(output_path), engine, n_process, resumed_after=writer.last_line)
    bar = progress_bar(source.count(), writer.last_line, progress)
    try:
        for batch in _batches(source, model_path, writer.last_line + 1, engine, code, batch_size, n_process,
                              batch_timeout, ray_address, ray_num_cpus, threads):
            writer.write(batch)
            summary.add(batch)
            bar.update(batch.records)
    finally:
        bar.close()
        writer.close()
    if target != output_path:
        convert_journal(target, output_path)
        target.unlink()
    summary.seconds = time.perf_counter() - started
    return summary


def _output_target(output: Path, resume: bool, overwrite: bool) -> Path:
    """The JSONL file the run appends to: OUTPUT itself, or the journal of a Parquet OUTPUT."""
    if not is_parquet(output):
        return output
    journal = journal_path(output)
    if output.exists() and not overwrite and not (resume and journal.exists()):
        hint = "it is complete (no journal to resume)" if resume else "pass --overwrite to annotate again"
        raise AnnotateError(f"{output} exists: {hint}")
    return journal


def _batches(source, model_path, start_line, engine, code, batch_size, n_process, batch_timeout, ray_address,
             ray_num_cpus, threads):
    if engine == "ray":
        from .ray_engine import run_ray

        return run_ray(source, model_path, start_line=start_line, code=code, batch_size=batch_size,
                       n_process=n_process, ray_address=ray_address, num_cpus=ray_num_cpus, threads=threads)
    return run_local(source, model_path, start_line=start_line, code=code, batch_size=batch_size,
                     n_process=n_process, batch_timeout=batch_timeout, threads=threads)
