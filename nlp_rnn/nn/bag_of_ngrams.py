"""A linear bag-of-n-grams classifier, an ensemble member beside the recurrent head.

Intent datasets are strongly keyword-driven: a linear model over word n-grams (spaCy's
``TextCatBOW``, fastText) is hard to beat on them, while the RNN captures order and context. They
make different mistakes, so averaging their predictions beats either alone.
"""

import torch
from torch import nn

# large odd multipliers for hashing n-grams of word ids into buckets
_PRIMES = (1_000_003, 998_244_353, 1_000_000_007, 19_260_817)


class BagOfNgrams(nn.Module):
    """Args:
        n_words: size of the word-id vocabulary (0 = padding). n_labels: output width.
        ngram_size: 1 = unigrams; n adds every 2..n-gram, hashed into ``n_buckets`` rows.
    """

    def __init__(self, n_words: int, n_labels: int, ngram_size: int, n_buckets: int = 2**18):
        super().__init__()
        if not 1 <= ngram_size <= len(_PRIMES):
            raise ValueError(f"ngram_size must be between 1 and {len(_PRIMES)}")
        self.ngram_size = ngram_size
        self.n_buckets = n_buckets
        self.unigrams = nn.EmbeddingBag(n_words, n_labels, mode="sum", padding_idx=0)
        self.ngrams = nn.EmbeddingBag(n_buckets + 1, n_labels, mode="sum", padding_idx=0) if ngram_size > 1 else None
        nn.init.zeros_(self.unigrams.weight)
        if self.ngrams is not None:
            nn.init.zeros_(self.ngrams.weight)
        self.bias = nn.Parameter(torch.zeros(n_labels))

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        """words: (batch, T) long word ids, 0 at padding → logits (batch, n_labels)."""
        if words.shape[1] == 0:
            words = words.new_zeros((words.shape[0], 1))
        logits = self.unigrams(words) + self.bias
        if self.ngrams is None:
            return logits
        buckets = []
        for n in range(2, self.ngram_size + 1):
            if words.shape[1] < n:
                break
            windows = words.unfold(1, n, 1)  # (batch, T - n + 1, n)
            hashed = sum(windows[:, :, i] * _PRIMES[i] for i in range(n)) % self.n_buckets + 1
            buckets.append(hashed.masked_fill((windows == 0).any(dim=2), 0))
        if buckets:
            logits = logits + self.ngrams(torch.cat(buckets, dim=1))
        return logits
