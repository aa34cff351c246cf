"""benchmarks/levers.py: overrides as CLI arguments, mean ± half spread and Δ against the baseline,
and the "gain larger than the seed spread" verdict, from a hand-made result (no training)."""

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import levers  # noqa: E402


def run(seed, intent, f1, em=0.8):
    return {"seed": seed, "intent_accuracy": intent, "span_f1": f1, "exact_match": em, "best_step": 1000,
            "final_step": 2000, "seconds_to_best_dev": 300.0, "train_seconds": 400.0, "max_minutes": None}


def test_override_args_are_json_values():
    assert levers.override_args({"training.optimizer.use_averages": True, "a.b": 0.1}) == [
        "--training.optimizer.use_averages", "true", "--a.b", "0.1"]


def test_table_deltas_and_verdict():
    results = {"dataset": "cais", "config": "pipelines/joint_zh.cfg", "levers": {
        "baseline": {"overrides": {}, "runs": [run(0, 0.95, 0.86), run(1, 0.96, 0.87)]},
        "averages": {"overrides": {"training.optimizer.use_averages": True},
                     "runs": [run(0, 0.97, 0.87), run(1, 0.975, 0.866)]},
    }}
    table = levers.markdown(results)
    assert "| baseline | (shipped config) | [0, 1] | 95.50 ± 0.50 | — | 86.50 ± 0.50 | — |" in table
    # intent +1.75 beats both spreads (1.0, 0.5); slot F1 +0.30 does not beat the baseline's 1.0
    assert "| averages | `training.optimizer.use_averages = true` | [0, 1] | 97.25 ± 0.25 | +1.75 | 86.80 ± 0.20 | +0.30 |" in table
    assert table.rstrip().splitlines()[-1].startswith("Machine:")
    row = next(line for line in table.splitlines() if line.startswith("| averages |"))
    assert row.endswith("| 300 ± 0 | 1000 ± 0 | intent_accuracy |")
