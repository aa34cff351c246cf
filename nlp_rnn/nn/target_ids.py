"""Target ids of sequence-to-sequence models: the four reserved ids and teacher-forcing targets.

Ids 0-3 are PAD, UNK, BOS and EOS; real target tokens start at :data:`N_SPECIAL`. The model
(:mod:`.seq2seq`), the searches (:mod:`.search`) and the target vocabulary
(:class:`nlp_rnn.target_vocab.TargetVocab`) all read them from here.
"""

from typing import Optional, Sequence, Tuple

import torch

from ..target_vocab import BOS, EOS, N_SPECIAL, PAD, UNK  # noqa: F401  (the one definition, torch-free)


def make_targets(
    sequences: Sequence[Sequence[int]], device: Optional[torch.device] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Target id lists (no BOS/EOS) → tgt_in = BOS + seq and tgt_out = seq + EOS, both
    (batch, max_len + 1), padded with PAD."""
    width = max((len(seq) for seq in sequences), default=0) + 1
    tgt_in = torch.full((len(sequences), width), PAD, dtype=torch.long)
    tgt_out = torch.full((len(sequences), width), PAD, dtype=torch.long)
    for i, seq in enumerate(sequences):
        seq = torch.as_tensor(list(seq), dtype=torch.long)
        tgt_in[i, 0] = BOS
        tgt_in[i, 1 : len(seq) + 1] = seq
        tgt_out[i, : len(seq)] = seq
        tgt_out[i, len(seq)] = EOS
    return tgt_in.to(device), tgt_out.to(device)
