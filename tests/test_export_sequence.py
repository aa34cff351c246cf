"""Exported sequence heads (issue 24): ``rnn_translator`` → ``rnn_translator_onnx`` (encoder and
decoder-step graphs, search in numpy) translates exactly as torch does, greedy and beam, alone or
in a batch, odd inputs included; ``rnn_lm`` → ``rnn_lm_onnx`` gives the same samples for a seed;
both load and run with torch blocked; bad input is one line."""

import json

import pytest
import spacy
import torch
from spacy.training import Example
from typer.testing import CliRunner

pytest.importorskip("onnxruntime")

from test_export_onnx import run_without_torch  # noqa: E402
from test_translator import ODD_TEXTS, TINY, ZH_EN, train  # noqa: E402

from nlp_rnn.architectures.encoder_config import nest_encoder_settings  # noqa: E402
from nlp_rnn.cli.app import app  # noqa: E402
from nlp_rnn.export.to_onnx import export_pipeline  # noqa: E402
from nlp_rnn.generation.generator import generate  # noqa: E402

SOURCES = [source for source, _ in ZH_EN] + ODD_TEXTS + ["我很冷。", "他在哪里？", "汤姆是我的朋友。", "🙂", "\n"]
LM_TEXT = "ROMEO:\nO, she doth teach the torches to burn bright!\n\n" * 3


def translations(nlp, texts, beam_size, batch_size=64):
    nlp.get_pipe("rnn_translator").beam_size = beam_size
    return [doc._.translation for doc in nlp.pipe(texts, batch_size=batch_size)]


@pytest.fixture(scope="module")
def translators(tmp_path_factory):
    """(torch pipeline, exported folder): a tiny zh→en translator trained to overfit (beam 3, GNMT
    alpha 0.6, a short length bound), exported with those settings."""
    nlp = spacy.blank("zh")
    config = {"model": nest_encoder_settings(TINY), "beam_size": 3, "length_penalty": 0.6, "max_length_ratio": 1.5, "max_length_offset": 4}
    nlp.add_pipe("rnn_translator", config=config)
    train(nlp, ZH_EN, 70)
    out = tmp_path_factory.mktemp("translator") / "onnx"
    export_pipeline(nlp, out)
    return nlp, out


@pytest.mark.parametrize("beam_size", [1, 3, 5, 13])  # 2 * 13 > the target vocabulary
def test_exported_translator_translates_as_torch_alone_and_in_a_batch(translators, beam_size):
    nlp, out = translators
    exported = spacy.load(out)
    assert exported.get_pipe_meta("rnn_translator").factory == "rnn_translator_onnx"
    expected = translations(nlp, SOURCES, beam_size)
    assert expected[: len(ZH_EN)] == [target for _, target in ZH_EN] or beam_size != 1  # it learned the pairs
    assert translations(exported, SOURCES, beam_size) == expected
    assert translations(exported, SOURCES, beam_size, batch_size=1) == expected
    assert translations(exported, SOURCES[::-1], beam_size, batch_size=4) == expected[::-1]


def test_exported_translator_keeps_the_saved_settings_and_its_attention(translators):
    nlp, out = translators
    pipe = spacy.load(out).get_pipe("rnn_translator")
    assert (pipe.beam_size, pipe.length_penalty, pipe.max_length_ratio, pipe.max_length_offset) == (3, 0.6, 1.5, 4)
    overridden = spacy.load(out, config={"components": {"rnn_translator": {"beam_size": 1, "store_attention": True}}})
    nlp.get_pipe("rnn_translator").store_attention = True
    try:
        for text in SOURCES[:4]:
            a, b = nlp(text)._.translation_attention, overridden(text)._.translation_attention
            assert (a["source"], a["target"]) == (b["source"], b["target"])
            assert torch.allclose(torch.tensor(a["weights"]), torch.tensor(b["weights"]), atol=1e-4)
    finally:
        nlp.get_pipe("rnn_translator").store_attention = False
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        spacy.load(out, config={"components": {"rnn_translator": {"beam_size": 0}}})


