"""Pretrained encoder weights into a task module: the ``text_encoder`` state dict, checked key by key.

``nlp-rnn pretrain`` writes a :class:`~nlp_rnn.nn.text_encoder.TextEncoder` state dict; a task
module (intent, joint, tagger, translator) holds the same encoder as ``module.text_encoder``.
:func:`load_encoder_weights` copies one into the other, to the module's device and dtype, after
checking that every tensor is there with the same shape.
"""

from typing import Dict

import torch


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
