"""ONNX export (``nlp-rnn export``) and the torch-free components that run exported pipelines.

Only :mod:`.to_onnx` and :mod:`.exportable` import torch; :mod:`.onnx_components`,
:mod:`.numpy_crf`, :mod:`.onnx_session` and :mod:`.quantize` run without it.
"""
