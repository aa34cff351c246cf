"""Docs → padded integer id arrays, one column per token attribute (word, prefix, suffix...).

The vocabularies are built from the training Docs at ``initialize()`` and stored as JSON with the
pipeline. Lookup is vectorised: spaCy gives each token's attribute as a 64-bit string hash
(``Doc.to_array``), and a sorted array of known hashes maps them to ids with ``searchsorted``.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.attrs import IDS as ATTR_IDS
from spacy.strings import get_string_id
from spacy.tokens import Doc
from thinc.api import get_current_ops

PAD_ID = 0
UNK_ID = 1
STRING_ATTRS = ("ORTH", "LOWER", "NORM", "PREFIX", "SUFFIX", "SHAPE")
# features computed from the text rather than read from spaCy: the jieba word position (B/M/E/S)
# of each token and the jieba word itself, for character-level Chinese (see softword.py), and the
# token with the one after it (character bigrams in character-level Chinese)
JIEBA_FEATURES = ("SOFTWORD", "JIEBA_WORD")
# every jieba dictionary word over the text (not only the segmentation): the most frequent word
# beginning at, holding, ending at each token, and its roles (SoftLexicon-style; see softword.py)
LEXICON_FEATURES = ("LEX_B", "LEX_M", "LEX_E", "LEX_ROLES")
BIGRAM_FEATURE = "BIGRAM"
COMPUTED_FEATURES = JIEBA_FEATURES + LEXICON_FEATURES + (BIGRAM_FEATURE,)
END_OF_DOC = "</s>"
# the characters of each token, read by a character CNN (nn/char_cnn.py); must be the last feature
CHAR_FEATURE = "CHARS"
CHARS_PER_TOKEN = 16
_CHAR_CACHE_SIZE = 200_000


def token_feature_strings(doc: Doc, attrs: Sequence[str]) -> List[List[str]]:
    """The feature strings of every token: one list per attribute."""
    columns = []
    computed = None
    lexicon = None
    for attr in attrs:
        if attr == CHAR_FEATURE:
            columns.append([token.text[:CHARS_PER_TOKEN] for token in doc])
        elif attr == BIGRAM_FEATURE:
            texts = [token.text for token in doc] + [END_OF_DOC]
            columns.append([f"{a} {b}" for a, b in zip(texts, texts[1:])])
        elif attr in JIEBA_FEATURES:
            if computed is None:
                from .softword import jieba_word_features

                computed = dict(zip(JIEBA_FEATURES, jieba_word_features(doc)))
            columns.append(computed[attr])
        elif attr in LEXICON_FEATURES:
            if lexicon is None:
                from .softword import jieba_lexicon_features

                lexicon = dict(zip(LEXICON_FEATURES, jieba_lexicon_features(doc)))
            columns.append(lexicon[attr])
        else:
            name = attr.lower() + "_"
            columns.append([getattr(token, name) for token in doc])
    return columns


class FeatureVocab:
    """Strings of one attribute → ids (0 = padding, 1 = unknown, known strings from 2)."""

    def __init__(self, strings: Sequence[str]):
        self.strings = list(strings)
        hashes = numpy.asarray([get_string_id(s) for s in self.strings], dtype="uint64")
        order = numpy.argsort(hashes, kind="stable")
        self._sorted_hashes = hashes[order]
        self._sorted_ids = (order + 2).astype("int64")

    def __len__(self) -> int:
        """Number of ids, padding and unknown included."""
        return len(self.strings) + 2

    def lookup(self, hashes: numpy.ndarray) -> numpy.ndarray:
        """hashes: (n,) uint64 string hashes → (n,) int64 ids, UNK_ID where unknown."""
        if not len(self.strings):
            return numpy.full(hashes.shape, UNK_ID, dtype="int64")
        positions = numpy.searchsorted(self._sorted_hashes, hashes)
        positions = numpy.minimum(positions, len(self._sorted_hashes) - 1)
        found = self._sorted_hashes[positions] == hashes
        return numpy.where(found, self._sorted_ids[positions], UNK_ID)


@dataclass(frozen=True)
class FeaturizedBatch:
    """A batch of Docs already turned into ids: ``ids`` (batch, T, n_columns) int64 with 0 at
    padding and ``lengths`` (batch,) int64, as :meth:`DocFeaturizer.__call__` returns them. The
    torch models take it wherever they take Docs (training passes cached ids this way)."""

    ids: numpy.ndarray
    lengths: numpy.ndarray


class DocFeaturizer:
    """Turns a batch of Docs into ``(ids, lengths)`` for the torch modules.

    Args:
        attrs: spaCy string attributes, one feature column each (e.g. ["NORM", "PREFIX"]),
            optionally ending with ``"CHARS"``: the first :data:`CHARS_PER_TOKEN` characters of each
            token, one id column per character.
        vocabs: one :class:`FeatureVocab` per attribute (for ``"CHARS"``: single characters).
        max_length: Docs longer than this many tokens are truncated (memory stays bounded).
    """

    def __init__(self, attrs: Sequence[str], vocabs: Sequence[FeatureVocab], max_length: int):
        known = STRING_ATTRS + COMPUTED_FEATURES + (CHAR_FEATURE,)
        unknown = [a for a in attrs if a not in known]
        if unknown:
            raise ValueError(f"unsupported token features {unknown}; use any of {known}")
        if not attrs:
            raise ValueError("at least one token feature is needed")
        if CHAR_FEATURE in attrs and (attrs[-1] != CHAR_FEATURE or len(attrs) < 2 or list(attrs).count(CHAR_FEATURE) > 1):
            raise ValueError(f"{CHAR_FEATURE!r} must be the last feature, once, after at least one word feature: {list(attrs)}")
        self.attrs = list(attrs)
        self.vocabs = list(vocabs)
        self.max_length = max_length
        has_chars = self.attrs[-1] == CHAR_FEATURE
        self.char_columns = CHARS_PER_TOKEN if has_chars else 0
        self._token_vocabs = self.vocabs[:-1] if has_chars else self.vocabs
        self._char_index = {c: i for i, c in enumerate(self.vocabs[-1].strings, start=2)} if has_chars else {}
        self._char_cache: Dict[int, numpy.ndarray] = {}
        self._spacy_columns = [i for i, a in enumerate(self.attrs) if a in STRING_ATTRS]
        self._computed_columns = [i for i, a in enumerate(self.attrs) if a in COMPUTED_FEATURES]
        self._attr_ids = [ATTR_IDS[self.attrs[i]] for i in self._spacy_columns]

    @classmethod
    def from_docs(
        cls, docs: Iterable[Doc], attrs: Sequence[str], min_freq: int, max_length: int
    ) -> "DocFeaturizer":
        """Build vocabularies from training Docs; strings seen fewer than ``min_freq`` times are
        left out (they become the unknown id, which the model thereby learns)."""
        counters: List[Counter] = [Counter() for _ in attrs]
        for doc in docs:
            for attr, counter, strings in zip(attrs, counters, token_feature_strings(doc, attrs)):
                if attr == CHAR_FEATURE:
                    counter.update(char for string in strings for char in string)
                else:
                    counter.update(strings)
        vocabs = []
        for counter in counters:
            kept = [s for s, n in counter.items() if n >= min_freq]
            vocabs.append(FeatureVocab(sorted(kept, key=lambda s: (-counter[s], s))))
        return cls(attrs, vocabs, max_length)

    @property
    def vocab_sizes(self) -> List[int]:
        return [len(v) for v in self.vocabs]

    @property
    def n_columns(self) -> int:
        """Id columns per token: one per token feature, plus :data:`CHARS_PER_TOKEN` for chars."""
        return len(self._token_vocabs) + self.char_columns

    def __call__(self, docs: Sequence[Doc]) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Returns ids (batch, T, n_columns) int64 with 0 at padding, lengths (batch,) int64.

        The first columns are the token features in ``attrs`` order; with ``"CHARS"`` the last
        :data:`CHARS_PER_TOKEN` columns are character ids (0 after the token's end).
        T is the longest Doc in the batch (after truncation); an empty batch gives T = 0.
        """
        return self.pad(self.rows(docs))

    def rows(self, docs: Sequence[Doc]) -> List[numpy.ndarray]:
        """The ids of each Doc, (n_tokens_i, n_columns) int64 (truncated to ``max_length``), looked
        up for the whole batch at once. Training caches these per Example (see
        :mod:`nlp_rnn.training.example_cache`) and pads each batch with :meth:`pad`."""
        lengths = [min(len(d), self.max_length) for d in docs]
        if not sum(lengths):
            return [numpy.zeros((0, self.n_columns), dtype="int64") for _ in docs]
        flat = numpy.concatenate([self._hashes(doc)[:n] for doc, n in zip(docs, lengths) if n])
        columns = [vocab.lookup(flat[:, i]) for i, vocab in enumerate(self._token_vocabs)]
        mapped = numpy.stack(columns, axis=1)
        if self.char_columns:
            chars = numpy.concatenate([self._char_ids(doc, n) for doc, n in zip(docs, lengths) if n])
            mapped = numpy.concatenate([mapped, chars], axis=1)
        return numpy.split(mapped, numpy.cumsum(lengths)[:-1])

    def pad(self, rows: Sequence[numpy.ndarray]) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Rows from :meth:`rows` → ids (batch, T, n_columns) int64, lengths (batch,) int64."""
        lengths = numpy.asarray([len(r) for r in rows], dtype="int64")
        width = int(lengths.max()) if len(rows) else 0
        return pad_rows(rows, width, (self.n_columns,)), lengths

    def _char_ids(self, doc: Doc, n_tokens: int) -> numpy.ndarray:
        """(n_tokens, CHARS_PER_TOKEN) int64 character ids of the first ``n_tokens`` tokens."""
        if len(self._char_cache) > _CHAR_CACHE_SIZE:
            self._char_cache.clear()
        rows = []
        for token in doc[:n_tokens]:
            row = self._char_cache.get(token.orth)
            if row is None:
                row = numpy.zeros(CHARS_PER_TOKEN, dtype="int64")
                chars = token.text[:CHARS_PER_TOKEN]
                row[: len(chars)] = [self._char_index.get(c, UNK_ID) for c in chars]
                self._char_cache[token.orth] = row
            rows.append(row)
        return numpy.stack(rows)

    def _hashes(self, doc: Doc) -> numpy.ndarray:
        """(n_tokens, n_token_features) uint64 string hashes of one Doc's features (not chars)."""
        hashes = numpy.zeros((len(doc), len(self._token_vocabs)), dtype="uint64")
        if self._spacy_columns:
            values = doc.to_array(self._attr_ids).reshape(len(doc), -1)
            hashes[:, self._spacy_columns] = values.astype("uint64")
        if self._computed_columns:
            columns = token_feature_strings(doc, [self.attrs[i] for i in self._computed_columns])
            for i, strings in zip(self._computed_columns, columns):
                hashes[:, i] = [get_string_id(s) for s in strings]
        return hashes

    def to_dict(self) -> Dict:
        return {
            "attrs": self.attrs,
            "max_length": self.max_length,
            "vocabs": [v.strings for v in self.vocabs],
        }

    @classmethod
    def from_dict(cls, data: Dict) -> "DocFeaturizer":
        return cls(data["attrs"], [FeatureVocab(s) for s in data["vocabs"]], data["max_length"])


