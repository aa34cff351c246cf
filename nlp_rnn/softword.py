"""Word-boundary ("softword") features for character-level Chinese tagging.

Tagging characters removes the ceiling that word segmentation puts on span boundaries, but loses
what the segmenter knows. These features give each token the position of its first character in
the jieba word that contains it (B / M / E / S) and that word itself, so the model sees the
segmentation as a soft hint instead of a hard boundary.
"""

from functools import lru_cache
from typing import List, Tuple

from spacy.tokens import Doc

_segmenter = None


def _jieba():
    global _segmenter
    if _segmenter is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _segmenter = jieba.Tokenizer()
    return _segmenter


@lru_cache(maxsize=65536)
def _segment(text: str) -> Tuple[Tuple[int, ...], Tuple[Tuple[int, int, str], ...]]:
    """jieba words of ``text`` as (start, end, word), and the word index of every character.
    Cached: training featurizes the same texts every epoch."""
    owner = [0] * (len(text) + 1)
    words: List[Tuple[int, int, str]] = []
    start = 0
    for word in _jieba().cut(text, HMM=True):
        end = start + len(word)
        for offset in range(start, end):
            owner[offset] = len(words)
        words.append((start, end, word))
        start = end
    return tuple(owner), tuple(words)


def jieba_word_features(doc: Doc) -> Tuple[List[str], List[str]]:
    """For each token: its B/M/E/S position in the jieba word holding its first character, and
    that word. Tokens longer than one character get the tag of where they start and end."""
    owner, words = _segment(doc.text)
    positions, containing = [], []
    text_length = len(doc.text)
    for token in doc:
        if not words or token.idx >= text_length:
            positions.append("S")
            containing.append(token.text)
            continue
        w_start, w_end, word = words[owner[token.idx]]
        token_end = token.idx + len(token.text)
        begins, ends = token.idx == w_start, token_end >= w_end
        positions.append("S" if begins and ends else "B" if begins else "E" if ends else "M")
        containing.append(word)
    return positions, containing
