"""benchmarks/pruner_replay.py: replaying an unpruned search's dev curves through Optuna's pruners,
and the choice of the pruner from the replays (dev scores only)."""

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import pruner_replay  # noqa: E402


def curve(number, scores):
    steps = {100 * (i + 1): s for i, s in enumerate(scores)}
    return {"number": number, "scores": steps, "value": max(scores)}


GOOD = [curve(i, [0.80 + 0.01 * i, 0.90 + 0.01 * i, 0.92 + 0.01 * i]) for i in range(4)]
BEHIND = curve(4, [0.50, 0.60, 0.70])


def test_a_trial_clearly_behind_is_stopped_at_its_first_evaluation():
    found = pruner_replay.replay(GOOD + [BEHIND], percentile=50.0, startup=3)
    assert found["pruned"] == 1
    assert found["steps_trained"] == 4 * 300 + 100
    assert found["best_dev"] == GOOD[-1]["value"]


def test_no_trial_is_stopped_before_the_startup_trials_are_complete():
    found = pruner_replay.replay([BEHIND] + GOOD, percentile=25.0, startup=3)
    assert found["best_dev"] == GOOD[-1]["value"]
    assert found["steps_trained"] >= 3 * 300  # the first three ran to their end


def test_the_choice_is_the_largest_saving_that_keeps_the_best_in_every_study():
    def study(rows):
        return {"candidates": [{"percentile": p, "startup_trials": 3, "saving": s, "keeps_best": k} for p, s, k in rows]}

    chosen = pruner_replay.choose([study([(50.0, 0.2, True), (25.0, 0.5, True)]), study([(50.0, 0.2, True), (25.0, 0.6, False)])])
    assert chosen["percentile"] == 50.0
    chosen = pruner_replay.choose([study([(50.0, 0.2, True), (25.0, 0.5, True)])])
    assert chosen["percentile"] == 25.0 and chosen["mean_saving"] == 0.5
    assert pruner_replay.choose([study([(50.0, 0.2, False)])])["percentile"] is None
