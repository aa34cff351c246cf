"""Cheap shape checks at module boundaries (as JoeyNMT does): a wrong input fails with a message
that names the tensor and both shapes, instead of deep inside an RNN or a gather."""

import torch


def check_token_inputs(ids: torch.Tensor, lengths: torch.Tensor) -> None:
    """ids (B, T, F) integer ids, lengths (B,)."""
    if ids.dim() != 3:
        raise ValueError(f"ids must be (batch, tokens, features), got shape {tuple(ids.shape)}")
    if lengths.dim() != 1 or lengths.shape[0] != ids.shape[0]:
        raise ValueError(f"lengths must be (batch,) = ({ids.shape[0]},), got shape {tuple(lengths.shape)}")
    if ids.dtype.is_floating_point:
        raise ValueError(f"ids must be integer ids, got {ids.dtype}")


def check_same_batch(name: str, tensor: torch.Tensor, batch: int) -> None:
    """``tensor``'s first dimension is the batch size."""
    if tensor.shape[0] != batch:
        raise ValueError(f"{name} has batch size {tensor.shape[0]}, expected {batch} (shape {tuple(tensor.shape)})")
