"""``nlp-rnn predict MODEL [TEXT ...]``: one JSON object per input (stdin lines without TEXT)."""

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..prediction import predict_texts
from .app import app, load_pipeline_or_exit


@app.command("predict")
def predict_command(
    model: Path = typer.Argument(..., help="Trained pipeline folder"),
    texts: Optional[List[str]] = typer.Argument(None, help="Texts; read from stdin, one per line, when absent"),
    top_k: int = typer.Option(3, "--top-k", "-k", help="How many intents to rank"),
    batch_size: int = typer.Option(256, "--batch-size", "-b"),
) -> None:
    """Predict intents: {"text", "intent", "confidence", "ranking"} per line of output."""
    nlp = load_pipeline_or_exit(model)
    source = texts if texts else (line.rstrip("\r\n") for line in sys.stdin)
    for record in predict_texts(nlp, source, top_k=top_k, batch_size=batch_size):
        typer.echo(json.dumps(record, ensure_ascii=False))