def test_exported_translator_folder_round_trips_and_a_broken_one_is_one_line(translators, tmp_path):
    nlp, out = translators
    exported = spacy.load(out)
    exported.to_disk(tmp_path / "again")
    assert translations(spacy.load(tmp_path / "again"), SOURCES, 3) == translations(nlp, SOURCES, 3)
    (tmp_path / "again" / "rnn_translator" / "decoder_step.onnx").unlink()
    with pytest.raises(ValueError, match="cannot load component 'rnn_translator'"):
        spacy.load(tmp_path / "again")


@pytest.fixture(scope="module")
def language_models(tmp_path_factory):
    """(torch pipeline, exported folder): a tiny character LSTM LM after a few updates."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_lm", config={"model": {"cell": "lstm", "hidden_size": 24, "embedding_width": 8, "num_layers": 2, "dropout": 0.0}})
    torch.manual_seed(0)
    examples = [Example(nlp.make_doc(LM_TEXT), nlp.make_doc(LM_TEXT))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(10):
        nlp.update(examples, sgd=optimizer)
    out = tmp_path_factory.mktemp("lm") / "onnx"
    nlp.to_disk(out.parent / "torch")
    export_pipeline(nlp, out)
    return nlp, out


@pytest.mark.parametrize("settings", [{}, {"top_k": 3}, {"top_p": 0.8, "temperature": 0.7}, {"temperature": 0}, {"stop_at_end": True}])
def test_exported_lm_samples_as_torch_for_a_seed(language_models, settings):
    nlp, out = language_models
    exported = spacy.load(out)
    expected = generate(nlp, "RO", num=5, seed=3, length=120, batch_size=2, **settings)
    assert generate(exported, "RO", num=5, seed=3, length=120, batch_size=3, **settings) == expected
    assert len(set(expected)) > 1 or settings.get("temperature") == 0


def test_exported_lm_scores_documents_as_torch(language_models):
    """``doc._.lm_log_loss`` / ``lm_chars`` from the step graph (one character at a time) equal the
    torch component's (chunked forward passes), alone and in a batch; its scores too."""
    nlp, out = language_models
    exported = spacy.load(out)
    texts = ["ROMEO: O, she doth", "", "unseen ✓ chars 😀", LM_TEXT * 4]
    expected = [(doc._.lm_log_loss, doc._.lm_chars) for doc in nlp.pipe(texts)]
    assert expected[1] == (0.0, 0) and expected[3][1] == len(LM_TEXT) * 4
    for batch_size in (1, 3):
        got = [(doc._.lm_log_loss, doc._.lm_chars) for doc in exported.pipe(texts, batch_size=batch_size)]
        assert [count for _, count in got] == [count for _, count in expected]
        assert [nats for nats, _ in got] == pytest.approx([nats for nats, _ in expected], rel=1e-4, abs=1e-4)
    examples = [Example(nlp.make_doc(t), nlp.make_doc(t)) for t in texts]
    assert exported.evaluate(examples)["lm_cross_entropy"] == pytest.approx(nlp.evaluate(examples)["lm_cross_entropy"], rel=1e-4)


def test_generate_command_on_the_exported_lm(language_models):
    nlp, out = language_models
    command = ["--prompt", "RO", "--seed", "5", "--length", "40", "--num", "2"]
    result = CliRunner().invoke(app, ["generate", str(out), *command])
    assert result.exit_code == 0, result.output
    assert result.output == CliRunner().invoke(app, ["generate", str(out.parent / "torch"), *command]).output
    bad = CliRunner().invoke(app, ["generate", str(out), "--temperature", "-1"])
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1 and "--temperature" in bad.output


