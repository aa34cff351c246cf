"""``nlp_rnn.TextEncoder.v1``: the encoder block every head nests, written once in a config.

Like spaCy's ``[components.X.model.tok2vec]``, the encoder is its own block::

    [components.rnn_intent.model]
    @architectures = "nlp_rnn.IntentClassifier.v2"
    pooling = "max"

    [components.rnn_intent.model.encoder]
    @architectures = "nlp_rnn.TextEncoder.v1"
    features = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
    hidden_size = 256
    ...

The block resolves to a :class:`TextEncoderSettings` (validated, JSON-able); the head builds the
torch :class:`~nlp_rnn.nn.text_encoder.TextEncoder` from it inside its own torch module, so one
component runs one module through one shim. The vocabularies come from the training Docs at
``initialize()``.
"""

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List

from spacy.util import registry

from ..featurizer import DocFeaturizer
from ..nn.text_encoder import TextEncoder, build_text_encoder

CELLS = ("rnn", "lstm", "gru")


@dataclass(frozen=True)
class TextEncoderSettings:
    """Features, vocabulary, embedding and recurrent-encoder settings of one encoder block.

    ``features`` are spaCy token attributes (and ``CHARS``, a character CNN) embedded side by
    side with ``feature_widths``; vocabularies keep strings seen ``min_freq`` times; Docs longer
    than ``max_length`` tokens are truncated. ``cell`` rnn | lstm | gru of ``hidden_size`` per
    direction, ``num_layers``, ``bidirectional``; ``dropout`` between layers and on the encoder
    output (the heads' output layers use it too), ``embedding_dropout`` on the embeddings,
    ``word_dropout`` replaces whole words by UNK while training. ``conv_filters > 0`` adds a
    Conv1D front end (``conv_kernel``, ``conv_stride``). ``include_static_vectors`` concatenates
    the pipeline's vectors, frozen unless ``freeze_static_vectors = false``.
    """

    features: List[str] = field(default_factory=lambda: ["NORM", "PREFIX", "SUFFIX", "SHAPE"])
    feature_widths: List[int] = field(default_factory=lambda: [128, 32, 32, 16])
    min_freq: int = 1
    max_length: int = 512
    cell: str = "lstm"
    hidden_size: int = 256
    num_layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.2
    embedding_dropout: float = 0.1
    word_dropout: float = 0.0
    conv_filters: int = 0
    conv_kernel: int = 3
    conv_stride: int = 1
    include_static_vectors: bool = False
    freeze_static_vectors: bool = True

    def __post_init__(self) -> None:
        if len(self.features) != len(self.feature_widths):
            raise ValueError(f"features {self.features} and feature_widths {self.feature_widths} must have the same length")
        if not self.features:
            raise ValueError("the encoder needs at least one feature")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if self.hidden_size < 1 or self.num_layers < 1 or self.max_length < 1 or self.min_freq < 1:
            raise ValueError("hidden_size, num_layers, max_length and min_freq must be >= 1")
        for name in ("dropout", "embedding_dropout", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), not {getattr(self, name)}")

    @classmethod
    def pick(cls, settings: Dict[str, Any]) -> "TextEncoderSettings":
        """The encoder settings among ``settings`` (a flat v1 model block's arguments; the head's
        own settings are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in settings.items() if name in names})

    def hparams(self) -> Dict[str, Any]:
        """The settings as the JSON-able dict the heads' module builders read."""
        return asdict(self)  # a deep copy: the lists are new

    def check_one_state_per_token(self, head: str) -> None:
        """Taggers need one encoder state per token: no striding or length-changing Conv1D."""
        if self.conv_filters and (self.conv_stride != 1 or self.conv_kernel % 2 == 0):
            raise ValueError(
                f"{head} needs one encoder state per token: use conv_stride = 1 and an odd conv_kernel "
                f"(got stride {self.conv_stride}, kernel {self.conv_kernel}), or conv_filters = 0"
            )


