"""Target text ↔ ids of a translator, torch-free (the torch translator and the exported one share it).

Ids 0-3 are reserved: PAD, UNK, BOS, EOS; real target units start at :data:`N_SPECIAL`. The units
(``target_units``) are described in :mod:`nlp_rnn.architectures.translator`.
"""

from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence

PAD = 0  #: padding; ignored by the loss, never generated
UNK = 1  #: unknown target token
BOS = 2  #: begin of sequence, first decoder input; never generated
EOS = 3  #: end of sequence; the decoder's last target, stops decoding
N_SPECIAL = 4

TARGET_UNITS = ("tokens", "chars")
SPACE_MARK = "▁"
UNK_TEXT = "<unk>"


class TargetVocab:
    """Target text ↔ ids. Ids 0-3 are PAD, UNK, BOS, EOS (:mod:`nlp_rnn.nn.target_ids`); the units
    in ``strings`` get ids from 4 on, most frequent first.

    Args:
        strings: the known units. units: "tokens" | "chars". lang: language of the spaCy
            tokenizer used for "tokens" (e.g. "en").
    """

    def __init__(self, strings: Sequence[str], units: str = "tokens", lang: str = "en"):
        if units not in TARGET_UNITS:
            raise ValueError(f"target_units must be one of {TARGET_UNITS}, not {units!r}")
        self.strings = list(strings)
        self.units = units
        self.lang = lang
        self._ids = {s: i + N_SPECIAL for i, s in enumerate(self.strings)}
        self._tokenizer = None

    def __len__(self) -> int:
        """Number of ids, the four special ids included."""
        return len(self.strings) + N_SPECIAL

    def split(self, text: str) -> List[str]:
        """The units of ``text`` (surrounding whitespace removed)."""
        text = text.strip()
        if not text:
            return []
        if self.units == "chars":
            return list(text)
        if self._tokenizer is None:
            import spacy

            self._tokenizer = spacy.blank(self.lang).tokenizer
        doc = self._tokenizer(text)
        return [
            (SPACE_MARK if i and doc[i - 1].whitespace_ else "") + token.text
            for i, token in enumerate(doc)
        ]

    def encode(self, text: str, max_length: Optional[int] = None) -> List[int]:
        """Ids of ``text``'s units (UNK for unknown ones), at most ``max_length`` of them."""
        units = self.split(text)
        if max_length is not None:
            units = units[:max_length]
        return [self._ids.get(unit, UNK) for unit in units]

    def unit(self, index: int) -> str:
        """The unit string of one id; ``<unk>`` for UNK (and the other special ids)."""
        if index >= N_SPECIAL and index - N_SPECIAL < len(self.strings):
            return self.strings[index - N_SPECIAL]
        return UNK_TEXT

    def display_units(self, ids: Sequence[int]) -> List[str]:
        """Human-readable units of ``ids`` (the ``▁`` marker removed), e.g. for attention plots."""
        return [self.unit(i).lstrip(SPACE_MARK) or self.unit(i) for i in ids]

    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``; unknown units (UNK) are left out."""
        pieces = []
        for index in ids:
            if index < N_SPECIAL:
                continue
            unit = self.unit(index)
            if self.units == "tokens" and unit.startswith(SPACE_MARK) and len(unit) > 1:
                unit = " " + unit[1:]
            pieces.append(unit)
        return "".join(pieces).strip()

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], units: str, lang: str, min_freq: int
    ) -> "TargetVocab":
        """Units seen at least ``min_freq`` times in ``texts``; rarer ones become UNK."""
        vocab = cls([], units, lang)
        counts: Counter = Counter()
        for text in texts:
            counts.update(vocab.split(text))
        kept = [s for s, n in counts.items() if n >= min_freq]
        return cls(sorted(kept, key=lambda s: (-counts[s], s)), units, lang)

    def to_dict(self) -> Dict[str, Any]:
        return {"strings": self.strings, "units": self.units, "lang": self.lang}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "TargetVocab":
        return cls(data["strings"], data["units"], data["lang"])
