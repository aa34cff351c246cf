"""rnn_translator: overfitting + fresh-process reload, batching, odd inputs, search, readers, CLI, plot."""

import json
import subprocess
import sys

import pytest
import spacy
import torch
from spacy.tokens import DocBin
from spacy.training import Example
from typer.testing import CliRunner

import nlp_rnn.cli.translate  # noqa: F401  (registers the translate command on the app)
from nlp_rnn.architectures.torch_model import featurize, torch_module
from nlp_rnn.architectures.translator import TargetVocab
from nlp_rnn.cli.app import app
from nlp_rnn.data import InvalidRecordError, ReadReport, convert
from nlp_rnn.data.tatoeba_format import read_hf_parallel, read_tatoeba
from nlp_rnn.evaluation import attention_plot
from nlp_rnn.evaluation.attention_plot import plot_attention
from nlp_rnn.evaluation.evaluate import evaluate
from nlp_rnn.nn.search import beam_search, greedy_search
from nlp_rnn.pipeline.rnn_pipe import RNNPipe
from nlp_rnn.pipeline.translator import TRANSLATION_KEY
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

ZH_EN = [
    ("我很好。", "I'm fine."),
    ("他是我的朋友。", "He is my friend."),
    ("我們走吧！", "Let's go!"),
    ("汤姆在哪里？", "Where is Tom?"),
    ("我喜欢猫。", "I like cats."),
    ("今天很冷。", "It's cold today."),
]
EN_ZH = [("I'm fine.", "我很好。"), ("Where is Tom?", "汤姆在哪里？"), ("I like cats.", "我喜欢猫。")]
TINY = {
    "features": ["ORTH", "SOFTWORD", "JIEBA_WORD"],
    "feature_widths": [32, 4, 16],
    "hidden_size": 32,
    "decoder_hidden_size": 48,
    "target_width": 32,
    "dropout": 0.0,
    "embedding_dropout": 0.0,
    "label_smoothing": 0.0,
}
ODD_TEXTS = ["", "Hello 我很好 😀 Ωmega", "😀😀😀", "   ", "我" * 600, "我很好。他是我的朋友。"]


def examples_for(nlp, pairs):
    examples = []
    for source, target in pairs:
        doc = nlp.make_doc(source)
        reference = doc.copy()
        reference.user_data[TRANSLATION_KEY] = target
        examples.append(Example(doc, reference))
    return examples


def train(nlp, pairs, steps):
    examples = examples_for(nlp, pairs)
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


@pytest.fixture(scope="module")
def zh_en():
    nlp = spacy.blank("zh")  # character segmentation
    nlp.add_pipe("rnn_translator", config={"model": nest_encoder_settings(TINY), "beam_size": 3})
    return train(nlp, ZH_EN, 70)


def translator(nlp) -> RNNPipe:
    return nlp.get_pipe("rnn_translator")


# --- the component ---------------------------------------------------------------------------


def test_overfits_and_reloads_in_fresh_process(zh_en, tmp_path):
    for source, target in ZH_EN:
        assert zh_en(source)._.translation == target
    zh_en.to_disk(tmp_path / "model")
    texts = [s for s, _ in ZH_EN] + ODD_TEXTS
    script = (
        "import json, sys, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "print(json.dumps([d._.translation for d in nlp.pipe(json.loads(sys.argv[2]))]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "model"), json.dumps(texts)],
        check=True, capture_output=True, text=True, env={"OMP_NUM_THREADS": "1", "PATH": ""},
    )
    assert json.loads(result.stdout) == [zh_en(t)._.translation for t in texts]


@pytest.mark.parametrize("batch_size", [1, 2, 5])
def test_same_translation_alone_and_in_batches(zh_en, batch_size):
    texts = [s for s, _ in ZH_EN] + ODD_TEXTS + ["我喜欢他。", "汤姆很冷。"]
    alone = [zh_en(t)._.translation for t in texts]
    assert [d._.translation for d in zh_en.pipe(texts, batch_size=batch_size)] == alone


