"""``nlp_rnn.CachedCorpus.v1``: spaCy's ``spacy.Corpus.v1`` that reads its DocBins once per process.

spaCy's corpus reader decodes the DocBin every time it is called: once to validate the training
data, once to initialize each component, once when the training loop starts, and the dev set at
every evaluation. This reader materializes the Examples on its first call and hands out the same
Example objects afterwards, also to other readers of the same files and settings in the process
(spaCy resolves ``[corpora]`` once to initialize and again to train) (in file order, or shuffled with a seed that changes at each call when
``shuffle = true``). spaCy copies the predicted Doc of an Example before it updates or evaluates
(``Language.update`` / ``Language.evaluate``), so the cached Examples are never changed by
training; their reference Docs keep their identity across epochs, which lets a component cache
what it derives from them (featurized ids, gold tags: :mod:`nlp_rnn.training.example_cache`).

**Memory bound.** The Examples are cached only when the corpus holds at most ``max_cached_tokens``
tokens (counted from the DocBin headers before anything is decoded); a cached Example costs
about :data:`BYTES_PER_CACHED_TOKEN` bytes per token (predicted + reference Doc; SNIPS train:
118,623 tokens, 140 MB), so the default of 2,000,000 tokens is about 2.4 GB. A larger corpus is
**streamed**: read from disk at each call exactly as ``spacy.Corpus.v1`` does (with ``[training]
max_epochs = -1`` spaCy's loop then streams the training set instead of holding it in a list).
``max_cached_tokens = 0`` always streams.

DocBins that ``nlp-rnn convert`` wrote before commit cdbc170 hold an empty ``user_data`` entry per
Doc, whose decoding (srsly's msgpack extension lookup) took 16× longer than the rest of the Doc;
empty entries are skipped here, so old files read as fast as new ones.
"""

import random
from pathlib import Path
from collections import OrderedDict
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus, Example
from spacy.training.augment import dont_augment
from spacy.training.corpus import FILE_TYPE, walk_corpus
from spacy.util import ensure_path, registry
from spacy.vocab import Vocab

from ..data.docbin import EMPTY_USER_DATA

BYTES_PER_CACHED_TOKEN = 1200  # peak memory of a cached Example per token (predicted + reference Doc), SNIPS train
DEFAULT_MAX_CACHED_TOKENS = 2_000_000
# The Examples of the last corpora read, shared by every reader of the same files and settings:
# spaCy resolves [corpora] again in the training loop, so the reader that initialized the pipeline
# is not the one that trains it. Entries hold their pipeline, so its id in the key stays valid.
SHARED_EXAMPLES: "OrderedDict[Tuple, Tuple[Language, List[Example]]]" = OrderedDict()
MAX_SHARED_CORPORA = 4  # train and dev of the current training, and of one before it


def read_docbin_file(path: Union[str, Path]) -> DocBin:
    """The DocBin of ``path`` with empty ``user_data`` entries dropped (they decode slowly)."""
    docbin = DocBin().from_disk(path)
    if docbin.user_data and all(data is None or data == EMPTY_USER_DATA for data in docbin.user_data):
        docbin.user_data = [None] * len(docbin)
    return docbin


def count_tokens(locs: Iterable[Path]) -> int:
    """Tokens in the DocBins at ``locs``, read from their headers (no Doc is built)."""
    return sum(len(tokens) for loc in locs for tokens in DocBin().from_disk(loc).tokens)


class CachedCorpus(Corpus):
    """``spacy.Corpus`` whose Examples are built once and reused (see the module docstring)."""

    def __init__(self, path: Union[str, Path], *, max_cached_tokens: int = DEFAULT_MAX_CACHED_TOKENS, seed: int = 0, **corpus_settings):
        super().__init__(path, **corpus_settings)
        self.max_cached_tokens = max_cached_tokens
        self.seed = seed
        self.calls = 0
        self._tokens: Optional[int] = None

    @property
    def streams(self) -> bool:
        """True when the corpus is read at every call: it is larger than the bound, or an augmenter
        makes new Examples at every pass."""
        if self.augmenter is not dont_augment:
            return True
        if self._tokens is None:
            self._tokens = count_tokens(walk_corpus(self.path, FILE_TYPE))
        return self._tokens > self.max_cached_tokens

    def __call__(self, nlp: Language) -> Iterator[Example]:
        self.calls += 1
        if self.streams:
            yield from super().__call__(nlp)
            return
        key = self._cache_key(nlp)
        entry = SHARED_EXAMPLES.pop(key, None)
        if entry is None:
            shuffle, self.shuffle = self.shuffle, False
            try:
                entry = (nlp, list(super().__call__(nlp)))
            finally:
                self.shuffle = shuffle
        SHARED_EXAMPLES[key] = entry  # most recently used last
        while len(SHARED_EXAMPLES) > MAX_SHARED_CORPORA:
            SHARED_EXAMPLES.popitem(last=False)
        examples = entry[1]
        if self.shuffle:
            examples = list(examples)
            random.Random(self.seed + self.calls).shuffle(examples)
        yield from examples

    def _cache_key(self, nlp: Language) -> Tuple:
        """What makes the Examples: the files (path, size, modification time), the reading
        settings and the pipeline (its tokenizer makes the predicted Docs)."""
        files = tuple((str(loc), loc.stat().st_size, loc.stat().st_mtime_ns) for loc in map(ensure_path, walk_corpus(self.path, FILE_TYPE)))
        return files, self.gold_preproc, self.max_length, self.limit, id(nlp)

    def read_docbin(self, vocab: Vocab, locs: Iterable[Union[str, Path]]) -> Iterator[Doc]:
        """spaCy's ``Corpus.read_docbin`` over :func:`read_docbin_file` (empty docs skipped, ``limit``)."""
        count = 0
        for loc in locs:
            loc = ensure_path(loc)
            if not loc.parts[-1].endswith(FILE_TYPE):
                continue
            for doc in read_docbin_file(loc).get_docs(vocab):
                if len(doc):
                    yield doc
                    count += 1
                    if self.limit >= 1 and count >= self.limit:
                        return


@registry.readers("nlp_rnn.CachedCorpus.v1")
def create_cached_corpus_reader(
    path: Optional[Path],
    gold_preproc: bool = False,
    max_length: int = 0,
    limit: int = 0,
    augmenter: Optional[Callable] = None,
    shuffle: bool = False,
    seed: int = 0,
    max_cached_tokens: int = DEFAULT_MAX_CACHED_TOKENS,
) -> Callable[[Language], Iterator[Example]]:
    """``spacy.Corpus.v1``'s settings, plus ``max_cached_tokens`` (the memory bound: a larger
    corpus is streamed from disk at each call) and ``seed`` (of the per-call shuffle)."""
    if path is None:
        raise ValueError("nlp_rnn.CachedCorpus.v1 needs a path: set [paths] train / dev")
    return CachedCorpus(
        path, max_cached_tokens=max_cached_tokens, seed=seed, gold_preproc=gold_preproc,
        max_length=max_length, limit=limit, augmenter=augmenter, shuffle=shuffle,
    )
