"""Docs → padded integer id arrays, one column per token attribute (word, prefix, suffix...).

The vocabularies are built from the training Docs at ``initialize()`` and stored as JSON with the
pipeline. Lookup is vectorised: spaCy gives each token's attribute as a 64-bit string hash
(``Doc.to_array``), and a sorted array of known hashes maps them to ids with ``searchsorted``.
"""

from collections import Counter
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
# of each token and the jieba word itself, for character-level Chinese (see softword.py)
COMPUTED_FEATURES = ("SOFTWORD", "JIEBA_WORD")


def token_feature_strings(doc: Doc, attrs: Sequence[str]) -> List[List[str]]:
    """The feature strings of every token: one list per attribute."""
    columns = []
    computed = None
    for attr in attrs:
        if attr in COMPUTED_FEATURES:
            if computed is None:
                from .softword import jieba_word_features

                computed = dict(zip(COMPUTED_FEATURES, jieba_word_features(doc)))
            columns.append(computed[attr])
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


class DocFeaturizer:
    """Turns a batch of Docs into ``(ids, lengths)`` for the torch modules.

    Args:
        attrs: spaCy string attributes, one feature column each (e.g. ["NORM", "PREFIX"]).
        vocabs: one :class:`FeatureVocab` per attribute.
        max_length: Docs longer than this many tokens are truncated (memory stays bounded).
    """

    def __init__(self, attrs: Sequence[str], vocabs: Sequence[FeatureVocab], max_length: int):
        unknown = [a for a in attrs if a not in STRING_ATTRS + COMPUTED_FEATURES]
        if unknown:
            raise ValueError(
                f"unsupported token features {unknown}; use any of {STRING_ATTRS + COMPUTED_FEATURES}"
            )
        if not attrs:
            raise ValueError("at least one token feature is needed")
        self.attrs = list(attrs)
        self.vocabs = list(vocabs)
        self.max_length = max_length
        self._spacy_columns = [i for i, a in enumerate(self.attrs) if a in STRING_ATTRS]
        self._computed_columns = [i for i, a in enumerate(self.attrs) if a in COMPUTED_FEATURES]
        self._attr_ids = [ATTR_IDS[self.attrs[i]] for i in self._spacy_columns]

    @classmethod
    def from_docs(
        cls, docs: Iterable[Doc], attrs: Sequence[str], min_freq: int = 1, max_length: int = 512
    ) -> "DocFeaturizer":
        """Build vocabularies from training Docs; strings seen fewer than ``min_freq`` times are
        left out (they become the unknown id, which the model thereby learns)."""
        counters: List[Counter] = [Counter() for _ in attrs]
        for doc in docs:
            for counter, strings in zip(counters, token_feature_strings(doc, attrs)):
                counter.update(strings)
        vocabs = []
        for counter in counters:
            kept = [s for s, n in counter.items() if n >= min_freq]
            vocabs.append(FeatureVocab(sorted(kept, key=lambda s: (-counter[s], s))))
        return cls(attrs, vocabs, max_length)

    @property
    def vocab_sizes(self) -> List[int]:
        return [len(v) for v in self.vocabs]

    def __call__(self, docs: Sequence[Doc]) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Returns ids (batch, T, n_features) int64 with 0 at padding, lengths (batch,) int64.

        T is the longest Doc in the batch (after truncation); an empty batch gives T = 0.
        """
        lengths = numpy.asarray([min(len(d), self.max_length) for d in docs], dtype="int64")
        width = int(lengths.max()) if len(docs) else 0
        ids = numpy.zeros((len(docs), width, len(self.attrs)), dtype="int64")
        if width == 0:
            return ids, lengths
        arrays = [self._hashes(doc)[:n] for doc, n in zip(docs, lengths) if n]
        flat = numpy.concatenate(arrays)
        mapped = numpy.stack(
            [vocab.lookup(flat[:, i]) for i, vocab in enumerate(self.vocabs)], axis=1
        )
        mask = numpy.arange(width)[None, :] < lengths[:, None]
        ids[mask] = mapped
        return ids, lengths

    def _hashes(self, doc: Doc) -> numpy.ndarray:
        """(n_tokens, n_features) uint64 string hashes of one Doc's features."""
        hashes = numpy.zeros((len(doc), len(self.attrs)), dtype="uint64")
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
