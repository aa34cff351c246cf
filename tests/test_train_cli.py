"""``nlp-rnn train`` through typer's CliRunner: honest model-best, checked overrides and data,
one-line errors, readable output. Tiny model, a few steps on nine utterances."""

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from nlp_rnn.cli import app
from nlp_rnn.training.overrides import UnknownOverrideError, check_overrides
from nlp_rnn.training.progress import ProgressLine, console_logger_without_bar

from conftest import ROOT, TINY_EN

runner = CliRunner()
CONFIG = ROOT / "pipelines" / "intent_en.cfg"
TINY_MODEL = [
    "--components.rnn_intent.model.encoder.hidden_size", "8",
    "--components.rnn_intent.model.encoder.feature_widths", "[8,4,4,4,4]",
    "--components.rnn_intent.model.encoder.features", '["NORM","PREFIX","SUFFIX","SHAPE","CHARS"]',
    "--training.batcher.size", "4",
    "--training.optimizer.learn_rate.warmup_steps", "2",
]


def write_docbin(path: Path, pairs) -> Path:
    nlp = spacy.blank("en")
    labels = sorted({label for _, label in pairs})
    docbin = DocBin()
    for text, label in pairs:
        doc = nlp.make_doc(text)
        doc.cats = {l: float(l == label) for l in labels}
        docbin.add(doc)
    docbin.to_disk(path)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train_data")
    return {
        "train": write_docbin(tmp / "train.spacy", TINY_EN),
        "dev": write_docbin(tmp / "dev.spacy", TINY_EN[::2]),
        "one_intent": write_docbin(tmp / "one.spacy", [(t, "GetTime") for t, _ in TINY_EN[:3]]),
        "empty": write_docbin(tmp / "empty.spacy", []),
        "jsonl": (tmp / "train.jsonl"),
    }


def train(output, data, *args, train_path=None, dev=True):
    command = ["train", str(CONFIG), "--output", str(output), "--paths.train", str(train_path or data["train"])]
    if dev:
        command += ["--paths.dev", str(data["dev"])]
    result = runner.invoke(app, command + TINY_MODEL + [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def meta(path: Path) -> dict:
    return json.loads((path / "meta.json").read_text())


def test_a_run_shorter_than_eval_frequency_never_leaves_the_step_0_model_as_best(tmp_path, data):
    out = tmp_path / "out"
    result = train(out, data, "--training.max_steps", "7", "--training.eval_frequency", "200", "--no-tune-prior")
    assert result.exit_code == 0, result.output
    best, last = meta(out / "model-best")["training"], meta(out / "model-last")["training"]
    assert [step for step, _ in best["evaluations"]] == [0, 7]  # the final step was evaluated
    assert best["step"] == 7 and last["step"] == 7 and best["final_step"] == 7
    assert f"model-best: {out / 'model-best'} (step 7" in result.output
    assert f"model-last: {out / 'model-last'} (step 7" in result.output
    # performance in meta.json is the final evaluation's, not step 0's
    assert meta(out / "model-best")["performance"]["intent_acc"] == pytest.approx(best["evaluations"][-1][1])


def test_the_final_step_is_evaluated_when_it_is_not_a_multiple_of_eval_frequency(tmp_path, data):
    out = tmp_path / "out"
    result = train(out, data, "--training.max_steps", "10", "--training.eval_frequency", "4", "--no-tune-prior")
    assert result.exit_code == 0, result.output
    training = meta(out / "model-last")["training"]
    assert [step for step, _ in training["evaluations"]] == [0, 4, 8, 10]
    scores = {step: score for step, score in training["evaluations"] if step > 0}
    best = meta(out / "model-best")["training"]
    assert best["score"] == max(scores.values())
    assert best["step"] == max(step for step, score in scores.items() if score == best["score"])
    # no colour codes when the output is not a terminal: spaCy's table and our summary
    ours = [line for line in result.output.splitlines() if line.startswith(("✔ model-", "E ", "Pipeline"))]
    assert len(ours) >= 3 and not any("\x1b[" in line for line in ours)


def test_a_mistyped_override_fails_before_anything_is_created(tmp_path, data):
    out = tmp_path / "out"
    result = train(out, data, "--training.max_stepz", "5")
    assert result.exit_code == 1
    assert "training.max_stepz" in result.output and "did you mean --training.max_steps?" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "key, suggestion",
    [
        ("components.rnn_intent.threshhold", "components.rnn_intent.threshold"),
        ("nlp.batch_sise", "nlp.batch_size"),
        ("trainng.max_steps", "training.max_steps"),
        ("components.rnn_intent.model.encoder.hiden_size", "components.rnn_intent.model.encoder.hidden_size"),
        # the v1 (flat) place of an encoder setting points to the nested block
        ("components.rnn_intent.model.hidden_size", "components.rnn_intent.model.encoder.hidden_size"),
        ("components.rnn_intent.model.word_dropout", "components.rnn_intent.model.encoder.word_dropout"),
    ],
)
def test_unknown_override_names_the_closest_key(key, suggestion):
    written = spacy.util.load_config(CONFIG, interpolate=False)
    with pytest.raises(UnknownOverrideError, match=f"did you mean --{suggestion}"):
        check_overrides(written, [key])


def test_overrides_spacy_accepts_are_accepted():
    written = spacy.util.load_config(CONFIG, interpolate=False)
    check_overrides(written, [
        "paths.my_variable",  # [paths] holds free variables
        "system.anything",
        "training.max_steps",  # in the config
        "training.optimizer.learn_rate.warmup_steps",  # in the config
        "corpora.train.augmenter",  # a parameter of spacy.Corpus.v1
        "training.annotating_components",
        "nlp.vectors",  # a field of spaCy's [nlp] schema
    ])
    with pytest.raises(UnknownOverrideError, match="did you mean --corpora.train.augmenter"):
        check_overrides(written, ["corpora.train.augmentor"])  # a parameter of spacy.Corpus.v1, misspelt


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing_train", "train data not found"),
        ("no_dev", "no dev data: pass --paths.dev"),
        ("empty", "has no examples"),
        ("one_intent", "needs at least two intents in the training data, found 1 (GetTime)"),
        ("not_a_docbin", "is not a spaCy DocBin"),
    ],
)
def test_bad_training_data_is_one_line_and_creates_nothing(tmp_path, data, case, expected):
    out = tmp_path / "out"
    (tmp_path / "train.jsonl").write_text('{"text": "hi", "intent": "greet"}\n')
    train_path = {
        "missing_train": tmp_path / "missing.spacy",
        "empty": data["empty"],
        "one_intent": data["one_intent"],
        "not_a_docbin": tmp_path / "train.jsonl",
    }.get(case)
    result = train(out, data, "--training.max_steps", "2", train_path=train_path, dev=case != "no_dev")
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not out.exists()


