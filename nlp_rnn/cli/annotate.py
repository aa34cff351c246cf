"""``nlp-rnn annotate MODEL INPUT OUTPUT``: annotate a large corpus, streaming and resumable.

torch and spaCy are imported inside the command (after ``--threads`` is applied), so
``nlp-rnn --help`` does not load them.
"""

from pathlib import Path
from typing import Optional

import typer

from .app import app


@app.command("annotate")
def annotate_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained pipeline folder (e.g. training/model-best)"),
    input_path: Path = typer.Argument(..., metavar="INPUT", help="JSONL, .txt (one document per line), CSV or Parquet"),
    output: Path = typer.Argument(..., metavar="OUTPUT", help="JSONL output (Parquet when it ends in .parquet)"),
    text_field: str = typer.Option("text", "--text-field", metavar="FIELD", help="Field / column holding the text"),
    id_field: str = typer.Option(
        "id", "--id-field", metavar="FIELD", help="Field / column passed through as the record id"
    ),
    input_format: Optional[str] = typer.Option(
        None, "--input-format", metavar="FORMAT", help="jsonl, text, csv or parquet (default: from the extension)"
    ),
    batch_size: int = typer.Option(
        256, "--batch-size", "-b", metavar="N", help="Documents per batch: per nlp.pipe call, per worker job and per flush of OUTPUT"
    ),
    n_process: int = typer.Option(
        1, "--n-process", "-n", metavar="N", help="Worker processes (Ray: actors); -1: one per CPU"
    ),
    threads: Optional[int] = typer.Option(
        None,
        "--threads",
        metavar="N",
        help="torch threads per process (each --n-process worker / Ray actor gets N); default: "
        "$NLP_RNN_THREADS, else the CPUs shared out among the workers (Ray: 1)",
    ),
    resume: bool = typer.Option(
        False, "--resume/--no-resume", metavar="", help="Continue an interrupted run after OUTPUT's last record (same INPUT and MODEL only)"
    ),
    overwrite: bool = typer.Option(False, "--overwrite/--no-overwrite", metavar="", help="Start again when OUTPUT exists"),
    engine: str = typer.Option("local", "--engine", metavar="ENGINE", help="local (this machine) or ray (Ray Data)"),
    ray_address: Optional[str] = typer.Option(
        None, "--ray-address", metavar="ADDRESS", help="Ray cluster to join (default: $RAY_ADDRESS, else a local instance)"
    ),
    fsync: bool = typer.Option(False, "--fsync/--no-fsync", metavar="", help="fsync OUTPUT after every batch (survives power loss)"),
    code: Optional[Path] = typer.Option(
        None, "--code", metavar="FILE", help="Python file to import first (custom components)"
    ),
    batch_timeout: float = typer.Option(
        600.0, "--batch-timeout", metavar="SECONDS", help="Seconds to wait for a worker's batch before failing (0: no limit)"
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", metavar="", help="Progress bar on stderr"),
) -> None:
    """Annotate every line of INPUT: one JSON record per line, in input order, with intent,
    confidence, slots (and translation); bad lines become {"line", "error"} records. A run whose
    every record is an error exits with code 1 (the records are still written)."""
    from ..threads import prepare_threads

    try:
        threads = prepare_threads(threads)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    from ..annotate import AnnotateError, annotate
    from ..loading import PipelineLoadError

    try:
        summary = annotate(
            model,
            input_path,
            output,
            text_field=text_field,
            id_field=id_field or None,
            batch_size=batch_size,
            n_process=n_process,
            resume=resume,
            engine=engine,
            input_format=input_format,
            overwrite=overwrite,
            fsync=fsync,
            progress=progress,
            code=code,
            batch_timeout=batch_timeout if batch_timeout > 0 else None,
            ray_address=ray_address,
            threads=threads,
        )
    except (AnnotateError, PipelineLoadError, OSError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted: run again with --resume to continue", err=True)
        raise typer.Exit(130)
    typer.echo(str(summary))
    if summary.all_errors:
        typer.echo(
            f"error: every one of the {summary.records:,} records is an error (first: {summary.first_error}); "
            "check --text-field, --id-field and --input-format",
            err=True,
        )
        raise typer.Exit(1)
    if summary.records == 0 and summary.resumed_after == 0:
        typer.echo(f"warning: {input_path} holds no lines: nothing annotated", err=True)
    if summary.errors:
        typer.echo(f"warning: {summary.errors:,} of {summary.records:,} records are errors (first: {summary.first_error})", err=True)