def test_exported_translator_and_lm_run_with_torch_blocked(translators, language_models):
    """spacy.load, nlp.pipe and generate in a process where ``import torch`` fails."""
    (nlp, translator_out), (lm, lm_out) = translators, language_models
    code = """
        import json, spacy
        from nlp_rnn.generation.generator import generate
        translator = spacy.load(sys.argv[1])
        texts = json.loads(sys.argv[3])
        out = {"translations": [doc._.translation for doc in translator.pipe(texts)],
               "samples": generate(spacy.load(sys.argv[2]), "RO", num=3, seed=11, length=50)}
        assert "torch" not in sys.modules
        print(json.dumps(out))
        """
    result = run_without_torch(code, str(translator_out), str(lm_out), json.dumps(SOURCES))
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout)
    assert got["translations"] == translations(nlp, SOURCES, 3)
    assert got["samples"] == generate(lm, "RO", num=3, seed=11, length=50)


def test_translate_command_on_the_exported_pipeline_and_its_errors(translators):
    nlp, out = translators
    result = CliRunner().invoke(app, ["translate", str(out), "我很好。", "", "😀", "--beam", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["translation"] for r in records] == translations(nlp, ["我很好。", "", "😀"], 1)
    bad = CliRunner().invoke(app, ["translate", str(out), "x", "--beam", "0"])
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1, bad.output


def test_export_command_names_both_graphs(translators, tmp_path):
    nlp, _ = translators
    nlp.to_disk(tmp_path / "model")
    result = CliRunner().invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "rnn_translator → rnn_translator_onnx" in result.output
    assert sorted(p.name for p in (tmp_path / "out" / "rnn_translator").iterdir()) == ["cfg", "decoder_step.onnx", "encoder.onnx", "featurizer.json"]


def test_numpy_runtime_of_the_sequence_heads_never_imports_torch():
    """The closure of nlp_rnn modules the exported translator and LM, the numpy search and the
    sampler import (lazy imports and package ``__init__`` files included) holds no torch import."""
    from test_export_oos import torch_importers

    seen, offenders = torch_importers(
        ["nlp_rnn.export.onnx_components", "nlp_rnn.generation.generator", "nlp_rnn.array_search"])
    assert {"nlp_rnn.generation.sampling", "nlp_rnn.onnx_runtime.seq2seq", "nlp_rnn.onnx_runtime.lm_steps",
            "nlp_rnn.pipeline.translator_task", "nlp_rnn.pipeline.lm_task", "nlp_rnn.target_vocab"} <= seen
    assert not offenders, offenders


@pytest.mark.parametrize("cell, attention", [("lstm", "luong_dot"), ("gru", "none"), ("lstm", "luong_general")])
def test_every_decoder_exports_and_translates_as_torch(cell, attention, tmp_path):
    """Untrained models (output layer scaled up, so that every step is a clear choice) of the other
    decoder cells and attentions: the same translations, greedy and beam."""
    from nlp_rnn.architectures.torch_model import torch_module

    nlp = spacy.blank("zh")
    model = dict(nest_encoder_settings(TINY), decoder_cell=cell, attention=attention, decoder_hidden_size=64)
    nlp.add_pipe("rnn_translator", config={"model": model, "max_length_offset": 6})
    spacy.util.fix_random_seed(0)
    examples = [Example(nlp.make_doc(source), nlp.make_doc(source)) for source, _ in ZH_EN]
    for eg, (_, target) in zip(examples, ZH_EN):
        eg.reference.user_data["translation"] = target
    nlp.initialize(lambda: examples)
    with torch.no_grad():
        torch_module(nlp.get_pipe("rnn_translator").model).decoder.output.weight.mul_(8.0)
    export_pipeline(nlp, tmp_path / "onnx")
    exported = spacy.load(tmp_path / "onnx")
    for beam_size in (1, 3):
        expected = translations(nlp, SOURCES, beam_size)
        assert any(expected)
        assert translations(exported, SOURCES, beam_size) == expected
