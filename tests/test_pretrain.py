"""nlp-rnn pretrain: the BiLM objective learns and cannot see what it predicts, the files it writes,
and task components started from them (init_encoder)."""

import json
import random
from pathlib import Path

import pytest
import spacy
import torch
from safetensors import safe_open
from spacy import util
from spacy.tokens import DocBin
from spacy.training import Example
from typer.testing import CliRunner

from nlp_rnn.architectures.encoder_config import TextEncoderSettings, text_encoder_from_hparams
from nlp_rnn.architectures.torch_model import torch_module
from nlp_rnn.cli import app
from nlp_rnn.featurizer import DocFeaturizer
from nlp_rnn.pretrain.artifact import read_pretrained_encoder
from nlp_rnn.pretrain.bilm import BiLanguageModel
from nlp_rnn.pretrain.leaks import check_pretrainable, conv_window, masked_columns
from nlp_rnn.pretrain.raw_texts import RawTextError, read_raw_texts
from nlp_rnn.pretrain.targets import shifted_targets
from nlp_rnn.pretrain.trainer import PretrainOptions, pretrain_encoder

ROOT = Path(__file__).resolve().parents[1]
ENCODER = "components.rnn_joint.model.encoder"
SMALL_EN = {f"{ENCODER}.hidden_size": 16, f"{ENCODER}.feature_widths": [16, 8, 8, 4, 8]}
SMALL_ZH = {f"{ENCODER}.hidden_size": 16, f"{ENCODER}.feature_widths": [16, 4, 8, 8, 4, 4, 4, 4]}
runner = CliRunner()


def cli_pretrain(config, texts, out, overrides, *extra):
    args = ["pretrain", str(config), str(texts), str(out), "--max-steps", "30", "--eval-every", "10",
            "--batch-size", "32", "--threads", "1", *extra]
    for key, value in overrides.items():
        args += [f"--{key}", json.dumps(value)]
    return runner.invoke(app, args)


@pytest.fixture(scope="module")
def en_encoder(tmp_path_factory):
    out = tmp_path_factory.mktemp("pretrained_en")
    result = cli_pretrain(ROOT / "pipelines/joint_en.cfg", ROOT / "data/en/train.jsonl", out, SMALL_EN)
    assert result.exit_code == 0, result.output
    return out


def small_settings(**changes):
    base = dict(features=["NORM", "PREFIX", "SUFFIX", "SHAPE", "CHARS"], feature_widths=[16, 8, 8, 4, 8], hidden_size=16,
                dropout=0.0, embedding_dropout=0.0, word_dropout=0.0)
    return TextEncoderSettings(**dict(base, **changes))


def test_bilm_loss_falls_on_a_repeated_text():
    nlp = spacy.blank("en")
    docs = [nlp.make_doc(t) for t in ["the cat sat on the mat", "a dog ran in the park today"] * 16]
    options = PretrainOptions(max_steps=60, eval_every=20, batch_size=8, learn_rate=0.01, dev_share=0.0)
    result = pretrain_encoder(docs, small_settings(), options, say=lambda line: None)
    losses = [entry["train_loss"] for entry in result.summary["history"]]
    assert losses[-1] < 0.5 * losses[0], losses


def test_targets_are_the_next_and_previous_token_past_the_conv_window():
    words, lengths = torch.tensor([[5, 6, 7, 8], [5, 6, 0, 0]]), torch.tensor([4, 2])

    def targets(shift, n_words=100):
        return shifted_targets(words, lengths, lengths, 4, shift=shift, n_words=n_words).tolist()

    assert targets(1) == [[6, 7, 8, 0], [6, 0, -100, -100]]  # next token, then the end (0)
    assert targets(-1) == [[0, 5, 6, 7], [0, 5, -100, -100]]  # the start (0), then the previous token
    assert targets(2) == [[7, 8, 0, -100], [0, -100, -100, -100]]  # a kernel-3 Conv1D has seen one more
    assert targets(-2) == [[-100, 0, 5, 6], [-100, 0, -100, -100]]
    assert targets(1, n_words=7) == [[6, 1, 1, 0], [6, 0, -100, -100]]  # ids past the softmax: UNK


