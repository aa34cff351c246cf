"""The files of an exported component besides its ``cfg``: each a JSON value or bytes (an ONNX graph)."""

JSON, BYTES = "json", "bytes"

FEATURIZER_FILE = "featurizer.json"  #: the featurizer (Doc → ids) of every exported head but the LM
MODEL_FILE = "model.onnx"  #: the intent / joint / tagger graph
CRF_FILE = "crf.json"  #: a tagger's CRF transitions and masks
ENCODER_FILE = "encoder.onnx"  #: the translator's encoder graph
STEP_FILE = "decoder_step.onnx"  #: the translator's decoder-step graph
LM_FILE = "lm_step.onnx"  #: the language model's step graph
VOCAB_FILE = "chars.json"  #: the language model's characters
