"""Padding masks for batches of variable-length sequences."""

import torch


def lengths_to_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Boolean mask of real positions.

    lengths: (batch,) integer lengths; max_len: padded length T.
    Returns (batch, T) bool, True where position < length.
    """
    positions = torch.arange(max_len, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)