@pytest.mark.parametrize("encoder", [
    {"features": ["ORTH", "BIGRAM"], "feature_widths": [16, 16]},  # BIGRAM holds the next token
    {"features": ["ORTH"], "feature_widths": [16], "conv_filters": 16, "conv_kernel": 3},  # the conv reads it
])
def test_no_better_than_chance_when_the_next_token_is_random(encoder):
    """Unmasked BIGRAM, or targets not shifted past the conv window: a perplexity near 1."""
    rng, words = random.Random(0), [f"w{i}" for i in range(12)]
    nlp = spacy.blank("en")
    docs = [nlp.make_doc(" ".join(rng.choice(words) for _ in range(rng.randint(4, 10)))) for _ in range(400)]
    settings = small_settings(**encoder)
    options = PretrainOptions(max_steps=120, eval_every=120, batch_size=32, learn_rate=0.01, dev_share=0.25)
    summary = pretrain_encoder(docs, settings, options, say=lambda line: None).summary
    # 12 equally likely words and the end of the text: chance is a perplexity of about 12
    assert summary["dev_perplexity_forward"] > 9 and summary["dev_perplexity_backward"] > 9, summary


def states_of(model, featurizer, texts, nlp):
    ids, lengths = featurizer([nlp.make_doc(t) for t in texts])
    model.eval()
    with torch.no_grad():
        return model.states(torch.from_numpy(ids), torch.from_numpy(lengths))


LEAK_CASES = {
    # name: (lang, settings, (forward pair, first differing token), (backward pair, first shared token))
    "en chars": ("en", small_settings(), (("play some jazz music in the kitchen", "play some jazz songs by the band"), 3),
                 (("i play some jazz now", "we play some jazz now"), 1)),
    "en conv 3": ("en", small_settings(conv_filters=8, conv_kernel=3), (("play some jazz music in the kitchen", "play some jazz songs by the band"), 3),
                  (("i play some jazz now", "we play some jazz now"), 1)),
    "en conv 4": ("en", small_settings(conv_filters=8, conv_kernel=4), (("play some jazz music in the kitchen", "play some jazz songs by the band"), 3),
                  (("i like to play some jazz now", "we want to play some jazz now"), 2)),
    "zh bigram jieba": ("zh", small_settings(features=["ORTH", "SOFTWORD", "JIEBA_WORD", "BIGRAM"], feature_widths=[16, 4, 8, 8]),
                        (("明天北京天气怎么样", "明天北方天气怎么样"), 3), (("明天北京天气", "今天北京天气"), 1)),
}


def zh_nlp():
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.zh.ChineseTokenizer", "segmenter": "char"}}})


@pytest.mark.parametrize("case", list(LEAK_CASES))
def test_forward_states_never_see_later_tokens_nor_backward_earlier_ones(case):
    lang, settings, (forward_pair, differ_at), (backward_pair, shared_from) = LEAK_CASES[case]
    nlp = zh_nlp() if lang == "zh" else spacy.blank(lang)
    docs = [nlp.make_doc(t) for t in forward_pair + backward_pair]
    featurizer = DocFeaturizer.from_docs(docs, settings.features, min_freq=settings.min_freq, max_length=settings.max_length)
    torch.manual_seed(0)
    model = BiLanguageModel(text_encoder_from_hparams(settings.hparams(), featurizer), featurizer.vocab_sizes[0],
                            masked_columns(featurizer.attrs), conv_window(settings))
    left, right = conv_window(settings)
    forward, _, _ = states_of(model, featurizer, forward_pair, nlp)
    last_blind = differ_at - right - 1  # the forward state predicting the first differing token
    assert torch.allclose(forward[0, : last_blind + 1], forward[1, : last_blind + 1], atol=1e-6)
    assert not torch.allclose(forward[0, last_blind + 1], forward[1, last_blind + 1], atol=1e-4)  # the check can fail
    _, backward, _ = states_of(model, featurizer, backward_pair, nlp)
    first_blind = shared_from + left  # the backward state predicting the last differing token
    assert torch.allclose(backward[0, first_blind:], backward[1, first_blind:], atol=1e-6)
    assert not torch.allclose(backward[0, first_blind - 1], backward[1, first_blind - 1], atol=1e-4)
    if lang == "zh":  # without the mask, BIGRAM / JIEBA_WORD would show the next character
        model.masked_columns = []
        unmasked, _, _ = states_of(model, featurizer, forward_pair, nlp)
        assert not torch.allclose(unmasked[0, last_blind], unmasked[1, last_blind], atol=1e-4)


