"""HTML rendering of token attributions: each token shaded by its weight."""

import html
from pathlib import Path
from typing import Dict, Iterable, Union


def _colour(weight: float, scale: float) -> str:
    """Green for support, red against; opacity ∝ |weight| / scale."""
    alpha = min(abs(weight) / scale, 1.0) if scale > 0 else 0.0
    rgb = "34, 139, 34" if weight >= 0 else "220, 50, 47"
    return f"rgba({rgb}, {alpha:.3f})"


def explanation_html(explanation: Dict) -> str:
    """One ``<p>``: the intent and confidence, then the tokens as shaded ``<span>``s (weight in
    the tooltip), keeping the text's own spacing. A text the pipeline rejects
    (``"out_of_scope": true``) is marked so, before the top intent its shading explains."""
    tokens = explanation["tokens"]
    scale = max((abs(t["weight"]) for t in tokens), default=0.0)
    text, parts, cursor = explanation["text"], [], 0
    for token in tokens:
        parts.append(html.escape(text[cursor : token["start"]]))
        parts.append(
            f'<span style="background:{_colour(token["weight"], scale)};padding:1px 2px;border-radius:3px" '
            f'title="{token["weight"]:+.4f}">{html.escape(token["text"])}</span>'
        )
        cursor = token["end"]
    parts.append(html.escape(text[cursor:]))
    header = f'<b>{html.escape(str(explanation["intent"]))}</b> ({explanation["confidence"]:.3f}): '
    if explanation.get("out_of_scope"):
        header = f'<b style="color:rgb(220, 50, 47)">out of scope</b> (rejected; top intent {header[:-2]}): '
    return f"<p>{header}{''.join(parts)}</p>"


def write_explanations_html(explanations: Iterable[Dict], path: Union[str, Path]) -> Path:
    """A standalone HTML page with one paragraph per explanation; returns the path."""
    body = "\n".join(explanation_html(e) for e in explanations)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Intent explanations</title></head>\n'
        '<body style="font-family:sans-serif;line-height:2">\n'
        "<p>Token shading: drop in the predicted intent's probability when the token is replaced by "
        "the unknown word (green supports the intent, red speaks against it).</p>\n"
        f"{body}\n</body></html>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf8")
    return path
