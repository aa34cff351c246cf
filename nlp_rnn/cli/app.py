"""The typer application every ``nlp-rnn`` command registers on."""

from pathlib import Path

import typer
from spacy.language import Language
from wasabi import msg

from ..loading import PipelineLoadError, load_pipeline

app = typer.Typer(
    name="nlp-rnn",
    help="Recurrent-network NLP for spaCy: convert data, train, evaluate, predict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def load_pipeline_or_exit(path: Path) -> Language:
    """Load a trained pipeline for a command, or print one clear error and exit with code 1."""
    try:
        return load_pipeline(path)
    except PipelineLoadError as error:
        msg.fail(str(error))
        raise typer.Exit(1)
