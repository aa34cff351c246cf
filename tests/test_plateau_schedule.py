"""nlp_rnn.warmup_plateau.v1: warm-up, decay on a dev plateau, and the training loop feeding it."""

import pytest
from spacy.util import registry
from thinc.api import Adam

from nlp_rnn.training.plateau_schedule import PlateauSchedule, observe_dev_score


def test_warm_up_then_constant_until_a_plateau():
    schedule = registry.schedules.get("nlp_rnn.warmup_plateau.v1")(initial_rate=0.01, warmup_steps=4, patience=2, factor=0.5)
    rates = [next(schedule) for _ in range(6)]
    assert rates == pytest.approx([0.0, 0.0025, 0.005, 0.0075, 0.01, 0.01])
    for score in (0.5, 0.6, 0.6, 0.6):  # two evaluations without improvement: halve
        schedule.observe(score)
    assert next(schedule) == pytest.approx(0.005) and schedule.decays == 1
    schedule.observe(0.7)  # an improvement resets the count
    schedule.observe(0.7)
    assert next(schedule) == pytest.approx(0.005)
    schedule.observe(0.69)
    assert next(schedule) == pytest.approx(0.0025)


def test_rate_never_goes_below_min_rate():
    schedule = PlateauSchedule(0.01, 0, factor=0.1, patience=1, min_rate=0.004, threshold=0.0)
    for _ in range(5):
        schedule.observe(0.1)
    assert next(schedule) == pytest.approx(0.004)


def test_the_optimizer_passes_dev_scores_to_the_schedule():
    schedule = PlateauSchedule(0.01, 0, factor=0.5, patience=1, min_rate=0.0, threshold=0.0)
    optimizer = Adam(learn_rate=schedule)
    assert observe_dev_score(optimizer, 0.5) is None
    assert observe_dev_score(optimizer, 0.4) == "warmup_plateau: learn rate decayed to 0.005 (dev score stalled)"
    optimizer.step_schedules()
    assert optimizer.learn_rate == pytest.approx(0.005)
    assert observe_dev_score(Adam(learn_rate=0.001), 0.3) is None  # a plain rate: nothing to tell


@pytest.mark.parametrize("bad", [{"initial_rate": 0}, {"factor": 1.0}, {"patience": 0}])
def test_bad_settings_are_rejected(bad):
    with pytest.raises(ValueError, match="warmup_plateau"):
        PlateauSchedule(**{**dict(initial_rate=0.01, warmup_steps=0, factor=0.5, patience=2, min_rate=0.0, threshold=0.0), **bad})