def test_empty_source_gives_empty_translation(zh_en):
    assert zh_en("")._.translation == ""
    assert zh_en(" ")._.translation == ""
    assert [d._.translation for d in zh_en.pipe(["", "我很好。", ""])] == ["", "I'm fine.", ""]


def test_long_source_output_is_bounded(zh_en):
    pipe = translator(zh_en)
    pipe.store_attention = True
    try:
        doc = zh_en("我很好他是" * 200)
    finally:
        pipe.store_attention = False
    attention = doc._.translation_attention
    n_source = len(attention["source"])
    assert n_source == pipe.model.attrs["featurizer"].max_length  # source truncated
    assert len(attention["target"]) <= pipe.max_output_length(n_source) <= 128
    assert pipe.max_output_length(3) == int(2.0 * 3 + 10)


def test_unknown_characters_and_mixed_scripts(zh_en):
    for text in ODD_TEXTS:
        assert isinstance(zh_en(text)._.translation, str)
    assert zh_en("我很好😀")._.translation  # an unseen character does not break the sentence


def test_greedy_equals_beam_one_through_the_component(zh_en):
    pipe = translator(zh_en)
    texts = [s for s, _ in ZH_EN] + ["我喜欢他。", "汤姆很冷。", "Hello 我很好 😀"]
    docs = [zh_en.make_doc(t) for t in texts]
    old = pipe.beam_size
    pipe.beam_size = 1
    try:
        component = [ids for ids, _ in pipe.predict(docs)]
    finally:
        pipe.beam_size = old
    src_ids, src_lengths = featurize(pipe.model, docs)
    module = torch_module(pipe.model).eval()
    greedy, greedy_att = greedy_search(module, src_ids, src_lengths, pipe.max_output_length)
    beam1, beam1_att = beam_search(module, src_ids, src_lengths, 1, pipe.max_output_length)
    assert component == greedy == beam1
    for a, b in zip(greedy_att, beam1_att):
        assert torch.allclose(torch.from_numpy(a), torch.from_numpy(b), atol=1e-6)


def test_attention_is_stored_for_plotting(zh_en):
    pipe = translator(zh_en)
    pipe.store_attention = True
    try:
        doc = zh_en("我很好。")
    finally:
        pipe.store_attention = False
    attention = doc._.translation_attention
    assert attention["source"] == ["我", "很", "好", "。"]
    assert attention["target"] == ["I", "'m", "fine", "."]
    assert len(attention["weights"]) == 4 and all(len(row) == 4 for row in attention["weights"])
    assert all(abs(sum(row) - 1.0) < 1e-4 for row in attention["weights"])


def test_score_and_evaluate_report_bleu_chrf_speed(zh_en, tmp_path):
    scores = zh_en.evaluate(examples_for(zh_en, ZH_EN))
    assert scores["bleu"] == pytest.approx(1.0) and scores["chrf"] == pytest.approx(1.0)
    source = tmp_path / "pairs.tsv"
    source.write_text("".join(f"{t}\t{s}\tCC-BY\n" for s, t in ZH_EN), encoding="utf8")
    convert(source, tmp_path / "test.spacy", "tatoeba", "zh")
    results = evaluate(zh_en, tmp_path / "test.spacy", batch_size=4)
    assert results["bleu"] == pytest.approx(1.0) and results["chrf"] == pytest.approx(1.0)
    assert results["sentences_per_second"] > 0 and results["n_references"] == len(ZH_EN)


def test_english_to_chinese_characters_with_zh_bleu():
    nlp = spacy.blank("en")
    model = dict(TINY, features=["ORTH"], feature_widths=[32], target_units="chars", target_lang="zh")
    nlp.add_pipe("rnn_translator", config={"model": nest_encoder_settings(model), "beam_size": 2})
    train(nlp, EN_ZH, 60)
    assert [nlp(s)._.translation for s, _ in EN_ZH] == [t for _, t in EN_ZH]
    scores = nlp.evaluate(examples_for(nlp, EN_ZH))
    assert scores["bleu"] == pytest.approx(1.0)


