"""ONNX export (``nlp-rnn export``) and the exported components that run exported pipelines.

Only :mod:`.to_onnx`, :mod:`.exportable`, :mod:`.sequence_graphs` and :mod:`.sequence_export`
import torch (they trace the graphs); :mod:`.exported_pipe` (the one exported pipe, running any
head's task), :mod:`.onnx_components` (its factories) and :mod:`.quantize` run without it, on
:mod:`nlp_rnn.onnx_runtime`.
"""
