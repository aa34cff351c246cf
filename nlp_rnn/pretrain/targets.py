"""Target word ids of the forward and backward language models, one per encoder state.

The forward state ``j`` predicts token ``j + right + 1`` and the backward state token
``j - left - 1``, where ``left`` / ``right`` is the Conv1D window (0 / 0 without one, see
:func:`.leaks.conv_window`). Special targets:

- :data:`BOUNDARY` (id 0, the padding id, never a word): the position just past either end of the
  text, so the forward state of the last token predicts the end and the backward state of the
  first token the start (ELMo's ``</S>`` and ``<S>``);
- :data:`IGNORE` (no loss): positions further out (only with a Conv1D window) and padding states;
- word ids ``>= n_words`` (the rarest words, when the softmax is capped) become UNK (1); UNK is a
  class like any word, as in word-level LMs (strings below ``min_freq`` are UNK already).
"""

import torch

from ..featurizer import PAD_ID, UNK_ID

BOUNDARY = PAD_ID
IGNORE = -100  # torch.nn.functional.cross_entropy's ignore_index


def shifted_targets(
    words: torch.Tensor, lengths: torch.Tensor, state_lengths: torch.Tensor, n_states: int, shift: int, n_words: int
) -> torch.Tensor:
    """words: (B, T) word ids of the tokens; lengths: (B,) tokens per text; state_lengths: (B,)
    encoder states per text (``lengths`` unless a Conv1D changes them); ``n_states``: T' of the
    encoder output. State ``j`` gets the id of token ``j + shift``.

    Returns (B, T') long: a word id, :data:`BOUNDARY` or :data:`IGNORE`.
    """
    batch, steps = words.shape
    device = words.device
    lengths = lengths.to(device)[:, None]
    state = torch.arange(n_states, device=device)[None, :].expand(batch, n_states)
    index = state + shift
    words = torch.where(words >= n_words, torch.full_like(words, UNK_ID), words)
    gathered = words.gather(1, index.clamp(0, max(steps - 1, 0))) if steps else torch.zeros_like(index)
    inside = (index >= 0) & (index < lengths)
    targets = torch.where(inside, gathered, torch.full_like(index, IGNORE))
    at_boundary = (index == -1) | (index == lengths)
    targets = torch.where(at_boundary, torch.full_like(index, BOUNDARY), targets)
    real_state = state < state_lengths.to(device)[:, None]
    return torch.where(real_state, targets, torch.full_like(index, IGNORE))
