"""HTTP serving of a trained pipeline (``nlp-rnn serve``): FastAPI app, micro-batching, settings.

Needs the ``serve`` extra (FastAPI, uvicorn). Importing this package imports neither of them nor
torch; :mod:`.app` and :mod:`.server` do what their names say.
"""
