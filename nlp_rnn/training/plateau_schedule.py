"""``nlp_rnn.warmup_plateau.v1``: a learning rate that follows the data instead of a step count.

A fixed ``warmup_linear`` schedule decays to zero at ``total_steps``, which suits one data size:
on a corpus ten times larger the rate reaches zero while dev accuracy is still rising. This
schedule warms up linearly for ``warmup_steps`` and then holds ``initial_rate``, halving it
(``factor``) whenever the dev score has not improved (by more than ``threshold``) for
``patience`` evaluations, down to ``min_rate``. Training then ends by spaCy's early stopping
(``[training] patience``, in steps without a strictly better dev score: spaCy counts a tie as the
earlier step), with ``max_steps = 0`` and ``max_epochs = 0`` in the shipped configs — so one
config serves 100 and 100,000 utterances.

The dev scores come from :func:`nlp_rnn.training.loop.train_pipeline`, which calls
:meth:`PlateauSchedule.observe` after every evaluation. Outside that loop (``spacy train``) the
schedule is warm-up then constant.
"""

from typing import Optional

from spacy.util import registry


class PlateauSchedule:
    """An iterator of learning rates (thinc calls ``next`` once per step) that also listens to
    dev scores through :meth:`observe`."""

    def __init__(self, initial_rate: float, warmup_steps: int, factor: float, patience: int, min_rate: float, threshold: float):
        if initial_rate <= 0 or not 0.0 < factor < 1.0 or patience < 1 or warmup_steps < 0 or min_rate < 0:
            raise ValueError("warmup_plateau: initial_rate > 0, 0 < factor < 1, patience >= 1, warmup_steps >= 0, min_rate >= 0")
        self.rate = initial_rate
        self.warmup_steps = warmup_steps
        self.factor = factor
        self.patience = patience
        self.min_rate = min_rate
        self.threshold = threshold
        self.step = 0
        self.best: Optional[float] = None
        self.bad_evaluations = 0
        self.decays = 0

    def __iter__(self) -> "PlateauSchedule":
        return self

    def __next__(self) -> float:
        warm = min(1.0, self.step / self.warmup_steps) if self.warmup_steps else 1.0
        self.step += 1
        return warm * self.rate

    def observe(self, score: float) -> bool:
        """One dev evaluation: decay the rate after ``patience`` evaluations without improvement.
        Returns True when the rate was just decayed."""
        if self.best is None or score > self.best + self.threshold:
            self.best, self.bad_evaluations = score, 0
            return False
        self.bad_evaluations += 1
        if self.bad_evaluations >= self.patience and self.rate > self.min_rate:
            self.rate = max(self.min_rate, self.rate * self.factor)
            self.bad_evaluations = 0
            self.decays += 1
            return True
        return False


@registry.schedules("nlp_rnn.warmup_plateau.v1")
def warmup_plateau(
    initial_rate: float, warmup_steps: int = 200, factor: float = 0.5, patience: int = 2,
    min_rate: float = 0.00001, threshold: float = 0.0001,
) -> PlateauSchedule:
    """See the module docstring."""
    return PlateauSchedule(initial_rate, warmup_steps, factor, patience, min_rate, threshold)


DECAY_MESSAGE = "warmup_plateau: learn rate decayed to {rate:.3g} (dev score stalled)"


def observe_dev_score(optimizer, score: float) -> Optional[str]:
    """Tell the optimizer's learning-rate schedule about a dev evaluation, if it listens; the
    line to log when that decayed the rate (:data:`DECAY_MESSAGE`), else None."""
    schedule = getattr(optimizer, "schedules", {}).get("learn_rate")
    if isinstance(schedule, PlateauSchedule) and schedule.observe(score):
        return DECAY_MESSAGE.format(rate=schedule.rate)
    return None
