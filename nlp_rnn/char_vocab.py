"""Characters ↔ ids of a character language model, torch-free (the torch ``rnn_lm`` and the
exported one share it)."""

from collections import Counter
from typing import Any, Dict, Iterable, List, Sequence

PAD, UNK, BOUNDARY = 0, 1, 2  #: special ids; BOUNDARY starts (as input) and ends (as target) a document
N_SPECIAL = 3


class CharVocab:
    """Characters ↔ ids. Ids 0-2 are PAD, UNK and BOUNDARY; ``chars[i]`` has id ``i + 3``
    (most frequent first)."""

    def __init__(self, chars: Sequence[str]):
        self.chars = list(chars)
        self._ids = {c: i + N_SPECIAL for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars) + N_SPECIAL

    def __contains__(self, char: str) -> bool:
        return char in self._ids

    def id(self, char: str) -> int:
        """The id of one character (UNK when unknown)."""
        return self._ids.get(char, UNK)

    def encode(self, text: str) -> List[int]:
        """Ids of the characters of ``text`` (UNK for unknown ones)."""
        get = self._ids.get
        return [get(c, UNK) for c in text]

    def char(self, index: int) -> str:
        """The character of a non-special id ("" for special ids)."""
        return self.chars[index - N_SPECIAL] if index >= N_SPECIAL else ""

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_freq: int) -> "CharVocab":
        """Characters seen at least ``min_freq`` times; rarer ones become UNK (so UNK is learned)."""
        counts: Counter = Counter()
        for text in texts:
            counts.update(text)
        kept = [c for c, n in counts.items() if n >= min_freq]
        return cls(sorted(kept, key=lambda c: (-counts[c], c)))

    def to_dict(self) -> Dict[str, Any]:
        return {"chars": self.chars}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "CharVocab":
        return cls(data["chars"])
