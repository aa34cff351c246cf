"""Text generation with rnn_lm: trained by spaCy's loop, reloaded in a fresh process, sampled
with a fixed seed; verse forms; the generate command's errors; convert --format text."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from nlp_rnn.cli import app
from nlp_rnn.data.convert import convert
from nlp_rnn.generation.generator import generate
from nlp_rnn.generation.verse_form import FORMS, VerseForm, is_well_formed

ROOT = Path(__file__).resolve().parents[1]
EN_TEXT = "ROMEO:\nO, she doth teach the torches to burn bright!\n\n" * 12
POEMS = [
    "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。",
    "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。",
    "春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。",
    "朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山。",
]
TINY = [
    "--components.rnn_lm.model.hidden_size", "64", "--components.rnn_lm.model.embedding_width", "16",
    "--components.rnn_lm.model.dropout", "0.0", "--corpora.train.lanes", "4", "--corpora.dev.lanes", "4",
    "--corpora.train.chunk_length", "32", "--training.eval_frequency", "40",
    "--training.optimizer.learn_rate.warmup_steps", "5", "--training.optimizer.learn_rate.initial_rate", "0.01",
]


def _train(tmp: Path, config: str, lang: str, texts, steps: int, min_freq: int = 1) -> Path:
    nlp = spacy.blank(lang)
    DocBin(docs=[nlp.make_doc(t) for t in texts]).to_disk(tmp / "train.spacy")
    overrides = ["--paths.train", str(tmp / "train.spacy"), "--paths.dev", str(tmp / "train.spacy"),
                 "--training.max_steps", str(steps), "--components.rnn_lm.model.min_freq", str(min_freq), *TINY]
    result = subprocess.run(
        [sys.executable, "-m", "nlp_rnn", "train", str(ROOT / "pipelines" / config), "--output", str(tmp / "out"),
         *overrides],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return tmp / "out" / "model-last"


@pytest.fixture(scope="module")
def en_model(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("lm_en"), "lm_char_en.cfg", "en", [EN_TEXT], 200)


@pytest.fixture(scope="module")
def zh_model(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("lm_zh"), "lm_char_zh.cfg", "zh", POEMS * 3, 10)


def test_lm_overfits_and_generates_the_same_text_after_reload_in_a_fresh_process(en_model):
    nlp = spacy.load(en_model)
    doc = nlp(EN_TEXT)
    assert doc._.lm_log_loss / doc._.lm_chars < 0.5  # it learned the text (ln 30 ≈ 3.4 at start)
    greedy = generate(nlp, "ROMEO:\nO, she", length=30, temperature=0)[0]
    assert greedy == "ROMEO:\nO, she doth teach the torches to bur"
    here = generate(nlp, "RO", num=2, seed=7, length=60, temperature=1.0)
    code = (
        "import json, spacy, sys; from nlp_rnn.generation.generator import generate; "
        "print(json.dumps(generate(spacy.load(sys.argv[1]), 'RO', num=2, seed=7, length=60)))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(en_model)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == here
    assert generate(nlp, "RO", num=2, seed=8, length=60) != here


def test_form_samples_are_always_well_formed(zh_model):
    nlp = spacy.load(zh_model)
    for form in FORMS:
        verse = VerseForm.parse(form)
        samples = generate(nlp, num=5, seed=1, form=form, temperature=1.5)
        assert all(is_well_formed(s) and len(s) == verse.length for s in samples), samples
    assert generate(nlp, "床前", form="5x4", seed=3)[0].startswith("床前")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。", True),
        ("床前明月光，疑是地上霜。", False),  # one couplet
        ("床前明月光，疑是地上霜，舉頭望明月，低頭思故鄉。", False),  # ， after an even line
        ("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉", False),
        ("床前明月光，疑是地上霜露。舉頭望明月，低頭思故鄉。", False),
        ("床前a月光，疑是地上霜。舉頭望明月，低頭思故鄉。", False),
    ],
)
def test_is_well_formed(text, expected):
    assert is_well_formed(text) is expected


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_generate_cli_streams_samples_separated_by_one_blank_line(en_model):
    args = ("--prompt", "RO", "--length", "52", "--num", "3", "--seed", "1")
    result = _run("generate", en_model, *args)
    assert result.exit_code == 0, result.stderr
    samples = generate(spacy.load(en_model), "RO", num=3, seed=1, length=52)
    assert any(s.endswith("\n") for s in samples)  # trailing line breaks are not doubled up
    assert result.stdout == "\n\n".join(s.rstrip("\n") for s in samples) + "\n"
    assert _run("generate", en_model, *args).stdout == result.stdout


def test_generate_cli_greedy_ignores_the_seed(en_model):
    a = _run("generate", en_model, "--temperature", "0", "--length", "30", "--seed", "1")
    b = _run("generate", en_model, "--temperature", "0", "--length", "30", "--seed", "2")
    assert a.exit_code == 0 and a.stdout == b.stdout


def test_generate_cli_bad_inputs(en_model, tmp_path):
    unknown = _run("generate", en_model, "--prompt", "R€O", "--length", "5")
    assert unknown.exit_code == 0 and unknown.stdout.startswith("R€O")
    assert unknown.stderr.count("\n") == 1 and "€" in unknown.stderr and "unknown" in unknown.stderr
    no_marks = _run("generate", en_model, "--form", "5x4")
    assert no_marks.exit_code == 1 and "，" in no_marks.stdout + no_marks.stderr
    for args, words in (
        (("--form", "6x4"), "--form"),
        (("--temperature", "-1"), "--temperature"),
        (("--top-p", "0"), "--top-p"),
        (("--num", "0"), "--num"),
    ):
        bad = _run("generate", en_model, *args)
        assert bad.exit_code == 1 and words in bad.stdout + bad.stderr
    missing = _run("generate", tmp_path / "nothing")
    assert missing.exit_code == 1 and "not found" in missing.stdout + missing.stderr


def test_form_prompt_that_breaks_the_form_is_an_error(zh_model):
    bad = _run("generate", zh_model, "--form", "5x4", "--prompt", "床前明月光。")
    assert bad.exit_code == 1 and "does not fit" in bad.stdout + bad.stderr


def test_convert_text_per_line_and_per_file(tmp_path):
    source = tmp_path / "poems.txt"
    source.write_text("床前明月光\n\n白日依山盡\n", encoding="utf-8")
    report = convert(source, tmp_path / "lines.spacy", "text", "zh", doc_per="line")
    nlp = spacy.blank("zh")
    assert report.docs == 2
    assert [d.text for d in DocBin().from_disk(tmp_path / "lines.spacy").get_docs(nlp.vocab)] == ["床前明月光", "白日依山盡"]
    result = _run("convert", source, tmp_path / "file.spacy", "--format", "text", "--doc-per", "file", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    docs = list(DocBin().from_disk(tmp_path / "file.spacy").get_docs(nlp.vocab))
    assert [d.text for d in docs] == ["床前明月光\n\n白日依山盡\n"]
    bad = _run("convert", source, tmp_path / "x.spacy", "--format", "text", "--doc-per", "word", "--lang", "en")
    assert bad.exit_code == 1 and "--doc-per" in bad.stderr
    (tmp_path / "latin1.txt").write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    bad = _run("convert", tmp_path / "latin1.txt", tmp_path / "y.spacy", "--format", "text", "--lang", "en")
    assert bad.exit_code == 1 and "latin1.txt:2" in bad.stderr


def test_a_sample_is_the_same_streamed_alone_or_drawn_in_a_batch(en_model):
    from nlp_rnn.generation.generator import lm_pipe, sample_characters

    nlp = spacy.load(en_model)
    batched = generate(nlp, "RO", num=5, seed=4, length=40, batch_size=3)
    pipe = lm_pipe(nlp)
    alone = ["RO" + "".join(sample_characters(pipe, "RO", length=40, seed=4, index=i)) for i in range(5)]
    assert batched == alone and len(set(batched)) > 1


def test_next_ids_masks_top_k_top_p_and_greedy():
    import numpy

    from nlp_rnn.generation.sampling import SampleStream, next_ids

    logits = numpy.tile(numpy.asarray([[0.0, 3.0, 2.9, 1.0, -1.0]], dtype="float32"), (200, 1))
    streams = [SampleStream(i) for i in range(200)]
    assert set(next_ids(logits, temperature=0).tolist()) == {1}
    assert set(next_ids(logits, top_k=1, streams=streams).tolist()) == {1}
    assert set(next_ids(logits, top_k=2, streams=streams).tolist()) == {1, 2}
    assert set(next_ids(logits, top_p=0.01, streams=streams).tolist()) == {1}
    allowed = numpy.asarray([True, False, False, True, True])
    assert set(next_ids(logits, allowed=allowed, streams=streams).tolist()) <= {0, 3, 4}
    assert set(next_ids(logits, allowed=allowed, temperature=0).tolist()) == {3}


def test_sample_stream_draws_what_torch_rand_draws():
    """Samples written when sampling ran in torch stay the same: the numpy stream of a seed is
    torch.rand(1, generator=torch.Generator().manual_seed(seed)), draw for draw."""
    import torch

    from nlp_rnn.generation.sampling import SampleStream, sample_seed

    for seed in [sample_seed(0, 0), sample_seed(7, 3), 2**63 + 12345, 5]:
        generator, stream = torch.Generator().manual_seed(seed), SampleStream(seed)
        assert [float(torch.rand(1, generator=generator)) for _ in range(300)] == [float(stream.uniform()) for _ in range(300)]


def test_evaluate_reports_lm_metrics(en_model, zh_model, tmp_path):
    import math

    from nlp_rnn.evaluation.evaluate import evaluate

    nlp = spacy.load(en_model)
    DocBin(docs=[nlp.make_doc(EN_TEXT)]).to_disk(tmp_path / "en.spacy")
    results = evaluate(nlp, tmp_path / "en.spacy")
    doc = nlp(EN_TEXT)
    assert results["n_chars"] == len(EN_TEXT)
    assert math.isclose(results["cross_entropy_nats"], doc._.lm_log_loss / len(EN_TEXT), rel_tol=1e-5)
    assert math.isclose(results["bits_per_char"], results["cross_entropy_nats"] / math.log(2))
    assert math.isclose(results["perplexity"], math.exp(results["cross_entropy_nats"]))
    assert results["chars_per_second"] > 0 and "well_formed_rate" not in results
    zh = spacy.load(zh_model)
    DocBin(docs=[zh.make_doc(p) for p in POEMS]).to_disk(tmp_path / "zh.spacy")
    results = evaluate(zh, tmp_path / "zh.spacy")
    assert results["n_samples"] == 200 and 0.0 <= results["well_formed_rate"] <= 1.0


def test_length_is_the_number_of_characters_across_document_ends(en_model):
    """Issue 27, item 14: the model ends its document after "bright!\\n\\n"; --length still
    gives that many characters (a line break, then a new document) unless --stop-at-end."""
    nlp = spacy.load(en_model)
    stopped = generate(nlp, "RO", num=3, seed=1, length=300, stop_at_end=True)
    assert min(len(s) for s in stopped) < 302  # the model does end documents
    full = generate(nlp, "RO", num=3, seed=1, length=300)
    assert [len(s) for s in full] == [302] * 3
    assert all(f.startswith(s) for f, s in zip(full, stopped))
    result = _run("generate", en_model, "--prompt", "ROMEO:", "--length", "300", "--seed", "1")
    assert result.exit_code == 0 and len(result.stdout.rstrip("\n")) > 250, result.stdout
    result = _run("generate", en_model, "--prompt", "ROMEO:", "--length", "300", "--seed", "1", "--stop-at-end")
    assert result.exit_code == 0 and len(result.stdout) < 250


def test_convert_text_keeps_running_text_one_document_and_reports_it(tmp_path):
    """Issue 27, items 10 and 14: running text (a play) stays one document unless --doc-per
    line is asked for, and the report counts documents and characters, not intents and slots."""
    source = tmp_path / "play.txt"
    source.write_text(EN_TEXT, encoding="utf-8")
    result = _run("convert", source, tmp_path / "play.spacy", "--format", "text", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    docs = list(DocBin().from_disk(tmp_path / "play.spacy").get_docs(spacy.blank("en").vocab))
    assert [d.text for d in docs] == [EN_TEXT]
    assert f"documents: 1 (one per file); characters: {len(EN_TEXT):,}" in result.stdout
    assert "--doc-per line" in result.stdout and "intents" not in result.stdout and "slots" not in result.stdout
    result = _run("convert", source, tmp_path / "lines.spacy", "--format", "text", "--lang", "en", "--doc-per", "line")
    lines = [line for line in EN_TEXT.splitlines() if line.strip()]
    assert f"documents: {len(lines)} (one per non-blank line); characters: {sum(map(len, lines)):,}" in result.stdout
