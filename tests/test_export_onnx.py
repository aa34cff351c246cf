"""ONNX export: parity with torch at batch sizes and lengths other than the export example,
int8 quantization, and the exported pipeline running with torch blocked."""

import json
import subprocess
import sys
import textwrap

import pytest
import spacy

pytest.importorskip("onnxruntime")

from test_joint_component import JOINT_EN, NER_ZH, SMALL, SMALL_ZH, joint_examples, train  # noqa: E402

from nlp_rnn.export.to_onnx import ExportError, export_pipeline  # noqa: E402
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

# lengths 0 .. 40 tokens, unknown words, emoji: none of them the shape of the export example
TEXTS = [
    "wake me up at 7 am tomorrow",
    "",
    "play",
    "what is the weather in paris",
    "will it rain in london tomorrow or the day after tomorrow in the north of england please tell me",
    "set an alarm for 6 pm 😀",
    " ".join(["play adele"] * 20),
    "zxqv unknownword blorp",
]


def tiny_joint(model=None, steps=30):
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_joint", config={"model": nest_encoder_settings(dict(SMALL, **(model or {})))})
    return train(nlp, joint_examples(nlp, JOINT_EN), steps)


def tiny_intent(model):
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_intent", config={"model": nest_encoder_settings(dict(SMALL, **model))})
    return train(nlp, joint_examples(nlp, JOINT_EN), 30)


def predictions(nlp, texts, batch_size):
    out = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        out.append((doc.cats, [(e.start_char, e.end_char, e.label_, e._.confidence) for e in doc.ents]))
    return out


def assert_parity(torch_nlp, onnx_nlp, texts=TEXTS, tolerance=1e-4, span_tolerance=1e-3):
    """Probabilities within ``tolerance``; span confidences (float32 torch marginals vs the float64
    numpy CRF, over sentences of 100+ tokens) within ``span_tolerance``; spans identical."""
    # 5 copies, shuffled: a batch of 40 runs as length-sorted chunks in the ONNX components
    texts = [texts[(7 * i) % len(texts)] for i in range(5 * len(texts))]
    expected = predictions(torch_nlp, texts, 256)
    for batch_size in (1, 3, 256):
        got = predictions(onnx_nlp, texts, batch_size)
        for text, (cats, spans), (cats2, spans2) in zip(texts, expected, got):
            assert cats.keys() == cats2.keys(), text
            assert all(abs(cats[k] - cats2[k]) < tolerance for k in cats), (text, cats, cats2)
            assert [s[:3] for s in spans] == [s[:3] for s in spans2], text
            assert all(abs(a[3] - b[3]) < span_tolerance for a, b in zip(spans, spans2)), (text, spans, spans2)


JOINT_VARIANTS = {
    "crf-lstm": {"use_crf": True},
    "softmax-gru-2layers": {"use_crf": False, "cell": "gru", "num_layers": 2},
    "chars-bag-vote-slot2intent": {
        "features": ["NORM", "PREFIX", "SUFFIX", "SHAPE", "CHARS"], "feature_widths": [32, 8, 8, 8, 16],
        "ngram_size": 3, "token_intent": True, "slot_to_intent": True, "pooling": "attention",
    },
    "rnn-unidirectional-last": {"cell": "rnn", "bidirectional": False, "pooling": "last"},
    "vote-intent2slot": {"token_intent": True, "intent_to_slot": True, "slot_to_intent": True},
    "co-attention": {"co_attention": True, "token_intent": True},
}


@pytest.mark.parametrize("variant", sorted(JOINT_VARIANTS))
def test_joint_export_matches_torch(variant, tmp_path):
    nlp = tiny_joint(JOINT_VARIANTS[variant])
    export_pipeline(nlp, tmp_path / "onnx")
    exported = spacy.load(tmp_path / "onnx")
    assert exported.pipe_names == ["rnn_joint"]
    assert exported.get_pipe_meta("rnn_joint").factory == "rnn_joint_onnx"
    assert_parity(nlp, exported)


@pytest.mark.parametrize("model", [{"pooling": "max", "ngram_size": 2}, {"cell": "gru", "pooling": "mean", "conv_filters": 8, "conv_stride": 2}])
def test_intent_export_matches_torch(model, tmp_path):
    nlp = tiny_intent(model)
    nlp.get_pipe("rnn_intent").cfg["prior_weight"] = 0.3  # the prior correction is applied after the graph
    export_pipeline(nlp, tmp_path / "onnx")
    assert_parity(nlp, spacy.load(tmp_path / "onnx"))


