"""Tokenizers: spaCy's own, plus a jieba-backed Chinese tokenizer with user dictionaries."""