def test_initialize_without_translations_is_a_clear_error():
    nlp = spacy.blank("zh")
    nlp.add_pipe("rnn_translator", config={"model": nest_encoder_settings(TINY)})
    examples = [Example(nlp.make_doc("我很好"), nlp.make_doc("我很好"))]
    with pytest.raises(ValueError, match="no gold translations"):
        nlp.initialize(lambda: examples)


# --- target units ----------------------------------------------------------------------------


def test_target_tokens_rebuild_the_text_exactly():
    texts = ["I'm here.", "Don't go, Tom!", "He said \"hi\" (twice).", "It costs $5.50."]
    vocab = TargetVocab.from_texts(texts, "tokens", "en", min_freq=1)
    assert vocab.split("I'm here.") == ["I", "'m", "▁here", "."]
    for text in texts:
        assert vocab.decode(vocab.encode(text)) == text
    assert vocab.decode(vocab.encode("I'm nowhere.")) == "I'm."  # unknown units are left out
    chars = TargetVocab.from_texts(["我很好。", "Tom 是我的朋友。"], "chars", "zh", min_freq=1)
    assert chars.decode(chars.encode("Tom 是我的朋友。")) == "Tom 是我的朋友。"


# --- readers ---------------------------------------------------------------------------------


def test_tatoeba_reader_sides_and_malformed_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "Hi.\t嗨。\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM)\n"
        "\n"
        "Run.\t你用跑的。\n"
        "only one column\n"
        "Wait!\t\tCC-BY\n",
        encoding="utf8",
    )
    with pytest.raises(InvalidRecordError) as error:
        list(read_tatoeba(path, lang="zh"))
    assert str(error.value) == (
        f"{path}:4: expected 2 or 3 tab-separated columns (English, translation[, attribution]), got 1"
    )
    report = ReadReport()
    records = list(read_tatoeba(path, lang="zh", skip_invalid=True, report=report))
    assert [(r.text, r.translation) for r in records] == [("嗨。", "Hi."), ("你用跑的。", "Run.")]
    assert report.invalid[1] == f"{path}:5: source sentence (column 2) is empty"
    english = list(read_tatoeba(path, lang="en", skip_invalid=True))
    assert [(r.text, r.translation) for r in english] == [("Hi.", "嗨。"), ("Run.", "你用跑的。")]


