"""``nlp-rnn`` command line: thin typer commands over importable functions."""

from . import annotate, convert, evaluate, predict, train, translate, tune_prior  # noqa: F401  (each registers its command)
from .app import app


def main() -> None:
    app()
