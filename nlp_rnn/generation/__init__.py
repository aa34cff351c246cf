"""Text generation with the ``rnn_lm`` character language model: sampling, verse forms."""
