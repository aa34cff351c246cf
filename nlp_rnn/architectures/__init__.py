"""Registered thinc architectures that wrap the plain torch modules of :mod:`nlp_rnn.nn`."""