def test_leaky_encoders_are_refused():
    with pytest.raises(ValueError, match="num_layers = 2 with bidirectional"):
        check_pretrainable(small_settings(num_layers=2))
    check_pretrainable(small_settings(num_layers=2, bidirectional=False))
    with pytest.raises(ValueError, match="conv_stride = 2"):
        check_pretrainable(small_settings(conv_filters=8, conv_stride=2))
    with pytest.raises(ValueError, match="'BIGRAM'"):
        check_pretrainable(small_settings(features=["BIGRAM", "ORTH"], feature_widths=[8, 8]))


def test_cli_writes_safetensors_and_json_only(en_encoder):
    assert sorted(p.name for p in en_encoder.iterdir()) == ["encoder.json", "encoder.safetensors"]
    record = json.loads((en_encoder / "encoder.json").read_text(encoding="utf8"))
    assert record["settings"]["hidden_size"] == 16 and record["settings"]["features"][-1] == "CHARS"
    assert record["training"]["steps"] == 30 and record["training"]["masked_features"] == []
    assert record["training"]["dev_perplexity_forward"] > 1
    raw = (en_encoder / "encoder.safetensors").read_bytes()
    assert raw[8:9] == b"{" and not raw.startswith(b"\x80")  # a safetensors header, not a pickle
    featurizer = DocFeaturizer.from_dict(record["featurizer"])
    expected = text_encoder_from_hparams(record["settings"], featurizer).state_dict()
    with safe_open(str(en_encoder / "encoder.safetensors"), framework="pt") as handle:
        assert sorted(handle.keys()) == sorted(expected)
        assert all(handle.get_tensor(k).shape == expected[k].shape for k in expected)


def jsonl_examples(nlp, path, limit):
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf8").splitlines()[:limit]]
    intents = sorted({row["intent"] for row in rows})
    examples = []
    for row in rows:
        doc = nlp.make_doc(row["text"])
        reference = doc.copy()
        spans = [reference.char_span(s["start"], s["end"], label=s["label"], alignment_mode="expand") for s in row.get("slots", [])]
        reference.ents = [span for span in spans if span is not None]
        reference.cats = {i: float(i == row["intent"]) for i in intents}
        examples.append(Example(doc, reference))
    return examples


def assert_starts_from(pipe, encoder_dir):
    pretrained = read_pretrained_encoder(encoder_dir)
    state = torch_module(pipe.model).text_encoder.state_dict()
    assert sorted(state) == sorted(pretrained.weights)
    assert all(torch.equal(state[k], pretrained.weights[k]) for k in state)
    featurizer = pipe.model.attrs["featurizer"]
    assert [v.strings for v in featurizer.vocabs] == [v.strings for v in pretrained.featurizer.vocabs]


def test_joint_initialized_through_the_config_starts_from_the_pretrained_encoder(en_encoder):
    config = util.load_config(ROOT / "pipelines/joint_en.cfg", overrides=SMALL_EN)
    nlp = util.load_model_from_config(config, auto_fill=True)
    nlp.config["initialize"]["components"]["rnn_joint"] = {"init_encoder": str(en_encoder)}
    examples = jsonl_examples(nlp, ROOT / "data/en/train.jsonl", 40)
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe("rnn_joint")
    assert_starts_from(pipe, en_encoder)
    own = DocFeaturizer.from_docs([eg.predicted for eg in examples], ["NORM"], min_freq=1, max_length=512)
    assert pipe.model.attrs["featurizer"].vocab_sizes[0] > own.vocab_sizes[0]  # the 320 texts', not these 40
    assert "initial_encoder" not in pipe.model.attrs
    nlp("wake me up at 7 am")


def intent_pipeline(**encoder):
    nlp = spacy.blank("en")
    settings = dict(small_settings().hparams(), dropout=0.2, **encoder)
    nlp.add_pipe("rnn_intent", config={"model": {"encoder": {"@architectures": "nlp_rnn.TextEncoder.v1", **settings}}})
    return nlp


