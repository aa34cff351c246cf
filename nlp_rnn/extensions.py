"""Custom spaCy extension attributes that nlp_rnn components write."""

from spacy.tokens import Doc, Span


def install_extensions() -> None:
    """Idempotent: ``Span._.confidence`` (slot / entity confidence, 0-1) and ``Doc._.translation``."""
    if not Span.has_extension("confidence"):
        Span.set_extension("confidence", default=None)
    if not Doc.has_extension("translation"):
        Doc.set_extension("translation", default=None)
