"""Shared fixtures: tiny intent data and a helper to train a small pipeline quickly."""

import os
from pathlib import Path

import pytest
import spacy
from spacy.training import Example

from nlp_rnn.language import blank_pipeline
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

ROOT = Path(__file__).resolve().parents[1]

TINY_EN = [
    ("what time is it", "GetTime"),
    ("tell me the time please", "GetTime"),
    ("what's the time in london", "GetTime"),
    ("will it rain tomorrow", "GetWeather"),
    ("weather in paris", "GetWeather"),
    ("is it sunny today", "GetWeather"),
    ("play some jazz", "PlayMusic"),
    ("play adele on spotify", "PlayMusic"),
    ("put on my workout playlist", "PlayMusic"),
]
TINY_ZH = [
    ("现在几点了", "GetTime"),
    ("告诉我时间", "GetTime"),
    ("明天北京天气怎么样", "GetWeather"),
    ("上海会下雨吗", "GetWeather"),
    ("播放周杰伦的稻香", "PlayMusic"),
    ("来点音乐", "PlayMusic"),
]
SMALL_MODEL = {
    "feature_widths": [16, 8, 8, 4],
    "hidden_size": 16,
    "dropout": 0.0,
    "embedding_dropout": 0.0,
}


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout, or ``$NLP_RNN_DATA_DIR``."""
    return Path(os.environ.get("NLP_RNN_DATA_DIR", ROOT.parent / "shared" / "data"))


def make_examples(nlp, pairs):
    labels = sorted({label for _, label in pairs})
    return [
        Example.from_dict(nlp.make_doc(text), {"cats": {l: float(l == label) for l in labels}})
        for text, label in pairs
    ]


def train_tiny_intent(lang="en", pairs=None, steps=40, model_overrides=None, component_config=None, seed=0):
    """A blank pipeline with ``rnn_intent`` trained on ``pairs`` for ``steps`` updates."""
    pairs = pairs or (TINY_ZH if lang == "zh" else TINY_EN)
    nlp = blank_pipeline(lang)
    config = {"model": nest_encoder_settings(dict(SMALL_MODEL, **(model_overrides or {})))}
    config.update(component_config or {})
    nlp.add_pipe("rnn_intent", config=config)
    spacy.util.fix_random_seed(seed)
    examples = make_examples(nlp, pairs)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


@pytest.fixture(scope="session")
def trained_en(tmp_path_factory):
    return train_tiny_intent("en")