def test_intent_initialized_with_init_encoder(en_encoder):
    nlp = intent_pipeline()
    examples = jsonl_examples(nlp, ROOT / "data/en/train.jsonl", 40)
    nlp.get_pipe("rnn_intent").initialize(lambda: examples, nlp=nlp, init_encoder=en_encoder)
    assert_starts_from(nlp.get_pipe("rnn_intent"), en_encoder)


@pytest.mark.parametrize("changes, message", [
    ({"hidden_size": 24}, "has hidden_size = 16 but [components.rnn_intent.model.encoder] has hidden_size = 24"),
    ({"features": ["NORM", "PREFIX", "SUFFIX", "SHAPE"], "feature_widths": [16, 8, 8, 4]},
     'has features = ["NORM", "PREFIX", "SUFFIX", "SHAPE", "CHARS"] but'),
    ({"cell": "gru"}, 'has cell = "lstm" but [components.rnn_intent.model.encoder] has cell = "gru"'),
])
def test_a_different_encoder_block_is_one_error_naming_the_setting(en_encoder, changes, message):
    nlp = intent_pipeline(**changes)
    examples = jsonl_examples(nlp, ROOT / "data/en/train.jsonl", 20)
    with pytest.raises(ValueError) as error:
        nlp.get_pipe("rnn_intent").initialize(lambda: examples, nlp=nlp, init_encoder=en_encoder)
    assert message in str(error.value)


def test_bad_jsonl_line_is_named_with_file_and_line(tmp_path):
    path = tmp_path / "raw.jsonl"
    path.write_text('{"text": "play jazz"}\n\n{"txt": "oops"}\n', encoding="utf8")
    with pytest.raises(RawTextError, match=rf"raw.jsonl:3: no 'text' field"):
        read_raw_texts(path)
    path.write_text('{"text": "play jazz"}\n{"text": "x"\n', encoding="utf8")
    result = cli_pretrain(ROOT / "pipelines/joint_en.cfg", path, tmp_path / "out", SMALL_EN)
    assert result.exit_code == 1 and f"{path}:2: invalid JSON" in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_plain_text_and_docbin_inputs(tmp_path):
    plain = tmp_path / "raw.txt"
    plain.write_text("play some jazz\n\n  \nwake me up\n", encoding="utf8")
    assert read_raw_texts(plain) == ["play some jazz", "wake me up"]
    nlp = spacy.blank("en")
    DocBin(docs=[nlp.make_doc("play some jazz"), nlp.make_doc("wake me up")]).to_disk(tmp_path / "raw.spacy")
    assert read_raw_texts(tmp_path / "raw.spacy") == ["play some jazz", "wake me up"]
    (tmp_path / "bad.txt").write_bytes(b"fine\nnot \xff utf8\n")
    with pytest.raises(RawTextError, match="bad.txt:2: not UTF-8"):
        read_raw_texts(tmp_path / "bad.txt")


def test_zh_with_bigram_pretrains_and_initializes_joint(tmp_path):
    result = cli_pretrain(ROOT / "pipelines/joint_zh.cfg", ROOT / "data/zh/train.jsonl", tmp_path / "zh", SMALL_ZH)
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "zh" / "encoder.json").read_text(encoding="utf8"))
    assert record["training"]["masked_features"] == ["SOFTWORD", "JIEBA_WORD", "BIGRAM", "LEX_B", "LEX_M", "LEX_E", "LEX_ROLES"]
    config = util.load_config(ROOT / "pipelines/joint_zh.cfg", overrides=SMALL_ZH)
    nlp = util.load_model_from_config(config, auto_fill=True)
    examples = jsonl_examples(nlp, ROOT / "data/zh/train.jsonl", 40)
    nlp.get_pipe("rnn_joint").initialize(lambda: examples, nlp=nlp, init_encoder=str(tmp_path / "zh"))
    assert_starts_from(nlp.get_pipe("rnn_joint"), tmp_path / "zh")
    assert len(nlp("明天北京天气怎么样")) == 9


def test_stacked_bidirectional_config_is_refused_by_the_command(tmp_path):
    overrides = dict(SMALL_EN, **{f"{ENCODER}.num_layers": 2})
    result = cli_pretrain(ROOT / "pipelines/joint_en.cfg", ROOT / "data/en/train.jsonl", tmp_path / "out", overrides)
    assert result.exit_code == 1 and "num_layers = 2 with bidirectional = true" in result.output, result.output
