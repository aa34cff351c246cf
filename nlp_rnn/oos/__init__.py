"""Out-of-scope detection for intent classifiers: scores, a class-conditional Gaussian feature
model, threshold choice and temperature scaling. Plain numpy / torch; no spaCy import here (the
component glue is :mod:`nlp_rnn.pipeline.out_of_scope`).

Every score follows one convention: **higher = more likely out of scope**; a doc is rejected
when its score is above the threshold.
"""
