"""``nlp-rnn annotate MODEL INPUT OUTPUT``: annotate a large corpus, streaming and resumable."""

from pathlib import Path
from typing import Optional

import typer

from ..annotate import AnnotateError, annotate
from ..loading import PipelineLoadError
from .app import app


@app.command("annotate")
def annotate_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained pipeline folder (e.g. training/model-best)"),
    input_path: Path = typer.Argument(..., metavar="INPUT", help="JSONL, .txt (one document per line), CSV or Parquet"),
    output: Path = typer.Argument(..., metavar="OUTPUT", help="JSONL output (Parquet when it ends in .parquet)"),
    text_field: str = typer.Option("text", "--text-field", help="Field / column holding the text"),
    id_field: str = typer.Option("id", "--id-field", help="Field / column passed through as the record id"),
    input_format: Optional[str] = typer.Option(
        None, "--input-format", help="jsonl, text, csv or parquet (default: from the extension)"
    ),
    batch_size: int = typer.Option(256, "--batch-size", "-b", help="Documents per batch (and per flush)"),
    n_process: int = typer.Option(
        1, "--n-process", "-n", help="Worker processes (Ray: actors); -1: one per CPU"
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run after OUTPUT's last record"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start again when OUTPUT exists"),
    engine: str = typer.Option("local", "--engine", help="local (this machine) or ray (Ray Data)"),
    ray_address: Optional[str] = typer.Option(
        None, "--ray-address", help="Ray cluster to join (default: $RAY_ADDRESS, else a local instance)"
    ),
    fsync: bool = typer.Option(False, "--fsync", help="fsync OUTPUT after every batch (survives power loss)"),
    code: Optional[Path] = typer.Option(None, "--code", help="Python file to import first (custom components)"),
    batch_timeout: float = typer.Option(
        600.0, "--batch-timeout", help="Seconds to wait for a worker's batch before failing"
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr"),
) -> None:
    """Annotate every line of INPUT: one JSON record per line, in input order, with intent,
    confidence, slots (and translation); bad lines become {"line", "error"} records."""
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
        )
    except (AnnotateError, PipelineLoadError, OSError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted: run again with --resume to continue", err=True)
        raise typer.Exit(130)
    typer.echo(str(summary))
