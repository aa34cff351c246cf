"""The one error type of the search: a problem the user can fix, said in one line."""


class TuneError(ValueError):
    """The search cannot start or go on (bad space file, config, output folder, missing extra)."""


def import_optuna():
    """``optuna``, or an error saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise TuneError('nlp-rnn tune needs Optuna: pip install -e ".[tune]"  (or: pip install optuna)') from None
    return optuna