def test_threads_option_is_checked(tmp_path, data):
    result = train(tmp_path / "out", data, "--threads", "0")
    assert result.exit_code == 1 and "--threads must be at least 1" in result.output


def test_progress_lines_between_evaluations():
    lines = []
    progress = ProgressLine(lines.append, max_steps=100, eval_frequency=50, every_seconds=0.0)
    progress.step(0, evaluated=True)
    progress.step(10, evaluated=False)
    assert len(lines) == 1 and lines[0].startswith("step 10/100") and "next evaluation at step 50" in lines[0]
    assert console_logger_without_bar({"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": True})["progress_bar"] is False
    assert console_logger_without_bar({"@loggers": "spacy.ConsoleLogger.v3", "progress_bar": "eval"})["progress_bar"] is None


def test_a_fixed_seed_gives_the_same_weights_and_another_seed_others(tmp_path, data):
    """``--system.seed`` fixes the whole run: two trainings with one seed save byte-identical
    weights (the benchmarks' per-seed figures rely on it); another seed changes them."""
    weights = {}
    for run, seed in (("a", 3), ("b", 3), ("c", 4)):
        out = tmp_path / run
        result = train(out, data, "--training.max_steps", "6", "--training.eval_frequency", "3", "--no-tune-prior",
                       "--system.seed", seed)
        assert result.exit_code == 0, result.output
        weights[run] = (out / "model-last" / "rnn_intent" / "model.safetensors").read_bytes()
    assert weights["a"] == weights["b"]
    assert weights["a"] != weights["c"]


def test_max_minutes_stops_at_the_next_step_and_evaluates_it(tmp_path, data, monkeypatch):
    class TenSecondsPerLook:  # the loop's clock: every look at it is 10 s later
        now = 0.0

        def perf_counter(self):
            self.now += 10.0
            return self.now

    monkeypatch.setattr("nlp_rnn.training.loop.time", TenSecondsPerLook())
    out = tmp_path / "out"
    result = train(out, data, "--max-minutes", "0.5", "--training.eval_frequency", "200", "--no-tune-prior")
    assert result.exit_code == 0, result.output
    # the loop starts at 10 s with a deadline just under 40 s (set-up used a little of the 30 s):
    # steps 0, 1, 2 end at 20, 30, 40 s → step 2 is the last
    training = meta(out / "model-best")["training"]
    assert training["final_step"] == 2 and [step for step, _ in training["evaluations"]] == [0, 2]
    assert training["step"] == 2  # the deadline step was evaluated and is model-best
    assert "the deadline (--max-minutes) has passed" in result.output and "Stopped by --max-minutes after step 2" in result.output
