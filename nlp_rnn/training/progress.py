"""Training progress between evaluations, for output that is not a terminal.

spaCy's console logger prints a table row only at each evaluation (every ``eval_frequency``
steps, minutes apart on a slow machine); its progress bar rewrites one line with ``\\r``, which
fills a log file with unreadable text. When the output is not a terminal the bar is switched off
and :class:`ProgressLine` prints a plain line (step, steps/s, next evaluation) every
``every_seconds`` instead.
"""

import time
from typing import Any, Callable, Dict

CONSOLE_LOGGERS = ("spacy.ConsoleLogger.v1", "spacy.ConsoleLogger.v2", "spacy.ConsoleLogger.v3")


def console_logger_without_bar(block: Dict[str, Any]) -> Dict[str, Any]:
    """The ``[training.logger]`` block with spaCy's progress bar switched off (other loggers as
    they are)."""
    name = block.get("@loggers")
    if name not in CONSOLE_LOGGERS or not block.get("progress_bar"):
        return block
    return dict(block, progress_bar=None if name == "spacy.ConsoleLogger.v3" else False)


class ProgressLine:
    """Prints ``step N/MAX · X steps/s · next evaluation at step E`` at most every
    ``every_seconds`` (measured from the last line or evaluation)."""

    def __init__(self, write: Callable[[str], None], max_steps: int, eval_frequency: int, every_seconds: float = 30.0):
        self.write = write
        self.max_steps = max_steps
        self.eval_frequency = eval_frequency
        self.every_seconds = every_seconds
        self.last_time = time.perf_counter()
        self.last_step = 0

    def step(self, step: int, evaluated: bool) -> None:
        now = time.perf_counter()
        if evaluated:
            self.last_time, self.last_step = now, step
            return
        if now - self.last_time < self.every_seconds:
            return
        rate = (step - self.last_step) / (now - self.last_time)
        total = f"/{self.max_steps}" if self.max_steps else ""
        next_eval = (step // self.eval_frequency + 1) * self.eval_frequency
        if self.max_steps:
            next_eval = min(next_eval, self.max_steps)
        self.write(f"step {step}{total} · {rate:.2f} steps/s · next evaluation at step {next_eval}")
        self.last_time, self.last_step = now, step