def pad_rows(rows: Sequence[numpy.ndarray], width: int, tail: Tuple[int, ...] = ()) -> numpy.ndarray:
    """Left-aligned rows of different lengths (each (n_i, *tail), cut to ``width``) → one
    (len(rows), width, *tail) int64 array, 0 after each row's end."""
    out = numpy.zeros((len(rows), width) + tuple(tail), dtype="int64")
    kept = [row[:width] for row in rows]
    lengths = numpy.asarray([len(row) for row in kept], dtype="int64")
    if width and lengths.sum():
        out[numpy.arange(width)[None, :] < lengths[:, None]] = numpy.concatenate(kept)
    return out


def static_vector_table(vocab, strings: Sequence[str]) -> Optional[numpy.ndarray]:
    """Rows of the pipeline's static vectors for a feature vocabulary, or None if it has none.

    Returns (len(strings) + 2, dim) float32: zeros for padding, unknown and strings without a vector.
    """
    vectors = vocab.vectors
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        return None
    table = numpy.zeros((len(strings) + 2, vectors.shape[1]), dtype="float32")
    data = get_current_ops().to_numpy(vectors.data)
    for i, string in enumerate(strings, start=2):
        key = get_string_id(string)
        row = vectors.find(key=key) if key in vectors else -1
        if row >= 0:
            table[i] = data[row]
    return table
