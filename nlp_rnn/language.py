"""Blank spaCy pipelines with the tokenizer nlp_rnn uses for each language."""

from typing import Optional

import spacy
from spacy.language import Language

CHINESE_LANGS = ("zh",)


def tokenizer_config(lang: str) -> dict:
    """The ``[nlp.tokenizer]`` block for ``lang``: jieba for Chinese, spaCy's rules otherwise."""
    if lang in CHINESE_LANGS:
        return {"@tokenizers": "nlp_rnn.ChineseJiebaTokenizer.v1"}
    return {"@tokenizers": "spacy.Tokenizer.v1"}


def blank_pipeline(lang: str, user_dict: Optional[str] = None) -> Language:
    """A blank pipeline for ``lang`` ("en", "zh", or any language spaCy knows); ``user_dict`` is a
    jieba user dictionary for Chinese."""
    try:
        nlp = spacy.blank(lang, config={"nlp": {"tokenizer": tokenizer_config(lang)}})
    except ImportError as error:
        raise ValueError(f"unknown language code {lang!r}: {error}") from None
    if user_dict:
        if lang not in CHINESE_LANGS:
            raise ValueError(f"a jieba user dictionary only applies to Chinese, not {lang!r}")
        nlp.tokenizer.initialize(user_dict=user_dict)
    return nlp
