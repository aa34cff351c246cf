"""What would let the language model see the token it predicts, and how each way is blocked.

A bidirectional LM is only a useful objective if the forward state at token ``t`` has seen
tokens ``<= t`` and no later one (the backward state: ``>= t``). Three parts of the encoder can
break that; :func:`check_pretrainable` refuses the ones that cannot be fixed and the others are
handled where they arise:

(a) stacked bidirectional RNN (``num_layers > 1`` and ``bidirectional``): ``nn.LSTM`` feeds the
    concatenated forward and backward outputs of layer ``k`` into *both* directions of layer
    ``k + 1``, so the top forward state at ``t`` depends on every token. Refused: a leak-free
    objective would need separate forward and backward stacks (ELMo's layout), i.e. other
    weights than the ones the task fine-tunes. One layer, or a unidirectional stack, is fine.
(b) Conv1D front end: with ``conv_stride = 1`` conv output ``j`` reads tokens
    ``j - left .. j + right`` (:func:`conv_window`), so the forward state at ``j`` has seen up to
    token ``j + right``: it predicts token ``j + right + 1`` and the backward state token
    ``j - left - 1`` (:mod:`.targets`). ``conv_stride > 1`` is refused (a state is no longer a token).
(c) features computed from other tokens (:data:`CONTEXT_FEATURES`): ``BIGRAM`` holds the next
    token itself; ``JIEBA_WORD`` the jieba word around a character (in ``北京`` the feature of
    ``北`` names ``京``) and ``SOFTWORD`` whether that word goes on; the ``LEX_*`` features name
    dictionary words over the neighbours. Their ids are replaced by the
    padding id (0, a zero vector) during pretraining (:meth:`.bilm.BiLanguageModel.states`), so
    they carry nothing and get no gradient; the task learns their embeddings. The other features
    (``ORTH``/``NORM``/affixes/``SHAPE``/``CHARS``) describe the token alone and are trained.

Not blocked: spaCy's tokenization itself looks at neighbouring characters (``ca`` + ``n't``), which
tells a little about the next token; the same holds for every word-level LM.
"""

from typing import List, Sequence, Tuple

from ..architectures.encoder_config import TextEncoderSettings
from ..featurizer import BIGRAM_FEATURE, JIEBA_FEATURES, LEXICON_FEATURES

#: features whose value for a token is computed from its neighbours
CONTEXT_FEATURES = (BIGRAM_FEATURE,) + tuple(JIEBA_FEATURES) + tuple(LEXICON_FEATURES)


def check_pretrainable(settings: TextEncoderSettings) -> None:
    """Raise ``ValueError`` (naming the setting) for an encoder that cannot be pretrained leak-free."""
    if settings.num_layers > 1 and settings.bidirectional:
        raise ValueError(
            f"num_layers = {settings.num_layers} with bidirectional = true cannot be pretrained as a language model: "
            "a stacked bidirectional RNN mixes both directions between layers, so the forward states see the "
            "tokens they should predict. Pretrain with num_layers = 1 (or bidirectional = false)"
        )
    if settings.conv_filters and settings.conv_stride != 1:
        raise ValueError(
            f"conv_stride = {settings.conv_stride} cannot be pretrained as a language model: the encoder states "
            "are no longer one per token. Use conv_stride = 1 or conv_filters = 0"
        )
    if settings.features[0] in CONTEXT_FEATURES:
        raise ValueError(
            f"the first feature is the predicted word, so it must describe the token alone, not {settings.features[0]!r} "
            f"(computed from neighbouring tokens): put e.g. ORTH or NORM first"
        )
    if settings.include_static_vectors:
        raise ValueError("include_static_vectors = true is not supported by nlp-rnn pretrain yet: pretrain without static vectors")


def masked_columns(attrs: Sequence[str]) -> List[int]:
    """Id columns (the featurizer's, in ``attrs`` order) to replace by padding while pretraining."""
    return [i for i, attr in enumerate(attrs) if attr in CONTEXT_FEATURES]


def conv_window(settings: TextEncoderSettings) -> Tuple[int, int]:
    """(left, right): conv output ``j`` reads tokens ``j - left .. j + right``; (0, 0) without conv."""
    if not settings.conv_filters:
        return 0, 0
    left = settings.conv_kernel // 2  # ConvFrontEnd pads kernel // 2 on each side
    return left, settings.conv_kernel - 1 - left
