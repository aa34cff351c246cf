"""Custom spaCy extension attributes that nlp_rnn components write: the one installer.

Every nlp_rnn component (torch and exported ONNX alike) calls :func:`install_extensions` when it
is built, so the attributes exist as soon as a pipeline is loaded, before its first doc: readers
that decide once per pipeline which fields to write (:class:`nlp_rnn.records.RecordFields`) see
them. No other module of the package calls ``set_extension`` (``tests/test_import_layers.py``
checks): a new attribute is one more row of :data:`EXTENSIONS`.
"""

from spacy.tokens import Doc, Span

#: (object, attribute, default) of every extension attribute nlp_rnn writes
EXTENSIONS = (
    (Span, "confidence", None),  # slot / entity confidence, 0-1 (rnn_joint, rnn_tagger)
    (Doc, "translation", None),  # the translation text (rnn_translator)
    (Doc, "translation_attention", None),  # {"source", "target", "weights"} with store_attention
    (Doc, "out_of_scope", False),  # the intent component rejected the doc
    (Doc, "oos_score", None),  # the out-of-scope score (float), when scoring is on
    (Doc, "lm_log_loss", None),  # summed nats of the doc's characters (rnn_lm)
    (Doc, "lm_chars", None),  # the number of characters scored (rnn_lm)
)


def install_extensions() -> None:
    """Idempotent: every attribute of :data:`EXTENSIONS` that is not there yet."""
    for owner, name, default in EXTENSIONS:
        if not owner.has_extension(name):
            owner.set_extension(name, default=default)
