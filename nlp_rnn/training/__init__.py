"""``nlp-rnn train``: checks before training (overrides, data) and spaCy's training loop with a
final evaluation, progress lines and a summary (see :mod:`.loop`)."""
