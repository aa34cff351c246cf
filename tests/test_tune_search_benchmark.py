"""benchmarks/tune_search.py: the figures it reads from ``nlp-rnn tune`` reports, the issue's
checks and the markdown they render to (the trainings themselves are the CLI's, tested elsewhere)."""

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import tune_search  # noqa: E402

BASELINE = "baseline (the config's own values)"


def report(minutes, best_score, best_params, trials):
    return {"minutes": minutes, "counts": {"complete": len(trials), "pruned": 0, "failed": 0},
            "best": {"trial": 1, "dev_score": best_score, "params": best_params, "config": "best/config.cfg"},
            "trials": trials}


def trial(number, state, score, minutes, steps, notes=()):
    return {"number": number, "state": state, "dev_score": score, "minutes": minutes, "steps": steps, "notes": list(notes)}


def test_search_figures_take_the_baseline_trial_as_the_default():
    found = tune_search.search_figures(report(3.0, 0.95, {"x": 1}, [
        trial(0, "complete", 0.93, 1.0, 400, [BASELINE]), trial(1, "complete", 0.95, 1.5, 600), trial(2, "pruned", 0.5, 0.5, 200)]))
    assert found["baseline_dev_score"] == 0.93 and found["best_dev_score"] == 0.95
    assert found["steps_trained"] == 1200 and found["minutes_in_trials"] == pytest.approx(3.0)


def test_a_pruned_baseline_has_no_default_dev_score():
    found = tune_search.search_figures(report(1.0, 0.9, {}, [trial(0, "pruned", 0.4, 0.5, 200, [BASELINE])]))
    assert found["baseline_dev_score"] is None


def test_pruning_saving_and_same_best():
    pruned = {"steps_trained": 3000, "minutes_in_trials": 30.0, "best_dev_score": 0.950, "best_params": {"x": 1}}
    same = tune_search.pruning_figures(pruned, {"steps_trained": 6000, "minutes_in_trials": 40.0, "best_dev_score": 0.950,
                                                "best_params": {"x": 1}})
    assert same["saving"] == pytest.approx(0.5) and same["saving_minutes"] == pytest.approx(0.25)
    assert same["same_best_settings"] and same["same_best"]
    close = tune_search.pruning_figures(pruned, {"minutes": 40.0, "best_dev_score": 0.9515, "best_params": {"x": 2}})
    assert not close["same_best_settings"] and close["same_best"] and close["dev_gap_points"] == pytest.approx(0.15)
    far = tune_search.pruning_figures(pruned, {"minutes": 40.0, "best_dev_score": 0.9530, "best_params": {"x": 2}})
    assert not far["same_best"]


def test_checks_and_markdown():
    results = {
        "set": "sample", "config": "pipelines/joint_en.cfg", "machine": "x86_64, 2 CPUs", "trials": 3, "seeds": [0, 1],
        "fixed": {"training.max_steps": "30"},
        "search": {"minutes_in_trials": 2.0, "counts": {"complete": 2, "pruned": 1, "failed": 0}, "steps_trained": 90, "best_trial": 1,
                   "best_dev_score": 0.95, "baseline_dev_score": 0.93, "best_params": {"a.b.dropout": 0.25}},
        "noprune": {"minutes_in_trials": 4.0, "counts": {"complete": 3}, "steps_trained": 120, "best_trial": 1,
                    "best_dev_score": 0.95, "baseline_dev_score": 0.93, "best_params": {"a.b.dropout": 0.25}},
        "retrain": {"default": {"intent_accuracy": 0.97, "spread": {"intent_accuracy": 0.004}, "seconds_to_best_dev": 10},
                    "best": {"intent_accuracy": 0.967, "spread": {"intent_accuracy": 0.002}, "seconds_to_best_dev": 12}},
        "throughput": {"trials": 4, "steps_per_trial": 400, "engines": {
            "1 process": {"wall_minutes": 4.0, "trials_per_hour": 60.0}, "--jobs 2": {"wall_minutes": 2.5, "trials_per_hour": 96.0}}},
    }
    results["pruning"] = tune_search.pruning_figures(results["search"], results["noprune"])
    results["checks"] = tune_search.checks(results)
    met = {row["check"].split(":")[0].split(" ≥")[0]: row["met"] for row in results["checks"]}
    assert met["best dev score"] is True and met["test intent_accuracy"] is True  # 96.7 ≥ 97.0 − 0.4
    assert met["pruning saves"] is False  # 90 of 120 steps
    text = tune_search.markdown(results)
    assert "**Reduced run**" in text and "| --jobs 2 | 2.50 | 96.0 | 1.60 |" in text
    assert "| default | 97.00 ± 0.20 |" in text and "| pruning saves ≥ 40% of the search's training steps | 25.0% (50.0% of the trials' minutes) | no |" in text


def test_fixed_overrides_may_not_set_the_data_or_the_seed():
    assert tune_search.parse_fixed(["training.max_steps=30"]) == {"training.max_steps": "30"}
    for bad in (["paths.train=x"], ["system.seed=1"], ["training.max_steps"]):
        with pytest.raises(SystemExit):
            tune_search.parse_fixed(bad)
