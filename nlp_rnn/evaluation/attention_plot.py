"""The attention heat map of one translation: source tokens across, output tokens down.

Chinese, Japanese and Korean glyphs need a font that has them; matplotlib's default (DejaVu Sans)
does not. :func:`find_cjk_font` looks for one among the fonts matplotlib knows and the system
fonts (Noto Sans CJK, Source Han, WenQuanYi, Droid Sans Fallback, ...). Without one, CJK tokens
are labelled by code point (``U+6211``) and the plot says so, instead of drawing empty boxes.
On Debian / Ubuntu: ``apt-get install fonts-noto-cjk``.
"""

import warnings
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

CJK_FONT_HINTS = (
    "noto sans cjk",
    "noto serif cjk",
    "noto sans sc",
    "noto sans tc",
    "source han",
    "wenquanyi",
    "wqy",
    "droid sans fallback",
    "ar pl",
    "simhei",
    "simsun",
    "microsoft yahei",
    "pingfang",
    "heiti",
    "hiragino",
    "unifont",
)
NO_CJK_FONT = (
    "no CJK font found: CJK tokens are labelled by code point "
    "(install one, e.g. apt-get install fonts-noto-cjk)"
)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, kana, CJK symbols and punctuation, unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= code <= 0xFFEF  # full-width forms (，！？)
        or 0x20000 <= code <= 0x3FFFF  # extension B and later
    )


def has_cjk(strings: Sequence[str]) -> bool:
    """Whether any string holds a CJK character."""
    return any(_is_cjk(ch) for text in strings for ch in text)


def _font_has_cjk(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        return FT2Font(path).get_char_index(ord("我")) != 0
    except Exception:  # unreadable or unsupported font file
        return False


@lru_cache(maxsize=1)
def find_cjk_font() -> Optional[str]:
    """The family name of an installed font with CJK glyphs, or None.

    Tries the fonts in matplotlib's cache first, then the system font folders (fonts installed
    after the cache was built are added to matplotlib's font manager)."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if any(hint in entry.name.lower() for hint in CJK_FONT_HINTS) and _font_has_cjk(entry.fname):
            return entry.name
    def preference(path: str) -> tuple:  # regular weights and Simplified Chinese faces first
        name = Path(path).name.lower()
        heavy = any(w in name for w in ("bold", "black", "heavy", "light", "thin", "medium"))
        return (heavy, "sc" not in name.replace("-", " ").split(), "serif" in name, name)

    for path in sorted(font_manager.findSystemFonts(), key=preference):
        name = Path(path).name.lower().replace("-", "").replace("_", "").replace(" ", "")
        hinted = any(h.replace(" ", "") in name for h in CJK_FONT_HINTS)
        if hinted and _font_has_cjk(path):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except Exception:  # a font matplotlib cannot read: keep looking
                continue
    return None


def _code_points(text: str) -> str:
    """CJK characters replaced by their code points, space-separated (``我很`` → ``U+6211 U+5F88``)."""
    pieces = [f" U+{ord(ch):04X} " if _is_cjk(ch) else ch for ch in text]
    return " ".join("".join(pieces).split())


def plot_attention(
    source: Sequence[str],
    target: Sequence[str],
    weights: Sequence[Sequence[float]],
    path: Path,
    title: Optional[str] = None,
) -> Tuple[Path, Optional[str]]:
    """Write the heat map of ``weights`` (one row per output token, one column per source token)
    as PNG. Returns the path and a warning (None when every glyph could be drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    source, target = [str(s) for s in source], [str(t) for t in target]
    source = source or ["(empty)"]
    target = target or ["(empty)"]
    matrix: List[List[float]] = [[0.0] * len(source) for _ in target]  # no weights: all zero
    for i, row in enumerate(list(weights)[: len(target)]):
        for j, value in enumerate(list(row)[: len(source)]):
            matrix[i][j] = float(value)
    warning = None
    family = ["DejaVu Sans"]
    if has_cjk(source + target + [title or ""]):
        font = find_cjk_font()
        if font is None:
            warning = NO_CJK_FONT
            source = [_code_points(s) for s in source]
            target = [_code_points(t) for t in target]
            title = _code_points(title) if title else title
        else:
            family = [font, "DejaVu Sans"]

    width = min(30.0, max(4.0, 0.45 * len(source) + 2.5))
    height = min(30.0, max(3.0, 0.4 * len(target) + 2.0))
    fig, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    rotation = 90 if max(len(s) for s in source) > 2 else 0  # single characters stay upright
    ax.set_xticks(range(len(source)), source, rotation=rotation, fontsize=9, fontfamily=family)
    ax.set_yticks(range(len(target)), target, fontsize=9, fontfamily=family)
    ax.set_xlabel("source tokens")
    ax.set_ylabel("output tokens")
    if title:
        ax.set_title(title, fontsize=10, fontfamily=family)
    if warning:
        fig.text(0.01, 0.005, "no CJK font: code points shown", fontsize=7, color="firebrick")
    fig.colorbar(image, ax=ax, fraction=0.05)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    plt.close(fig)
    return path, warning
