"""Running exported graphs without torch: onnxruntime sessions (:mod:`.session`), the classifier
and tagger graphs with their numpy CRF (:mod:`.classifier`, :mod:`.numpy_crf`), the translator's
encoder and decoder-step graphs (:mod:`.seq2seq`) and the language model's step graph
(:mod:`.lm_steps`). Numpy and onnxruntime only: the exported components of every task use them.
"""
