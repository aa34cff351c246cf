"""spaCy's Chinese tokenizer with ``segmenter = "jieba"`` plus a user dictionary.

spaCy's own :class:`spacy.lang.zh.ChineseTokenizer` segments with the global ``jieba`` module and
offers no way to add words. This subclass gives every pipeline its own ``jieba.Tokenizer`` so that a
user dictionary (a jieba dict file: ``word [freq] [tag]`` per line) changes only this pipeline, and
stores the user words with the pipeline so that ``spacy.load`` segments exactly as in training.
"""

import logging
from pathlib import Path
from typing import Callable, Iterable, List, Optional

import srsly
from spacy import util
from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.language import Language
from spacy.util import registry
from spacy.vocab import Vocab


def read_user_dictionary(path: Path) -> List[str]:
    """Read a jieba user dictionary (``word [freq] [tag]`` per line) and return its lines."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"jieba user dictionary not found: {path}")
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if len(line.split()) > 3:
            raise ValueError(f"{path}:{number}: expected 'word [freq] [tag]', got {line!r}")
        lines.append(line)
    return lines


class ChineseJiebaTokenizer(ChineseTokenizer):
    """Chinese word segmentation with a private jieba tokenizer and optional user words."""

    def __init__(self, vocab: Vocab, user_words: Iterable[str] = ()):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        super().__init__(vocab, segmenter=Segmenter.jieba)
        self.user_words: List[str] = []
        self.jieba_seg = jieba.Tokenizer()
        self.add_user_words(user_words)

    def add_user_words(self, entries: Iterable[str]) -> None:
        """Add dictionary entries (``word [freq] [tag]``) to this tokenizer only."""
        for entry in entries:
            parts = entry.split()
            word = parts[0]
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
            self.jieba_seg.add_word(word, freq=freq, tag=tag)
            self.user_words.append(entry)

    def initialize(
        self,
        get_examples=None,
        *,
        nlp=None,
        user_dict: Optional[str] = None,
        user_words: Optional[List[str]] = None,
        pkuseg_model: Optional[str] = None,
        pkuseg_user_dict: Optional[str] = None,
    ) -> None:
        """Called by ``nlp.initialize()`` with the ``[initialize.tokenizer]`` settings. The pkuseg
        settings of spaCy's default Chinese config are accepted and ignored (this is jieba)."""
        entries = list(user_words or [])
        if user_dict:
            entries += read_user_dictionary(Path(user_dict))
        self.add_user_words(e for e in entries if e not in self.user_words)

    def _get_config(self):
        return {"segmenter": "jieba", "user_words": list(self.user_words)}

    def _set_config(self, config=None) -> None:
        config = config or {}
        words = [w for w in config.get("user_words", []) if w not in self.user_words]
        self.add_user_words(words)

    def to_bytes(self, **kwargs) -> bytes:
        return util.to_bytes({"cfg": lambda: srsly.json_dumps(self._get_config())}, [])

    def from_bytes(self, data: bytes, **kwargs) -> "ChineseJiebaTokenizer":
        util.from_bytes(data, {"cfg": lambda b: self._set_config(srsly.json_loads(b))}, [])
        return self

    def to_disk(self, path, **kwargs) -> None:
        path = util.ensure_path(path)
        util.to_disk(path, {"cfg": lambda p: srsly.write_json(p, self._get_config())}, [])

    def from_disk(self, path, **kwargs) -> "ChineseJiebaTokenizer":
        path = util.ensure_path(path)
        util.from_disk(path, {"cfg": lambda p: self._set_config(srsly.read_json(p))}, [])
        return self


@registry.tokenizers("nlp_rnn.ChineseJiebaTokenizer.v1")
def create_jieba_tokenizer() -> Callable[[Language], ChineseJiebaTokenizer]:
    """Config entry for ``[nlp.tokenizer]``. The user dictionary is read once, at
    ``nlp.initialize()``, from ``[initialize.tokenizer] user_dict``, and saved with the pipeline,
    so a trained pipeline does not need the dictionary file any more."""

    def tokenizer_factory(nlp: Language) -> ChineseJiebaTokenizer:
        return ChineseJiebaTokenizer(nlp.vocab)

    return tokenizer_factory
