"""``python -m nlp_rnn`` is the ``nlp-rnn`` command."""

from nlp_rnn.cli import main

main()
