"""Pipelines saved before the ``oos`` block (issue 24): their out-of-scope settings are flat keys of
the component, in ``config.cfg`` and in the saved ``cfg``. Such a folder is built here by saving a
tiny trained pipeline and rewriting both files to the old layout; it loads with ``spacy.load``,
exports to ONNX and predicts exactly as the pipeline it was made from. A config with both layouts
is refused with one line; ``tune-oos``'s rewrite of ``config.cfg`` leaves the block layout."""

import json
from pathlib import Path

import pytest
import spacy
from thinc.api import Config

from nlp_rnn.cli.saved_config import write_settings_into_config
from nlp_rnn.oos.flat_keys import FLAT_KEYS, nest_flat_keys
from nlp_rnn.oos.settings import OOS_DEFAULTS

from conftest import TINY_EN, train_tiny_intent

TEXTS = [t for t, _ in TINY_EN] + ["what is the meaning of life", "how do i bake bread"]
BLOCK = {"score": "msp", "threshold": 0.3, "in_scope_share": 0.8, "max_in_scope_loss": None, "temperature": 1.7, "mixup_outliers": 0.0}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(new-layout folder, old-layout folder) of the same tiny trained pipeline."""
    tmp = tmp_path_factory.mktemp("flat_keys")
    nlp = train_tiny_intent("en", steps=20, component_config={"oos": dict(BLOCK)})
    nlp.to_disk(tmp / "new")
    nlp.to_disk(tmp / "old")
    to_old_layout(tmp / "old", "rnn_intent")
    return tmp / "new", tmp / "old"


def to_old_layout(folder: Path, name: str) -> None:
    """Rewrite a saved pipeline's ``config.cfg`` and ``NAME/cfg`` as pipelines saved before the block."""
    config = Config().from_disk(folder / "config.cfg", interpolate=False)
    section = config["components"][name]
    block = section.pop("oos")
    section.update({flat: block[key] for flat, key in FLAT_KEYS.items()})
    config.to_disk(folder / "config.cfg")
    cfg = json.loads((folder / name / "cfg").read_text())
    block = cfg.pop("oos")
    cfg.update({flat: block[key] for flat, key in FLAT_KEYS.items()})
    (folder / name / "cfg").write_text(json.dumps(cfg))


def decisions(nlp):
    return [(doc.cats, doc._.oos_score, doc._.out_of_scope) for doc in nlp.pipe(TEXTS)]


def assert_same(a, b):
    for (cats_a, score_a, out_a), (cats_b, score_b, out_b) in zip(a, b):
        assert cats_a == pytest.approx(cats_b, abs=1e-5)
        assert score_a == pytest.approx(score_b, abs=1e-5) and out_a == out_b


def test_the_old_layout_is_really_flat(saved):
    _, old = saved
    section = Config().from_disk(old / "config.cfg", interpolate=False)["components"]["rnn_intent"]
    assert "oos" not in section and section["oos_score"] == "msp" and section["temperature"] == 1.7
    assert "oos" not in json.loads((old / "rnn_intent" / "cfg").read_text())


def test_old_pipeline_loads_with_spacy_load_and_behaves_the_same(saved):
    new, old = saved
    loaded_new, loaded_old = spacy.load(new), spacy.load(old)
    assert loaded_old.get_pipe("rnn_intent").cfg["oos"] == pytest.approx(BLOCK)
    assert not any(flat in loaded_old.get_pipe("rnn_intent").cfg for flat in FLAT_KEYS)
    assert_same(decisions(loaded_new), decisions(loaded_old))
    assert any(out for _, _, out in decisions(loaded_old)) and not all(out for _, _, out in decisions(loaded_old))


def test_old_pipeline_exports_and_an_old_export_loads(saved, tmp_path):
    pytest.importorskip("onnxruntime")
    from nlp_rnn.export.to_onnx import export_pipeline

    new, old = saved
    export_pipeline(spacy.load(old), tmp_path / "onnx")
    exported = spacy.load(tmp_path / "onnx")
    assert exported.get_pipe("rnn_intent").cfg["oos"] == pytest.approx(BLOCK)
    expected = decisions(spacy.load(new))
    assert_same(expected, decisions(exported))
    # an export written before the block: its component cfg has the flat keys
    cfg_path = tmp_path / "onnx" / "rnn_intent" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    block = cfg.pop("oos")
    cfg.update({flat: block[key] for flat, key in FLAT_KEYS.items()})
    cfg_path.write_text(json.dumps(cfg))
    assert_same(expected, decisions(spacy.load(tmp_path / "onnx")))


def test_a_config_with_both_layouts_is_refused_with_one_line(saved, tmp_path):
    import shutil

    _, old = saved
    shutil.copytree(old, tmp_path / "both")
    config = Config().from_disk(tmp_path / "both" / "config.cfg", interpolate=False)
    config["components"]["rnn_intent"]["oos"] = {"score": "energy"}
    config.to_disk(tmp_path / "both" / "config.cfg")
    with pytest.raises(ValueError) as error:
        spacy.load(tmp_path / "both")
    message = str(error.value)
    assert len(message.splitlines()) == 1 and "[components.rnn_intent.oos]" in message and "oos_score" in message
    with pytest.raises(ValueError, match="both an oos block and the old flat keys"):
        nest_flat_keys({"oos": dict(OOS_DEFAULTS), "oos_score": "msp"})


@pytest.mark.parametrize("factory", ["rnn_intent", "rnn_joint"])
def test_flat_keys_in_a_config_are_read_into_the_block(factory):
    pipe = spacy.blank("en").add_pipe(factory, config={"oos_score": "energy", "temperature": 2.0})
    assert pipe.cfg["oos"] == dict(OOS_DEFAULTS, score="energy", temperature=2.0)
    assert nest_flat_keys({"intents": ["a"], "oos_score": "msp", "mixup_outliers": 0.5}) == {
        "intents": ["a"], "oos": dict(OOS_DEFAULTS, score="msp", mixup_outliers=0.5)}


def test_rewriting_the_config_leaves_the_block_layout(saved, tmp_path):
    import shutil

    new, old = saved
    shutil.copytree(old, tmp_path / "old")
    changed = write_settings_into_config(tmp_path / "old", ["rnn_intent"])
    assert "rnn_intent.oos_score" in changed
    section = Config().from_disk(tmp_path / "old" / "config.cfg", interpolate=False)["components"]["rnn_intent"]
    assert section["oos"] == pytest.approx(BLOCK) and not any(flat in section for flat in FLAT_KEYS)
    assert_same(decisions(spacy.load(new)), decisions(spacy.load(tmp_path / "old")))