def test_chinese_tagger_with_span_group_export(tmp_path):
    nlp = spacy.blank("zh")  # character segmentation
    nlp.add_pipe("rnn_tagger", config={"model": nest_encoder_settings(SMALL_ZH), "spans_key": "sc"})
    examples = []
    for text, spans in NER_ZH:
        doc = nlp.make_doc(text)
        reference = doc.copy()
        reference.spans["sc"] = [reference.char_span(s, e, label=l) for s, e, l in spans]
        examples.append(spacy.training.Example(doc, reference))
    train(nlp, examples, 40)
    export_pipeline(nlp, tmp_path / "onnx")
    exported = spacy.load(tmp_path / "onnx")
    texts = [t for t, _ in NER_ZH] + ["", "王五在北京大学担任经理和教授"]
    for doc, doc2 in zip(nlp.pipe(texts), exported.pipe(texts, batch_size=2)):
        assert [(s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]] == [(s.start_char, s.end_char, s.label_) for s in doc2.spans["sc"]]
        assert all(abs(a._.confidence - b._.confidence) < 1e-4 for a, b in zip(doc.spans["sc"], doc2.spans["sc"]))


def test_quantized_export_loads_and_keeps_predictions(tmp_path):
    nlp = tiny_joint({"use_crf": True}, steps=60)
    summary = export_pipeline(nlp, tmp_path / "int8", quantize=True)
    assert summary["rnn_joint"]["quantized"]
    plain = export_pipeline(nlp, tmp_path / "fp32")
    assert summary["rnn_joint"]["bytes"] < plain["rnn_joint"]["bytes"]
    quantized = spacy.load(tmp_path / "int8")
    texts = [text for text, _, _ in JOINT_EN]
    agree = sum(max(a.cats, key=a.cats.get) == max(b.cats, key=b.cats.get) for a, b in zip(nlp.pipe(texts), quantized.pipe(texts)))
    assert agree >= len(texts) - 1


def test_span_confidence_off_leaves_confidence_empty(tmp_path):
    nlp = tiny_joint({"use_crf": True}, steps=60)
    export_pipeline(nlp, tmp_path / "onnx")
    exported = spacy.load(tmp_path / "onnx", config={"components": {"rnn_joint": {"span_confidence": False}}})
    doc, reference = exported("wake me up at 7 am tomorrow"), nlp("wake me up at 7 am tomorrow")
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [(e.start_char, e.end_char, e.label_) for e in reference.ents]
    assert doc.ents and all(e._.confidence is None for e in doc.ents)


def test_export_refuses_pipeline_without_rnn_component(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    with pytest.raises(ExportError, match="no exportable component"):
        export_pipeline(nlp, tmp_path / "onnx")


BLOCK_TORCH = textwrap.dedent(
    """
    import sys

    class BlockTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, BlockTorch())
    """
)


def run_without_torch(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + textwrap.dedent(code), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def exported_joint(tmp_path_factory):
    nlp = tiny_joint({"use_crf": True}, steps=60)
    out = tmp_path_factory.mktemp("exported") / "onnx"
    export_pipeline(nlp, out)
    return nlp, out


def test_exported_pipeline_runs_without_torch(exported_joint):
    nlp, out = exported_joint
    expected = [max(doc.cats, key=doc.cats.get) for doc in nlp.pipe(TEXTS)]
    code = """
        import json, spacy
        nlp = spacy.load(sys.argv[1])
        print(json.dumps([max(doc.cats, key=doc.cats.get) for doc in nlp.pipe(json.loads(sys.argv[2]))]))
        assert "torch" not in sys.modules
        """
    result = run_without_torch(code, str(out), json.dumps(TEXTS))
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == expected


def test_predict_command_runs_without_torch(exported_joint):
    nlp, out = exported_joint
    code = """
        from nlp_rnn.cli import main
        sys.argv = ["nlp-rnn", "predict", sys.argv[1], "wake me up at 7 am"]
        main()
        """
    result = run_without_torch(code, str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads(result.stdout.strip().splitlines()[-1])
    doc = nlp("wake me up at 7 am")
    assert record["text"] == "wake me up at 7 am" and record["intent"] == max(doc.cats, key=doc.cats.get)


def test_torch_block_really_blocks():
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH + "import torch"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "blocked by the test" in result.stderr


def test_export_command(tmp_path):
    from typer.testing import CliRunner

    from nlp_rnn.cli.app import app

    nlp = tiny_joint({"use_crf": True})
    nlp.to_disk(tmp_path / "model")
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "out"), "--format", "onnx", "--quantize"])
    assert result.exit_code == 0, result.output
    assert "rnn_joint → rnn_joint_onnx (int8 ONNX" in result.output
    assert spacy.load(tmp_path / "out").get_pipe("rnn_joint").cfg["quantized"] is True
    bad = runner.invoke(app, ["export", str(tmp_path / "model"), str(tmp_path / "x"), "--format", "tflite"])
    assert bad.exit_code == 1 and "unknown export format 'tflite'" in bad.output
    missing = runner.invoke(app, ["export", str(tmp_path / "nope"), str(tmp_path / "y")])
    assert missing.exit_code == 1 and "model folder not found" in missing.output


# out-of-scope scores and temperature through export, for every score: tests/test_export_oos.py
