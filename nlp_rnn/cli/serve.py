"""``nlp-rnn serve MODEL``: an HTTP server (FastAPI + uvicorn) with a Rasa-compatible parse endpoint."""

from pathlib import Path
from typing import Optional

import typer

from .app import app, fail, printer


@app.command("serve")
def serve_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained (or exported) pipeline folder"),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1: this machine only)"),
    port: int = typer.Option(8000, "--port", "-p", help="TCP port"),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes, each with its own copy of the model"),
    max_batch: int = typer.Option(32, "--max-batch", min=1, help="Most texts per model call (concurrent requests are batched)"),
    max_wait_ms: float = typer.Option(0.0, "--max-wait-ms", min=0.0, help="How long a batch that is not full waits for more texts (0: texts that arrive while the model is busy form the next batch)"),
    token_env: Optional[str] = typer.Option(None, "--token-env", metavar="VAR", help="Require 'Authorization: Bearer <token>', the token read from this environment variable"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help="CPU threads per worker for torch / onnxruntime (default: cores / workers)"),
    max_text_length: int = typer.Option(10_000, "--max-text-length", min=1, help="Longest text in characters (longer: 413)"),
    max_batch_texts: int = typer.Option(256, "--max-batch-texts", min=1, help="Most texts in one /parse or /translate request (more: 413)"),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request"),
) -> None:
    """Serve a pipeline over HTTP: POST /model/parse (Rasa's format), POST /parse (batch, the
    records of `nlp-rnn predict`), POST /translate, GET /health, GET /version; docs at /docs."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise fail("nlp-rnn serve needs FastAPI and uvicorn: pip install 'nlp-rnn[serve]'")
    from ..loading import PipelineLoadError
    from ..serving.server import default_threads, load_model, run_server, set_threads
    from ..serving.settings import ServeSettings

    settings = ServeSettings(
        model=str(model), max_batch=max_batch, max_wait_ms=max_wait_ms, max_text_length=max_text_length,
        max_batch_texts=max_batch_texts, token_env=token_env,
    )
    try:
        settings.validate()
        set_threads(threads if threads is not None else default_threads(workers))
    except ValueError as error:
        raise fail(str(error))
    try:
        nlp = load_model(str(model))
    except PipelineLoadError as error:
        raise fail(str(error))
    if workers > 1:
        del nlp  # each worker loads its own copy
        nlp = None
    auth = f", bearer token from ${token_env}" if token_env else ""
    printer().info(f"serving {model} on http://{host}:{port} ({workers} worker(s), max batch {max_batch}{auth}); docs at /docs")
    run_server(settings, host, port, workers=workers, nlp=nlp, access_log=access_log)
