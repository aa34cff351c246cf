"""nlp_rnn: recurrent-network NLP components for spaCy."""

__version__ = "0.1.0"
