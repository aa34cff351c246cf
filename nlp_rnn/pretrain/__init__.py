"""Encoder pretraining: the configured :class:`~nlp_rnn.nn.text_encoder.TextEncoder` trained as a
bidirectional language model (ELMo style) on raw text, then loaded by a task component.

``nlp-rnn pretrain CONFIG RAW_TEXTS OUT`` reads the texts (:mod:`.raw_texts`), tokenizes them with
the config's own pipeline and takes the component's encoder block (:mod:`.from_config`), builds the
feature vocabularies from the texts, trains :class:`.bilm.BiLanguageModel` (:mod:`.trainer`) and
writes ``OUT/encoder.safetensors`` + ``OUT/encoder.json`` (:mod:`.artifact`). A task config loads
them with one setting, ``[initialize.components.NAME] init_encoder = "OUT"``
(:mod:`.init_encoder`): the component then uses the pretrained vocabularies and starts from the
pretrained encoder weights; a config whose encoder differs is refused naming the setting.

The objective and how each way of seeing the predicted token is blocked (:mod:`.leaks`):

- forward-direction states predict the next token's word id (feature 0's vocabulary),
  backward-direction states the previous one, through one shared softmax layer;
- a stacked bidirectional encoder (``num_layers > 1``) is refused: nn.LSTM feeds both directions
  of layer 1 into each direction of layer 2, so the forward states would see the future;
- a Conv1D front end (stride 1) sees ``kernel // 2`` tokens on each side: the targets are shifted
  past its window instead (the forward state at ``t`` predicts the first token it has not seen);
  ``conv_stride > 1`` is refused (states are no longer tokens);
- features computed from neighbouring tokens (``BIGRAM``: the token and the next one;
  ``SOFTWORD`` / ``JIEBA_WORD``: the jieba word around the token) are replaced by the padding id
  while pretraining, so they are zero vectors; their embeddings are then learnt by the task only.
"""
