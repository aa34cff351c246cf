"""Choosing the next id from logits: temperature, top-k, nucleus (top-p), masks, greedy."""

from typing import Optional, Sequence, Union

import torch


def check_sampling(temperature: float, top_k: int, top_p: float) -> None:
    """ValueError naming the bad setting."""
    if temperature < 0:
        raise ValueError(f"--temperature must be >= 0 (0 = greedy), not {temperature}")
    if top_k < 0:
        raise ValueError(f"--top-k must be >= 0 (0 = off), not {top_k}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"--top-p must be in (0, 1] (1 = off), not {top_p}")


def next_ids(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    allowed: Optional[torch.Tensor] = None,
    generator: Union[None, torch.Generator, Sequence[torch.Generator]] = None,
) -> torch.Tensor:
    """Sample one id per row.

    Args:
        logits: (B, V) unnormalised scores.
        temperature: divides the logits; 0 picks the most likely allowed id (greedy).
        top_k: keep only the k most likely ids (0: all).
        top_p: keep the smallest set of most likely ids whose probability reaches p (1: all).
        allowed: (V,) or (B, V) bool; False ids are never chosen (at least one must be True).
        generator: the random source (a seeded one makes sampling reproducible), or one per row.
    Returns:
        (B,) int64 ids.
    """
    if allowed is not None:
        logits = logits.masked_fill(~allowed, float("-inf"))
    if temperature == 0:
        return logits.argmax(dim=-1)
    if temperature != 1.0:
        logits = logits / temperature
    if top_k and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop_sorted = cumulative - torch.softmax(sorted_logits, dim=-1) >= top_p  # keeps the first id
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    # inverse-CDF sampling with one uniform per row: the distribution of torch.multinomial at a
    # fraction of its cost for one draw
    cumulative = torch.softmax(logits, dim=-1).cumsum(dim=-1)
    if isinstance(generator, (list, tuple)):
        draws = [torch.rand(1, generator=g) for g in generator]
        uniform = (draws[0] if len(draws) == 1 else torch.cat(draws))[:, None].to(logits.device)
    else:
        uniform = torch.rand((logits.shape[0], 1), generator=generator).to(logits.device)
    ids = torch.searchsorted(cumulative, uniform * cumulative[:, -1:], right=True).squeeze(-1)
    return ids.clamp(max=logits.shape[-1] - 1)
