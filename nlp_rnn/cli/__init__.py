"""``nlp-rnn`` command line: thin typer commands over importable functions.

One import line per command module (each registers its command on ``app``). Command modules
import only typer at the top; spaCy and torch load inside the command functions, so
``nlp-rnn --help`` is fast (tests/test_cli_startup.py checks that torch is not imported).
"""

from . import annotate  # noqa: F401
from . import convert  # noqa: F401
from . import evaluate  # noqa: F401
from . import predict  # noqa: F401
from . import train  # noqa: F401
from . import translate  # noqa: F401
from . import tune_prior  # noqa: F401
from . import tune_oos  # noqa: F401  (nlp-rnn tune-oos)
from . import tune  # noqa: F401  (nlp-rnn tune: hyperparameter search)
from . import generate  # noqa: F401  (registers nlp-rnn generate)
from . import export, serve  # noqa: F401  (ONNX export and the HTTP server)
from . import pretrain  # noqa: F401  (nlp-rnn pretrain: encoder pretraining on raw text)
from . import ensemble  # noqa: F401  (nlp-rnn ensemble: K trained pipelines as one)
from .app import app, fail


def main() -> None:
    """``nlp-rnn``: a command that needs torch where it is not installed ends with one line."""
    from ..torch_requirement import TORCH_MISSING, is_missing_torch

    try:
        app()
    except ModuleNotFoundError as error:
        if not is_missing_torch(error):
            raise
        raise SystemExit(fail(TORCH_MISSING).exit_code)
