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


#: the lexicon features of a character (SoftLexicon-style, Ma et al. 2020, from jieba's dictionary)
LEXICON_ROLES = ("B", "M", "E")
NO_WORD = "-"


@lru_cache(maxsize=65536)
def _lexicon(text: str) -> Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]:
    """For each character of ``text``: the most frequent dictionary word (of two or more characters)
    that begins there, that holds it inside, that ends there (:data:`NO_WORD` for none), and the
    set of roles it has (``"BME"`` letters, plus ``"S"`` when the character is a word itself)."""
    tokenizer = _jieba()
    tokenizer.check_initialized()
    freq = tokenizer.FREQ
    n = len(text)
    best = {role: [(0, NO_WORD)] * n for role in LEXICON_ROLES}
    for start, ends in tokenizer.get_DAG(text).items():
        for end in ends:
            if end <= start:
                continue
            word = text[start : end + 1]
            count = freq.get(word, 0)
            if not count:
                continue
            for position in range(start, end + 1):
                role = "B" if position == start else "E" if position == end else "M"
                if count > best[role][position][0]:
                    best[role][position] = (count, word)
    words = tuple(tuple(word for _, word in best[role]) for role in LEXICON_ROLES)
    roles = tuple(
        "".join(role for role, column in zip(LEXICON_ROLES, words) if column[i] != NO_WORD) + ("S" if freq.get(text[i], 0) else "")
        for i in range(n)
    )
    return words[0], words[1], words[2], roles


def jieba_lexicon_features(doc: Doc) -> Tuple[List[str], List[str], List[str], List[str]]:
    """For each token: the lexicon word that begins at its first character, holds its first
    character inside, ends at its last character, and the roles of its first character (see
    :func:`_lexicon`). Every dictionary word over the text counts, not only jieba's segmentation:
    the model sees the competing words a character-level Chinese tagger would otherwise miss."""
    begins, inside, ends, roles = _lexicon(doc.text)
    columns: Tuple[List[str], List[str], List[str], List[str]] = ([], [], [], [])
    n = len(doc.text)
    for token in doc:
        first, last = token.idx, token.idx + len(token.text) - 1
        if first >= n or last < first:
            for column in columns:
                column.append(NO_WORD)
            continue
        columns[0].append(begins[first])
        columns[1].append(inside[first])
        columns[2].append(ends[last])
        columns[3].append(roles[first] or NO_WORD)
    return columns
