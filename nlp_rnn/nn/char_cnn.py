"""Character-level word features: a CNN over each token's characters, max-pooled.

Word embeddings know nothing about a word never seen in training (a new song title, a rare
city); its spelling still says a lot (capitals, digits, suffixes). The CNN reads the first
characters of every token and gives a fixed-width vector that is concatenated with the other
token features.
"""

import torch
from torch import nn

CHAR_EMBEDDING_WIDTH = 32


class CharCNN(nn.Module):
    """Args:
        n_chars: character ids (0 = padding, 1 = unknown). width: output width W (filters).
        kernel_size: convolution window over characters.
    """

    def __init__(self, n_chars: int, width: int, kernel_size: int = 3):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, CHAR_EMBEDDING_WIDTH, padding_idx=0)
        self.conv = nn.Conv1d(CHAR_EMBEDDING_WIDTH, width, kernel_size, padding=kernel_size // 2)
        self.width = width

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """chars: (batch, T, C) long char ids, 0 after a token's last char and for padding tokens.

        Returns (batch, T, W): the max over character positions of ReLU(conv); zero for
        padding tokens.
        """
        batch, steps, n_chars = chars.shape
        flat = chars.reshape(batch * steps, n_chars)
        filters = torch.relu(self.conv(self.embedding(flat).transpose(1, 2)))  # (B*T, W, C)
        filters = filters * (flat != 0).unsqueeze(1)
        return filters.amax(dim=2).reshape(batch, steps, self.width)
