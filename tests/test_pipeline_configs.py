"""Every shipped pipelines/*.cfg resolves, and the RNN ones use the nested encoder block and the
data-following schedule; ner_en.cfg trains end to end on CoNLL-2003 columns."""

from pathlib import Path

import pytest
import spacy
from spacy.util import registry
from typer.testing import CliRunner

from nlp_rnn.cli import app

from conftest import ROOT

CONFIGS = sorted((ROOT / "pipelines").glob("*.cfg"))
TASK_CONFIGS = [p for p in CONFIGS if not p.stem.startswith("lm_")]
DATA_FOLLOWING = ["intent_en", "intent_zh", "joint_en", "joint_zh", "ner_zh", "ner_en"]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_builds_a_pipeline(path):
    config = spacy.util.load_config(path)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    assert nlp.pipe_names == config["nlp"]["pipeline"]
    registry.resolve({"optimizer": nlp.config.interpolate()["training"]["optimizer"]})


@pytest.mark.parametrize("path", TASK_CONFIGS, ids=lambda p: p.stem)
def test_task_configs_nest_the_encoder_block(path):
    config = spacy.util.load_config(path, interpolate=False)
    (name,) = config["nlp"]["pipeline"]
    model = config["components"][name]["model"]
    assert model["encoder"]["@architectures"] == "nlp_rnn.TextEncoder.v1"
    assert not {"hidden_size", "features", "dropout", "cell"} & set(model), "encoder settings belong in the encoder block"
    assert model["@architectures"].rsplit(".", 1)[-1] in ("v1", "v2") and "JointIntentSlot.v1" not in model["@architectures"]


@pytest.mark.parametrize("stem", DATA_FOLLOWING)
def test_task_configs_follow_the_data(stem):
    training = spacy.util.load_config(ROOT / "pipelines" / f"{stem}.cfg", interpolate=False)["training"]
    assert training["max_steps"] == 0 and training["patience"] > 0
    assert training["optimizer"]["learn_rate"]["@schedules"] == "nlp_rnn.warmup_plateau.v1"


def test_ner_en_trains_on_conll_columns(tmp_path):
    runner = CliRunner()
    sample = ROOT / "tests" / "data" / "conll2003_sample.txt"
    corpus = tmp_path / "train.spacy"
    result = runner.invoke(app, ["convert", str(sample), str(corpus), "--format", "conll", "--lang", "en"])
    assert result.exit_code == 0, result.output
    encoder = "--components.rnn_tagger.model.encoder"
    result = runner.invoke(app, [
        "train", str(ROOT / "pipelines" / "ner_en.cfg"), "--output", str(tmp_path / "out"),
        "--paths.train", str(corpus), "--paths.dev", str(corpus),
        f"{encoder}.hidden_size", "16", f"{encoder}.feature_widths", "[16,4,4,4,8]",
        f"{encoder}.dropout", "0.0", f"{encoder}.embedding_dropout", "0.0", f"{encoder}.word_dropout", "0.0",
        "--training.max_steps", "60", "--training.eval_frequency", "20", "--training.batcher.size", "8",
        "--training.optimizer.learn_rate.warmup_steps", "2", "--training.optimizer.learn_rate.initial_rate", "0.02",
    ])
    assert result.exit_code == 0, result.output
    nlp = spacy.load(Path(tmp_path / "out" / "model-best"))
    doc = nlp("Anna Berg joined Acme Corp in Oslo .")
    assert [(e.text, e.label_) for e in doc.ents] == [("Anna Berg", "PER"), ("Acme Corp", "ORG"), ("Oslo", "LOC")]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_spacy_debug_config_validates_every_shipped_config(path, capsys):
    """``python -m spacy debug config`` (which fills nothing in) accepts the file as shipped; every
    reader and the training block are resolved, as ``spacy train`` would."""
    from spacy.cli.debug_config import debug_config

    debug_config(path, overrides={"paths.train": "train.spacy", "paths.dev": "dev.spacy"})
    assert "Config is valid" in capsys.readouterr().out


@pytest.mark.parametrize("stem, lang", [("intent_en", "en"), ("joint_zh", "zh")])
def test_spacy_debug_data_runs_on_the_shipped_configs_and_bundled_data(stem, lang, tmp_path):
    """``python -m spacy debug data`` reads the shipped config and the converted sample data."""
    from spacy.cli.debug_data import debug_data

    runner = CliRunner()
    paths = {}
    for split in ("train", "dev"):
        paths[split] = tmp_path / f"{split}.spacy"
        result = runner.invoke(app, ["convert", str(ROOT / "data" / lang / f"{split}.jsonl"), str(paths[split]), "--format", "jsonl", "--lang", lang])
        assert result.exit_code == 0, result.output
    debug_data(ROOT / "pipelines" / f"{stem}.cfg", config_overrides={"paths.train": str(paths["train"]), "paths.dev": str(paths["dev"])})
