"""Custom spaCy extension attributes that nlp_rnn components write: the one installer.

Every nlp_rnn component (torch and exported ONNX alike) calls :func:`install_extensions` when it
is built, so the attributes exist as soon as a pipeline is loaded, before its first doc: readers
that decide once per pipeline which fields to write (:class:`nlp_rnn.records.RecordFields`) see
them.
"""

from spacy.tokens import Doc, Span


def install_extensions() -> None:
    """Idempotent: ``Span._.confidence`` (slot / entity confidence, 0-1), ``Doc._.translation``,
    ``Doc._.out_of_scope`` (bool, default False) and ``Doc._.oos_score`` (float or None)."""
    if not Span.has_extension("confidence"):
        Span.set_extension("confidence", default=None)
    if not Doc.has_extension("translation"):
        Doc.set_extension("translation", default=None)
    if not Doc.has_extension("out_of_scope"):
        Doc.set_extension("out_of_scope", default=False)
    if not Doc.has_extension("oos_score"):
        Doc.set_extension("oos_score", default=None)
