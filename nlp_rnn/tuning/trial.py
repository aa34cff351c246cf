"""One trial: an ordinary training run with the trial's settings, in its own folder.

``DIR/trials/NNN/config.cfg`` is the config with the user's overrides and the trial's values
written in (ready for ``nlp-rnn train``), ``train.log`` is everything the training printed, and
``model-best`` / ``model-last`` are what ``nlp-rnn train`` saves. The training is the function
``nlp-rnn train`` calls (:attr:`SearchSetup.train`, given by the command line layer), with
:mod:`.trial_logger` in place of the console logger so each dev score reaches the search.
"""

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from .errors import TuneError
from .trial_logger import LOGGER_OVERRIDE, REPLACEABLE, Receiver, reporting_to


@dataclass
class SearchSetup:
    """What every trial of one search shares (picklable: it travels to worker processes)."""

    config_path: Path
    overrides: Dict[str, Any]  # the user's --section.key values (data paths, steps, ...)
    output: Path  # the search folder DIR
    train: Callable  # train(config, output, gpu_id, overrides, tune_prior, max_minutes) -> TrainingSummary
    gpu_id: int = -1
    deadline: Optional[float] = None  # time.time() after which no trial starts or goes on
    prune: bool = True
    extra: Dict[str, Any] = field(default_factory=dict)

    def minutes_left(self) -> Optional[float]:
        return None if self.deadline is None else (self.deadline - time.time()) / 60.0


@dataclass
class TrialOutcome:
    """A finished training: its best dev score and where it was reached."""

    score: float
    best_step: Optional[int]
    steps: int
    minutes: float


def load_trial_config(setup: SearchSetup, params: Dict[str, Any]):
    """The config (not interpolated) with the user's overrides, then the trial's values."""
    from spacy import util

    try:
        return util.load_config(setup.config_path, overrides={**setup.overrides, **params}, interpolate=False)
    except Exception as error:  # confection raises several kinds for a bad override
        raise TuneError(f"{setup.config_path}: {one_line(str(error))}") from None


def one_line(text: str, limit: int = 400) -> str:
    """``text`` on one line, cut at ``limit`` characters (a report cell, a progress line)."""
    line = " ".join(part.strip() for part in str(text).strip().splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def trial_folder(output: Path, name: str) -> Path:
    return Path(output) / "trials" / name


def run_trial(setup: SearchSetup, folder: Path, params: Dict[str, Any], receiver: Receiver) -> TrialOutcome:
    """Train with ``params`` into ``folder``; every dev score goes to ``receiver`` (which may raise
    to stop the trial). Raises :class:`TuneError` when the time is up before the start, and
    whatever the training raised when it failed."""
    started = time.perf_counter()
    left = setup.minutes_left()
    if left is not None and left <= 0:
        raise TuneError("--max-minutes are over before this trial started")
    folder.mkdir(parents=True, exist_ok=True)
    config = load_trial_config(setup, params)
    config_path = folder / "config.cfg"
    config.to_disk(config_path)
    logger = (config.get("training") or {}).get("logger") or {}
    overrides = dict(LOGGER_OVERRIDE) if logger.get("@loggers") in REPLACEABLE else {}
    with open(folder / "train.log", "a", encoding="utf8") as log, \
            contextlib.redirect_stdout(log), contextlib.redirect_stderr(log), reporting_to(receiver):
        summary = setup.train(config_path, folder, setup.gpu_id, overrides, True, left)
    if summary.best_score is None:
        raise TuneError("the training ended without a dev evaluation")
    return TrialOutcome(
        score=float(summary.best_score),
        best_step=summary.best_step,
        steps=int(summary.final_step),
        minutes=(time.perf_counter() - started) / 60.0,
    )
