"""The encoder hyperparameters shared by every registered architecture."""

from typing import Any, Dict, List

from ..featurizer import DocFeaturizer
from ..nn.text_encoder import TextEncoder, build_text_encoder


def encoder_hparams(
    features: List[str],
    feature_widths: List[int],
    min_freq: int,
    max_length: int,
    cell: str,
    hidden_size: int,
    num_layers: int,
    bidirectional: bool,
    dropout: float,
    embedding_dropout: float,
    word_dropout: float,
    conv_filters: int,
    conv_kernel: int,
    conv_stride: int,
    include_static_vectors: bool,
    freeze_static_vectors: bool,
) -> Dict[str, Any]:
    """Validate the encoder settings of a config block and return them as a JSON-able dict."""
    if len(features) != len(feature_widths):
        raise ValueError(
            f"features {features} and feature_widths {feature_widths} must have the same length"
        )
    if cell not in ("rnn", "lstm", "gru"):
        raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru', not {cell!r}")
    return dict(
        features=list(features),
        feature_widths=list(feature_widths),
        min_freq=min_freq,
        max_length=max_length,
        cell=cell,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=dropout,
        embedding_dropout=embedding_dropout,
        word_dropout=word_dropout,
        conv_filters=conv_filters,
        conv_kernel=conv_kernel,
        conv_stride=conv_stride,
        include_static_vectors=include_static_vectors,
        freeze_static_vectors=freeze_static_vectors,
    )


def text_encoder_from_hparams(hparams: Dict[str, Any], featurizer: DocFeaturizer) -> TextEncoder:
    """Build the torch :class:`TextEncoder` described by :func:`encoder_hparams`."""
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
