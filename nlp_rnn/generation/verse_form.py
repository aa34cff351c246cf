"""Regulated-verse shapes (``--form 5x4|7x4|5x8|7x8``): lines of 5 or 7 characters, ``，`` after
odd lines and ``。`` after even ones; and the well-formedness check used by ``evaluate``.

Decoding under a form masks the vocabulary at each step (:meth:`VerseForm.allowed`): at a
character slot only CJK ideographs may come, at a line end only the required mark, so every
sample is well formed whatever the model prefers.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import List, Sequence

import numpy

COMMA, FULL_STOP = "，", "。"
FORMS = ("5x4", "7x4", "5x8", "7x8")


def is_hanzi(char: str) -> bool:
    """True for a CJK ideograph (the characters a verse line is made of)."""
    return len(char) == 1 and unicodedata.name(char, "").startswith("CJK ") and unicodedata.category(char) == "Lo"


def verse_lines(text: str) -> List[str]:
    """The lines of ``text`` cut after each ``，`` / ``。`` (marks kept)."""
    return re.findall(r"[^，。]*[，。]", text)


def is_well_formed(text: str, min_couplets: int = 2) -> bool:
    """Lines of all 5 or all 7 ideographs, ``，`` after odd lines, ``。`` after even lines, at
    least ``min_couplets`` couplets, nothing else (surrounding whitespace ignored)."""
    text = text.strip()
    lines = verse_lines(text)
    if "".join(lines) != text or len(lines) < 2 * min_couplets or len(lines) % 2:
        return False
    width = len(lines[0]) - 1
    if width not in (5, 7):
        return False
    for index, line in enumerate(lines):
        body, mark = line[:-1], line[-1]
        if len(body) != width or not all(is_hanzi(c) for c in body):
            return False
        if mark != (COMMA if index % 2 == 0 else FULL_STOP):
            return False
    return True


@dataclass(frozen=True)
class VerseForm:
    """``width`` characters per line, ``lines`` lines."""

    width: int
    lines: int

    @classmethod
    def parse(cls, form: str) -> "VerseForm":
        """``"5x4"`` → VerseForm(5, 4); ValueError listing the forms otherwise."""
        if form not in FORMS:
            raise ValueError(f"--form must be one of {', '.join(FORMS)}, not {form!r}")
        width, lines = form.split("x")
        return cls(int(width), int(lines))

    @property
    def length(self) -> int:
        """Characters in a poem of this form, marks included."""
        return (self.width + 1) * self.lines

    def slot(self, position: int) -> str:
        """What goes at ``position`` (0-based): "hanzi", "，" or "。"."""
        line, column = divmod(position, self.width + 1)
        if column < self.width:
            return "hanzi"
        return COMMA if line % 2 == 0 else FULL_STOP

    def check_prefix(self, prompt: str) -> None:
        """ValueError when ``prompt`` cannot start a poem of this form."""
        if len(prompt) > self.length:
            raise ValueError(f"the prompt is longer than a {self.width}x{self.lines} poem ({self.length} characters)")
        for position, char in enumerate(prompt):
            slot = self.slot(position)
            if (slot == "hanzi" and not is_hanzi(char)) or (slot != "hanzi" and char != slot):
                raise ValueError(
                    f"the prompt does not fit the form {self.width}x{self.lines}: character {position + 1} "
                    f"is {char!r}, expected {'a CJK character' if slot == 'hanzi' else slot!r}"
                )


class FormMasks:
    """The allowed-id masks of a model's vocabulary: (V,) bool arrays for ideographs, ``，``, ``。``."""

    def __init__(self, chars: Sequence[str], n_special: int, vocab_size: int):
        ids = {c: i + n_special for i, c in enumerate(chars)}
        missing = [mark for mark in (COMMA, FULL_STOP) if mark not in ids]
        if missing:
            raise ValueError(
                f"--form needs the marks {COMMA} and {FULL_STOP} in the model's vocabulary; "
                f"this model lacks {' and '.join(missing)} (was it trained on Chinese verse?)"
            )
        self.hanzi = numpy.zeros(vocab_size, dtype=bool)
        hanzi_ids = [i for c, i in ids.items() if is_hanzi(c)]
        if not hanzi_ids:
            raise ValueError("--form needs CJK characters in the model's vocabulary; this model has none")
        self.hanzi[hanzi_ids] = True
        self.mark_ids = {COMMA: ids[COMMA], FULL_STOP: ids[FULL_STOP]}
