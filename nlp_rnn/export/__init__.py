"""ONNX export (``nlp-rnn export``) and the torch-free components that run exported pipelines.

Only :mod:`.to_onnx`, :mod:`.exportable`, :mod:`.sequence_graphs` and :mod:`.sequence_export`
import torch; :mod:`.onnx_components`, :mod:`.onnx_translator`, :mod:`.onnx_seq2seq`,
:mod:`.onnx_lm`, :mod:`.numpy_crf`, :mod:`.onnx_session` and :mod:`.quantize` run without it.
"""
