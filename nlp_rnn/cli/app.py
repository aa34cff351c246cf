"""The typer application every ``nlp-rnn`` command registers on."""

import typer

app = typer.Typer(
    name="nlp-rnn",
    help="Recurrent-network NLP for spaCy: convert data, train, evaluate, predict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
