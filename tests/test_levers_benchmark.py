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


def test_a_translator_data_set_shows_bleu_and_chrf_and_decides_on_bleu():
    def translation_run(seed, bleu, chrf):
        return {"seed": seed, "bleu": bleu, "chrf": chrf, "best_step": 9000, "final_step": 9500,
                "seconds_to_best_dev": 3000.0, "train_seconds": 3100.0, "max_minutes": 70.0}

    results = {"dataset": "tatoeba_zh_en", "config": "pipelines/translate_zh_en.cfg", "levers": {
        "baseline": {"overrides": {}, "runs": [translation_run(0, 0.24, 0.43)]},
        "plateau_schedule": {"overrides": levers.resolve("plateau_schedule", "rnn_translator", {}),
                             "runs": [translation_run(0, 0.25, 0.44)]},
    }}
    table = levers.markdown(results)
    assert "| lever | overrides | seeds | BLEU | Δ | chrF | Δ | s to best dev | best step | gain > spread |" in table
    row = next(line for line in table.splitlines() if line.startswith("| plateau_schedule |"))
    assert "| 25.00 | +1.00 | 44.00 | +1.00 |" in row and row.endswith("| bleu |")  # one seed: no spread
    assert "intent acc" not in table and "- baseline seed 0: 24.00 / 43.00, step 9000 / 9500" in table


def test_the_pretrained_encoder_lever_names_the_data_sets_encoder():
    encoder = levers.WORK / "encoders" / "levers_snips"
    assert levers.resolve("pretrained_encoder", "rnn_joint", {}, encoder) == {
        "initialize.components.rnn_joint.init_encoder": "benchmarks/results/work/encoders/levers_snips"}


def test_the_summary_checks_each_test_reading_against_the_issue_targets():
    import levers_summary

    assert levers_summary.target_check({"intent_accuracy": 0.98, "span_f1": 0.944, "exact_match": 0.9}, "snips") == \
        "intent acc yes, slot F1 no, exact match yes"
    row = {"dataset": "resume", "figures": ["span_f1"], "baseline": {"span_f1": 0.93}, "test": [],
           "levers": [{"lever": "lexicon", "seeds": [0, 1], "mean": {"span_f1": 0.935}, "verdict": "no"}],
           "ensemble": {"lever": "baseline", "member_mean": {"span_f1": 0.93}, "ensemble": {"span_f1": 0.94}, "count": 1, "size": 3,
                        "speed": {"member": 1000.0, "ensemble": 300.0},
                        "test": {"member_mean": {"span_f1": 0.935}, "ensemble": {"span_f1": 0.946}}}}
    table = levers_summary.markdown([row])
    assert "| lexicon | [0, 1] | 93.50 | +0.50 | no |" in table
    assert "| ensemble of 3 | 94.60 | slot F1 yes |" in table and "0.30×" in table
    row["ensemble"]["count"] = 3
    assert "| mean of 3 ensembles of 3 | 94.60 |" in levers_summary.markdown([row])


def test_a_translator_levers_significance_is_shown_per_seed():
    results = {"dataset": "tatoeba_zh_en", "config": "pipelines/translate_zh_en.cfg", "levers": {
        "baseline": {"overrides": {}, "runs": []}},
        "significance": {"plateau_schedule": [{"seed": 0, "bleu_baseline": 0.24, "bleu_system": 0.25, "p_value": 0.0123}]}}
    assert levers.significance_note(results, "plateau_schedule") == "seed 0: 24.00 → 25.00, p = 0.012"
    assert levers.significance_note(results, "baseline") == ""