def test_convert_tatoeba_stores_the_translation(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Hi.\t嗨。\tCC-BY\nbad line\n", encoding="utf8")
    result = CliRunner().invoke(app, ["convert", str(path), str(tmp_path / "x.spacy"), "-f", "tatoeba", "-l", "zh"])
    assert result.exit_code == 1 and f"{path}:2:" in result.stderr
    result = CliRunner().invoke(
        app, ["convert", str(path), str(tmp_path / "x.spacy"), "-f", "tatoeba", "-l", "zh", "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "translation pairs: 1" in result.output and "invalid records skipped: 1" in result.output
    docs = list(DocBin().from_disk(tmp_path / "x.spacy").get_docs(spacy.blank("zh").vocab))
    assert [(d.text, d.user_data[TRANSLATION_KEY]) for d in docs] == [("嗨。", "Hi.")]


def test_hf_parallel_local_files(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    nested = tmp_path / "nested.jsonl"
    nested.write_text(
        json.dumps({"translation": {"en": "Hi.", "zh": "嗨。"}}, ensure_ascii=False) + "\n"
        + json.dumps({"translation": {"en": "Run.", "zh": ""}}, ensure_ascii=False) + "\n",
        encoding="utf8",
    )
    report = ReadReport()
    records = list(read_hf_parallel(nested, lang="zh", skip_invalid=True, report=report))
    assert [(r.text, r.translation) for r in records] == [("嗨。", "Hi.")]
    assert report.invalid == [f"{nested}[train]:2: source sentence is empty"]
    columns = tmp_path / "columns.csv"
    columns.write_text("src,tgt,en\n你好,Hello,x\n", encoding="utf8")
    records = list(read_hf_parallel(columns, lang="zh", text_column="src", target_column="tgt"))
    assert [(r.text, r.translation) for r in records] == [("你好", "Hello")]
    named = tmp_path / "named.jsonl"
    named.write_text(json.dumps({"en": "Hello", "zh": "你好"}, ensure_ascii=False) + "\n", encoding="utf8")
    report = convert(named, tmp_path / "named.spacy", "hf_parallel", "en")
    docs = list(DocBin().from_disk(tmp_path / "named.spacy").get_docs(spacy.blank("en").vocab))
    assert report.docs == 1 and docs[0].user_data[TRANSLATION_KEY] == "你好"
    with pytest.raises(ValueError, match="cannot tell the source and target"):
        list(read_hf_parallel(columns, lang="zh"))


# --- CLI and plot ----------------------------------------------------------------------------


def test_translate_cli_arguments_stdin_and_plot(zh_en, tmp_path):
    zh_en.to_disk(tmp_path / "model")
    runner = CliRunner()
    result = runner.invoke(app, ["translate", str(tmp_path / "model"), "我很好。", "", "--beam", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert records == [{"source": "我很好。", "translation": "I'm fine."}, {"source": "", "translation": ""}]
    result = runner.invoke(
        app,
        ["translate", str(tmp_path / "model"), "--plot-attention", str(tmp_path / "att.png")],
        input="汤姆在哪里？\n我喜欢猫。\n",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines() if line.startswith("{")]
    assert [r["translation"] for r in lines] == ["Where is Tom?", "I like cats."]
    for n in (1, 2):
        assert (tmp_path / f"att_{n}.png").read_bytes()[:4] == b"\x89PNG"
    result = runner.invoke(app, ["translate", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_attention_plot_is_png_with_and_without_cjk_font(tmp_path, monkeypatch):
    source, target = ["我", "很", "好", "。"], ["I", "'m", "fine", "."]
    weights = [[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1], [0.0, 0.0, 0.0, 1.0]]
    path, warning = plot_attention(source, target, weights, tmp_path / "a.png", title="我很好。 → I'm fine.")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert (warning is None) == (attention_plot.find_cjk_font() is not None)
    monkeypatch.setattr(attention_plot, "find_cjk_font", lambda: None)
    path, warning = plot_attention(source, target, weights, tmp_path / "b.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and "no CJK font" in warning
    path, warning = plot_attention([], [], [], tmp_path / "empty.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and warning is None


def test_model_without_attention_translates_and_has_nothing_to_plot(tmp_path):
    nlp = spacy.blank("zh")
    nlp.add_pipe("rnn_translator", config={"model": nest_encoder_settings(dict(TINY, attention="none")), "store_attention": True})
    train(nlp, ZH_EN[:3], 60)
    doc = nlp("我很好。")
    assert doc._.translation == "I'm fine."
    assert doc._.translation_attention["weights"] == []
    nlp.to_disk(tmp_path / "model")
    result = CliRunner().invoke(
        app, ["translate", str(tmp_path / "model"), "我很好。", "--plot-attention", str(tmp_path / "a.png")]
    )
    assert result.exit_code == 1 and "attention = none" in result.output


def test_paired_bleu_test_tells_a_clear_gain_from_noise():
    import random

    from nlp_rnn.evaluation.translation_metrics import paired_bleu_test

    rng = random.Random(0)
    words = "the cat sat on a mat i like green tea he is here now we went home early today".split()
    references = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(200)]

    def noisy(reference, share):
        return " ".join(w if rng.random() > share else rng.choice(words) for w in reference.split())

    baseline = [noisy(r, 0.3) for r in references]
    same_quality = [noisy(r, 0.3) for r in references]
    better = [noisy(r, 0.1) for r in references]
    assert paired_bleu_test(baseline, same_quality, references, "en", trials=500)["p_value"] > 0.05
    clear = paired_bleu_test(baseline, better, references, "en", trials=500)
    assert clear["p_value"] < 0.01 and clear["bleu_system"] > clear["bleu_baseline"]
    with pytest.raises(ValueError, match="hypotheses"):
        paired_bleu_test(baseline[:3], better, references, "en")
