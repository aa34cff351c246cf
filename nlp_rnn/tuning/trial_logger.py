"""The ``[training.logger]`` of a trial: spaCy's console logger that also hands every dev score
to the search, which may stop (prune) the trial there.

A trial trains with the override ``--training.logger.@loggers nlp_rnn.TrialLogger.v1``, so the
training loop (``nlp_rnn.training.loop``) is the one ``nlp-rnn train`` runs, unchanged. The
search sets the receiver of the scores with :func:`reporting_to` around the training; the
receiver raises (``optuna.TrialPruned``) to stop the trial, and that exception leaves the loop
(which saves ``model-last`` as it is). One trial at a time per process: ``--jobs`` runs trials in
separate processes and Ray runs each trial in its own worker process.
"""

from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from spacy.util import registry

LOGGER_NAME = "nlp_rnn.TrialLogger.v1"
#: the logger override a trial trains with (the block's other settings are spaCy's console logger's)
LOGGER_OVERRIDE = {"training.logger.@loggers": LOGGER_NAME}
#: the [training.logger] blocks a trial can replace (their settings are this logger's parameters)
REPLACEABLE = ("spacy.ConsoleLogger.v1", "spacy.ConsoleLogger.v2", "spacy.ConsoleLogger.v3")

Receiver = Callable[[int, float], None]
_receiver: Optional[Receiver] = None


@contextmanager
def reporting_to(receiver: Receiver) -> Iterator[None]:
    """Within the block, each evaluation after step 0 calls ``receiver(step, dev_score)``."""
    global _receiver
    previous, _receiver = _receiver, receiver
    try:
        yield
    finally:
        _receiver = previous


@registry.loggers(LOGGER_NAME)
def trial_logger(progress_bar=False, console_output: bool = True, output_file=None):
    """spaCy's console logger (no progress bar: a trial's output goes to its log file) whose
    evaluations also go to the receiver of :func:`reporting_to`. Takes the console logger's settings
    so that it can replace that block with one override."""
    console = registry.loggers.get("spacy.ConsoleLogger.v3")(
        progress_bar=None, console_output=console_output, output_file=output_file
    )

    def setup(nlp, stdout, stderr):
        log_step, finalize = console(nlp, stdout, stderr)

        def log_and_report(info):
            log_step(info)
            if info is not None and _receiver is not None and info.get("step", 0) > 0 and info.get("score") is not None:
                _receiver(int(info["step"]), float(info["score"]))

        return log_and_report, finalize

    return setup
