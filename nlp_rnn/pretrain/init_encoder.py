"""Start a task model from a pretrained encoder: ``[initialize.components.NAME] init_encoder``.

``rnn_intent``, ``rnn_joint`` and ``rnn_tagger`` take ``init_encoder`` (the folder ``nlp-rnn
pretrain`` wrote) in their ``initialize``; spaCy passes ``[initialize.components.NAME]`` keys
there. :func:`use_pretrained_encoder` reads the folder, checks the encoder block against the
pretrained one (:mod:`.compatibility`) and hands the pretrained vocabularies and weights to the
lazy model (:func:`~nlp_rnn.architectures.torch_model.set_initial_encoder`); the model's
``initialize`` then builds its module on those vocabularies and loads the weights into
``module.text_encoder`` (:func:`~nlp_rnn.nn.encoder_weights.load_encoder_weights`). Words of the
task data that the pretraining texts did not have are unknown (UNK) to the task model.
"""

from pathlib import Path
from typing import Union

from thinc.api import Model

from ..architectures.torch_model import set_initial_encoder
from ..featurizer import DocFeaturizer
from .artifact import PretrainedEncoder, read_pretrained_encoder
from .compatibility import check_compatible


def use_pretrained_encoder(model: Model, path: Union[str, Path], component: str) -> PretrainedEncoder:
    """Make the next ``model.initialize()`` start from the encoder in ``path``. Raises
    ``ValueError`` for an unreadable folder or an encoder block that differs from it."""
    pretrained = read_pretrained_encoder(Path(path))
    hparams = model.attrs["hparams"]
    check_compatible(pretrained.settings, hparams, str(path), component)
    vocabs = pretrained.featurizer
    featurizer = DocFeaturizer(vocabs.attrs, vocabs.vocabs, hparams["max_length"])
    set_initial_encoder(model, featurizer, pretrained.weights)
    return pretrained

