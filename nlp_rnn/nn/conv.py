"""Optional 1-D convolution in front of the recurrent encoder."""

import torch
from torch import nn


class ConvFrontEnd(nn.Module):
    """Conv1D + ReLU over the time axis, with lengths updated for the stride.

    Args:
        input_size: embedding width E. filters: output channels C.
        kernel_size: window; padded by kernel_size // 2 on each side. stride: step in time.
    """

    def __init__(self, input_size: int, filters: int, kernel_size: int = 3, stride: int = 1):
        super().__init__()
        if kernel_size < 1 or stride < 1:
            raise ValueError("conv kernel_size and stride must be >= 1")
        self.padding = kernel_size // 2
        self.kernel_size = kernel_size
        self.stride = stride
        self.conv = nn.Conv1d(input_size, filters, kernel_size, stride=stride, padding=self.padding)
        self.width = filters

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """lengths: (batch,) → (batch,) lengths after the convolution (at least 1)."""
        out = (lengths + 2 * self.padding - self.kernel_size) // self.stride + 1
        return out.clamp(min=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor):
        """x: (batch, T, E) with zeros at padding; lengths: (batch,).

        Returns ((batch, T', C), (batch,) new lengths), zeros at the new padding positions.
        """
        y = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
        new_lengths = self.output_lengths(lengths)
        mask = torch.arange(y.shape[1], device=y.device)[None, :] < new_lengths[:, None]
        return y * mask.unsqueeze(-1), new_lengths