#: the defaults, read by the registered block's signature (written once, in the dataclass)
_DEFAULTS = TextEncoderSettings()


@registry.architectures("nlp_rnn.TextEncoder.v1")
def build_text_encoder_settings(
    features: List[str] = _DEFAULTS.features,
    feature_widths: List[int] = _DEFAULTS.feature_widths,
    min_freq: int = _DEFAULTS.min_freq,
    max_length: int = _DEFAULTS.max_length,
    cell: str = _DEFAULTS.cell,
    hidden_size: int = _DEFAULTS.hidden_size,
    num_layers: int = _DEFAULTS.num_layers,
    bidirectional: bool = _DEFAULTS.bidirectional,
    dropout: float = _DEFAULTS.dropout,
    embedding_dropout: float = _DEFAULTS.embedding_dropout,
    word_dropout: float = _DEFAULTS.word_dropout,
    conv_filters: int = _DEFAULTS.conv_filters,
    conv_kernel: int = _DEFAULTS.conv_kernel,
    conv_stride: int = _DEFAULTS.conv_stride,
    include_static_vectors: bool = _DEFAULTS.include_static_vectors,
    freeze_static_vectors: bool = _DEFAULTS.freeze_static_vectors,
) -> TextEncoderSettings:
    """The encoder block: see :class:`TextEncoderSettings` (where the defaults are written)."""
    return TextEncoderSettings(
        features=list(features), feature_widths=list(feature_widths), min_freq=min_freq, max_length=max_length,
        cell=cell, hidden_size=hidden_size, num_layers=num_layers, bidirectional=bidirectional,
        dropout=dropout, embedding_dropout=embedding_dropout, word_dropout=word_dropout,
        conv_filters=conv_filters, conv_kernel=conv_kernel, conv_stride=conv_stride,
        include_static_vectors=include_static_vectors, freeze_static_vectors=freeze_static_vectors,
    )


def encoder_block(**overrides: Any) -> Dict[str, Any]:
    """A ``[model.encoder]`` config block: ``nlp_rnn.TextEncoder.v1`` with only ``overrides``
    (checked against :class:`TextEncoderSettings`); filling the config adds the defaults from the
    signature, so the components' default configs state only what differs."""
    TextEncoderSettings(**overrides)
    return {"@architectures": "nlp_rnn.TextEncoder.v1", **overrides}


def nest_encoder_settings(settings: Dict[str, Any]) -> Dict[str, Any]:
    """A flat model dict (the v1 layout: encoder and head settings side by side) as a v2 model
    dict: ``{"encoder": {encoder settings}, **head settings}``, e.g. for
    ``nlp.add_pipe("rnn_intent", config={"model": nest_encoder_settings({"hidden_size": 64, "pooling": "mean"})})``."""
    names = {f.name for f in fields(TextEncoderSettings)}
    nested = {key: value for key, value in settings.items() if key not in names}
    encoder = {key: value for key, value in settings.items() if key in names}
    if encoder:
        nested["encoder"] = dict(nested.get("encoder", {}), **encoder)
    return nested


def text_encoder_from_hparams(hparams: Dict[str, Any], featurizer: DocFeaturizer) -> TextEncoder:
    """Build the torch :class:`TextEncoder` described by :meth:`TextEncoderSettings.hparams`."""
    return build_text_encoder(
        featurizer.vocab_sizes,
        hparams["feature_widths"],
        hidden_size=hparams["hidden_size"],
        cell=hparams["cell"],
        num_layers=hparams["num_layers"],
        bidirectional=hparams["bidirectional"],
        dropout=hparams["dropout"],
        embedding_dropout=hparams["embedding_dropout"],
        word_dropout=hparams.get("word_dropout", 0.0),
        conv_filters=hparams["conv_filters"],
        conv_kernel=hparams["conv_kernel"],
        conv_stride=hparams["conv_stride"],
        static_width=hparams.get("static_width", 0),
        freeze_static=hparams["freeze_static_vectors"],
        char_columns=featurizer.char_columns,
    )
