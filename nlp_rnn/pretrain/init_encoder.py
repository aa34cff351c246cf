"""Start a task model from a pretrained encoder: ``[initialize.components.NAME] init_encoder``.

``rnn_intent``, ``rnn_joint`` and ``rnn_tagger`` take ``init_encoder`` (the folder ``nlp-rnn
pretrain`` wrote) in their ``initialize``; spaCy passes ``[initialize.components.NAME]`` keys
there. :func:`use_pretrained_encoder` reads the folder, checks the encoder block against the
pretrained one (:mod:`.compatibility`) and hands the pretrained vocabularies and weights to the
lazy model (:func:`~nlp_rnn.architectures.torch_model.set_initial_encoder`); the model's
``initialize`` then builds its module on those vocabularies and loads the weights into
``module.text_encoder`` (:func:`load_encoder_weights`). Words of the task data that the
pretraining texts did not have are unknown (UNK) to the task model.
"""

from pathlib import Path
from typing import Dict, Union

import torch
from thinc.api import Model

from ..featurizer import DocFeaturizer
from .artifact import PretrainedEncoder, read_pretrained_encoder
from .compatibility import check_compatible


def use_pretrained_encoder(model: Model, path: Union[str, Path], component: str) -> PretrainedEncoder:
    """Make the next ``model.initialize()`` start from the encoder in ``path``. Raises
    ``ValueError`` for an unreadable folder or an encoder block that differs from it."""
    from ..architectures.torch_model import set_initial_encoder

    pretrained = read_pretrained_encoder(Path(path))
    hparams = model.attrs["hparams"]
    check_compatible(pretrained.settings, hparams, str(path), component)
    vocabs = pretrained.featurizer
    featurizer = DocFeaturizer(vocabs.attrs, vocabs.vocabs, hparams["max_length"])
    set_initial_encoder(model, featurizer, pretrained.weights)
    return pretrained


def load_encoder_weights(module: torch.nn.Module, weights: Dict[str, torch.Tensor]) -> None:
    """Copy ``weights`` (a TextEncoder state dict) into ``module.text_encoder``; a missing,
    extra or differently shaped tensor is one ``ValueError`` naming it."""
    encoder = getattr(module, "text_encoder", None)
    if encoder is None:
        raise ValueError(f"{type(module).__name__} has no text_encoder to load a pretrained encoder into")
    own = encoder.state_dict()
    for key in sorted(set(own) | set(weights)):
        if key not in weights:
            raise ValueError(f"the pretrained encoder has no tensor {key!r} that this model's encoder needs")
        if key not in own:
            raise ValueError(f"the pretrained encoder has a tensor {key!r} that this model's encoder does not have")
        if tuple(own[key].shape) != tuple(weights[key].shape):
            raise ValueError(
                f"pretrained encoder tensor {key!r} has shape {tuple(weights[key].shape)}, this model's {tuple(own[key].shape)}"
            )
    encoder.load_state_dict({key: value.to(own[key].device, own[key].dtype) for key, value in weights.items()})
