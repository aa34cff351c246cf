"""Linear-chain conditional random field: partition function, gold score, Viterbi, marginals.

The CRF scores a tag path ``y`` of a sequence with emissions ``e`` (batch, T, K) as

    start[y_0] + e_0[y_0] + sum_t (transitions[y_{t-1}, y_t] + e_t[y_t]) + end[y_{T-1}]

Optional boolean masks of allowed transitions / first tags / last tags (see
:mod:`nlp_rnn.nn.tag_constraints`) replace the scores of forbidden moves by :data:`FORBIDDEN`
in every computation, so training never wastes probability on ill-formed BIO / BIOES paths and
decoding never returns one. A finite constant (not ``-inf``) keeps the log-partition and its
gradient finite even when no allowed path exists; Viterbi, which needs no gradient, uses
``-inf`` so that its output is well formed whatever the emissions.

Masks are left-aligned: ``mask[b, t]`` is True for the first ``length_b`` positions only.
Padding positions are ignored (their emissions and tags are never read), so a sequence gets
the same result alone or in any batch. A sequence of length 0 has score 0, log-partition 0,
an empty path and zero marginals.
"""

from typing import Optional, Tuple

import torch
from torch import nn

FORBIDDEN = -1e4  # score of a forbidden transition / start / end
Potentials = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # transitions (K, K), start (K,), end (K,)
REDUCTIONS = ("mean", "sum", "none")


def _check_mask(mask: torch.Tensor, shape: Tuple[int, int]) -> torch.Tensor:
    """``mask`` as bool after checking its shape and that it is left-aligned."""
    if tuple(mask.shape) != tuple(shape):
        raise ValueError(f"mask has shape {tuple(mask.shape)}, expected {tuple(shape)}")
    mask = mask.bool()
    if mask.shape[1] > 1 and bool((mask[:, 1:] & ~mask[:, :-1]).any()):
        raise ValueError("mask must be left-aligned: real positions first, then padding")
    return mask


def _bool_mask(value: Optional[torch.Tensor], shape: Tuple[int, ...], name: str) -> torch.Tensor:
    """An all-True mask when ``value`` is None, else ``value`` as bool after a shape check."""
    if value is None:
        return torch.ones(shape, dtype=torch.bool)
    value = torch.as_tensor(value)
    if tuple(value.shape) != shape:
        raise ValueError(f"{name} has shape {tuple(value.shape)}, expected {shape}")
    return value.bool().clone()


def _log_matmul_exp(log_a: torch.Tensor, log_m: torch.Tensor) -> torch.Tensor:
    """``logsumexp(log_a[:, :, None] + log_m[None], dim=1)`` as one matrix product.

    log_a: (B, K); log_m: (K, K) → (B, K). Shifting by row / column maxima keeps ``exp`` in range,
    so this is exact up to rounding but O(B·K²) in a BLAS call instead of a (B, K, K) temporary:
    with hundreds of BILUO tags the difference is 20-50× on CPU. Entries no path reaches come out
    as about log(1e-30) instead of a -1e4-scaled value: both are 0 after ``exp``.
    """
    a_max = log_a.max(dim=1, keepdim=True).values
    m_max = log_m.max(dim=0, keepdim=True).values
    product = torch.exp(log_a - a_max) @ torch.exp(log_m - m_max)
    return torch.log(product.clamp_min(1e-30)) + a_max + m_max


class MaxPlusPlan:
    """A sparse max-plus product ``max_i (score[:, i] + transitions[i, j])`` over allowed moves.

    Target tags are grouped by their allowed predecessors. Tags with many predecessors that share
    the same set (in BILUO: O, B-x and U-x all follow O, L-* or U-*) are computed as one dense
    block; tags with few (I-x and L-x follow only B-x or I-x) with one padded gather. With L
    labels this touches about K²/4 + 2K pairs instead of K², and unconstrained CRFs fall back to
    one dense block.
    """

    def __init__(self, allowed: torch.Tensor, dense_threshold: int = 8):
        groups: dict = {}
        sparse = []
        for target in range(allowed.shape[1]):
            predecessors = tuple(allowed[:, target].nonzero().flatten().tolist())
            if len(predecessors) > dense_threshold:
                groups.setdefault(predecessors, []).append(target)
            else:
                sparse.append((target, predecessors))
        self.blocks = [(torch.tensor(p), torch.tensor(t)) for p, t in groups.items()]
        width = max((len(p) for _, p in sparse), default=0)
        self.sparse_targets = torch.tensor([t for t, _ in sparse], dtype=torch.long)
        self.sparse_predecessors = torch.tensor(
            [list(p) + [0] * (width - len(p)) for _, p in sparse], dtype=torch.long
        ).reshape(len(sparse), width)
        self.sparse_valid = torch.tensor(
            [[True] * len(p) + [False] * (width - len(p)) for _, p in sparse], dtype=torch.bool
        ).reshape(len(sparse), width)

    def __call__(
        self, score: torch.Tensor, transitions: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """score: (B, K); transitions: (K, K) with -inf at forbidden moves.

        Returns best (B, K) and the argmax predecessor (B, K) long (0 where nothing is allowed).
        """
        device = score.device
        best = score.new_full(score.shape, float("-inf"))
        previous = torch.zeros(score.shape, dtype=torch.long, device=device)
        for predecessors, targets in self.blocks:
            predecessors, targets = predecessors.to(device), targets.to(device)
            block = score[:, predecessors].unsqueeze(2) + transitions[predecessors][:, targets]
            values, index = block.max(dim=1)
            best[:, targets] = values
            previous[:, targets] = predecessors[index]
        if len(self.sparse_targets) and self.sparse_predecessors.shape[1]:
            targets = self.sparse_targets.to(device)
            predecessors = self.sparse_predecessors.to(device)
            moves = transitions[predecessors, targets.unsqueeze(1)]
            moves = moves.masked_fill(~self.sparse_valid.to(device), float("-inf"))
            values, index = (score[:, predecessors] + moves).max(dim=2)
            best[:, targets] = values
            previous[:, targets] = predecessors.unsqueeze(0).expand(score.shape[0], -1, -1).gather(
                2, index.unsqueeze(2)
            ).squeeze(2)
        return best, previous


class CRF(nn.Module):
    """A linear-chain CRF over ``num_tags`` tags, optionally constrained.

    Args:
        num_tags: K.
        allowed: (K, K) bool, ``allowed[i, j]`` True when tag j may follow tag i.
        allowed_start: (K,) bool, tags a sequence may start with.
        allowed_end: (K,) bool, tags a sequence may end with.

    Parameters ``transitions`` (K, K) (from i to j), ``start`` (K,) and ``end`` (K,). The masks
    are non-persistent buffers: they follow the module across devices but are not part of the
    ``state_dict``, because they are derived from the labels, which the caller stores.
    """

    def __init__(
        self,
        num_tags: int,
        allowed: Optional[torch.Tensor] = None,
        allowed_start: Optional[torch.Tensor] = None,
        allowed_end: Optional[torch.Tensor] = None,
    ):
        super().__init__()
        if num_tags < 1:
            raise ValueError(f"num_tags must be >= 1, got {num_tags}")
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        self.start = nn.Parameter(torch.empty(num_tags))
        self.end = nn.Parameter(torch.empty(num_tags))
        self.register_buffer(
            "allowed", _bool_mask(allowed, (num_tags, num_tags), "allowed"), persistent=False
        )
        self.register_buffer(
            "allowed_start",
            _bool_mask(allowed_start, (num_tags,), "allowed_start"),
            persistent=False,
        )
        self.register_buffer(
            "allowed_end", _bool_mask(allowed_end, (num_tags,), "allowed_end"), persistent=False
        )
        self._max_plus = MaxPlusPlan(self.allowed)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Small uniform scores (as in pytorch-crf), so the CRF starts close to a softmax."""
        for parameter in (self.transitions, self.start, self.end):
            nn.init.uniform_(parameter, -0.1, 0.1)

    def extra_repr(self) -> str:
        constrained = not bool(
            self.allowed.all() and self.allowed_start.all() and self.allowed_end.all()
        )
        return f"num_tags={self.num_tags}, constrained={constrained}"

    # --- shared pieces ---------------------------------------------------------------------

    def _potentials(
        self, forbidden: float = FORBIDDEN
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """transitions (K, K), start (K,), end (K,) with forbidden entries set to ``forbidden``."""
        return (
            self.transitions.masked_fill(~self.allowed, forbidden),
            self.start.masked_fill(~self.allowed_start, forbidden),
            self.end.masked_fill(~self.allowed_end, forbidden),
        )

    def _prepare(
        self, emissions: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Checked inputs: emissions in the parameters' dtype with zeros at padding, bool mask."""
        if emissions.dim() != 3 or emissions.shape[2] != self.num_tags:
            raise ValueError(
                f"emissions must be (batch, T, {self.num_tags}), got {tuple(emissions.shape)}"
            )
        mask = _check_mask(mask.to(emissions.device), emissions.shape[:2])
        emissions = emissions.to(self.transitions.dtype)
        # padding never contributes, even when it holds inf / nan (masked_fill cuts the gradient)
        return emissions.masked_fill(~mask.unsqueeze(-1), 0.0), mask

    def _alphas(self, emissions: torch.Tensor, mask: torch.Tensor, potentials: Optional[Potentials] = None) -> torch.Tensor:
        """Forward variables (B, T, K): log-sum of all path prefixes ending in each tag at t,
        emission at t included. Past a sequence's end the last real value is carried on.
        ``potentials``: :meth:`_potentials` (the default) in another dtype."""
        transitions, start, _ = potentials or self._potentials()
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.shape[1]):
            step = _log_matmul_exp(alpha, transitions) + emissions[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)
            alphas.append(alpha)
        return torch.stack(alphas, dim=1)

    def _betas(self, emissions: torch.Tensor, mask: torch.Tensor, potentials: Optional[Potentials] = None) -> torch.Tensor:
        """Backward variables (B, T, K): log-sum of all path suffixes after position t given
        the tag at t, end score included (emission at t excluded). Garbage at padding."""
        transitions, _, end = potentials or self._potentials()
        batch, length, _ = emissions.shape
        end = end.expand(batch, -1)
        beta = end
        betas = [beta]
        for t in range(length - 2, -1, -1):
            step = _log_matmul_exp(emissions[:, t + 1] + beta, transitions.t())
            # where t + 1 is padding, t is the last real position (or padding itself)
            beta = torch.where(mask[:, t + 1].unsqueeze(1), step, end)
            betas.append(beta)
        return torch.stack(betas[::-1], dim=1)

    # --- public API ------------------------------------------------------------------------

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z: log-sum-exp of the scores of all tag paths (forward algorithm).

        emissions: (B, T, K); mask: (B, T) bool, left-aligned. Returns (B,); 0 for length 0.
        """
        emissions, mask = self._prepare(emissions, mask)
        if emissions.shape[1] == 0:
            return emissions.new_zeros(emissions.shape[0])
        _, _, end = self._potentials()
        log_z = torch.logsumexp(self._alphas(emissions, mask)[:, -1] + end, dim=1)
        return log_z.masked_fill(~mask[:, 0], 0.0)

    def score(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """The score of the given tag paths.

        emissions: (B, T, K); tags: (B, T) long, any value at padding; mask: (B, T) bool.
        Returns (B,); 0 for length 0.
        """
        emissions, mask = self._prepare(emissions, mask)
        if tuple(tags.shape) != tuple(mask.shape):
            raise ValueError(f"tags have shape {tuple(tags.shape)}, expected {tuple(mask.shape)}")
        if emissions.shape[1] == 0:
            return emissions.new_zeros(emissions.shape[0])
        tags = tags.to(emissions.device).long().masked_fill(~mask, 0)
        if bool(((tags < 0) | (tags >= self.num_tags)).any()):
            raise ValueError(f"tags must lie in [0, {self.num_tags}) at real positions")
        transitions, start, end = self._potentials()
        lengths = mask.sum(dim=1)
        has_tokens = lengths > 0
        zero = emissions.new_zeros(())
        total = torch.where(has_tokens, start[tags[:, 0]], zero)
        total = total + (emissions.gather(2, tags.unsqueeze(2)).squeeze(2) * mask).sum(dim=1)
        moves = transitions[tags[:, :-1], tags[:, 1:]]  # (B, T - 1)
        total = total + torch.where(mask[:, 1:], moves, zero).sum(dim=1)
        last = tags.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        return total + torch.where(has_tokens, end[last], zero)

    def expected_score(self, emissions: torch.Tensor, marginals: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The mean path score under per-token tag distributions taken as independent (e.g. a
        teacher's marginals): Σ_t q_t·e_t + q_0·start + Σ_t q_tᵀ·transitions·q_t+1 + q_last·end,
        allowed moves only (a forbidden move would add a constant, not a gradient).

        emissions, marginals: (B, T, K); mask: (B, T) bool. Returns (B,); 0 for length 0.
        ``log_partition − expected_score`` is the cross-entropy of the CRF to those distributions,
        whose gradient on the emissions is (the CRF's marginals − ``marginals``).
        """
        emissions, mask = self._prepare(emissions, mask)
        if emissions.shape[1] == 0:
            return emissions.new_zeros(emissions.shape[0])
        q = marginals.to(emissions.dtype).masked_fill(~mask.unsqueeze(-1), 0.0)
        transitions, start, end = self._potentials(forbidden=0.0)
        lengths = mask.sum(dim=1)
        total = (q * emissions).sum(dim=(1, 2)) + q[:, 0] @ start
        moves = torch.einsum("btk,kl,btl->bt", q[:, :-1], transitions, q[:, 1:])  # 0 past the end: q is 0 there
        last = q.gather(1, (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, q.shape[2])).squeeze(1)
        return (total + moves.sum(dim=1) + last @ end).masked_fill(lengths == 0, 0.0)

    def neg_log_likelihood(
        self,
        emissions: torch.Tensor,
        tags: torch.Tensor,
        mask: torch.Tensor,
        reduction: str = "mean",
    ) -> torch.Tensor:
        """-log p(tags | emissions) = log Z - score(tags), the training loss.

        emissions: (B, T, K); tags: (B, T) long; mask: (B, T) bool. ``reduction``: "mean"
        (over the batch), "sum", or "none" for (B,). Gold paths with a forbidden move get a
        loss of about 1e4 per forbidden move: gold data should be repaired first.
        """
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")
        losses = self.log_partition(emissions, mask) - self.score(emissions, tags, mask)
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        return losses.mean() if losses.numel() else losses.sum()

    def forward(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """The mean negative log-likelihood over the batch (see :meth:`neg_log_likelihood`)."""
        return self.neg_log_likelihood(emissions, tags, mask)

    @torch.no_grad()
    def viterbi_decode(
        self, emissions: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The best tag path per sequence (batched Viterbi with backpointers).

        emissions: (B, T, K); mask: (B, T) bool, left-aligned. Returns ``best_tags`` (B, T)
        long, 0 at padding, and ``best_scores`` (B,), 0 for length 0. Forbidden moves score
        ``-inf`` here, so the path is well formed whenever a well-formed path exists.
        """
        emissions, mask = self._prepare(emissions, mask)
        batch, length, _ = emissions.shape
        best_tags = torch.zeros(batch, length, dtype=torch.long, device=emissions.device)
        if length == 0:
            return best_tags, emissions.new_zeros(batch)
        transitions, start, end = self._potentials(float("-inf"))
        score = start + emissions[:, 0]
        backpointers = []  # (B, K) per step t >= 1: best previous tag for each tag at t
        for t in range(1, length):
            best, previous = self._max_plus(score, transitions)
            score = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], score)
            backpointers.append(previous)
        best_scores, tag = (score + end).max(dim=1)
        lengths = mask.sum(dim=1)
        for t in range(length - 1, -1, -1):
            real = t < lengths
            best_tags[:, t] = torch.where(real, tag, 0)
            if t > 0:
                previous = backpointers[t - 1].gather(1, tag.unsqueeze(1)).squeeze(1)
                tag = torch.where(real, previous, tag)
        return best_tags, best_scores.masked_fill(lengths == 0, 0.0)

    @torch.no_grad()
    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """p(tag at t = k | emissions) by forward-backward, e.g. for span confidences.

        emissions: (B, T, K); mask: (B, T) bool, left-aligned. Returns (B, T, K): each real
        position sums to 1, padding positions (and length-0 sequences) are all 0.

        Computed in float64 and returned in the parameters' dtype. A float32 encoder gives a
        sequence emissions that differ by about 1e-6 alone and inside a batch (the BLAS kernel
        depends on the batch size and the CPU); float32 forward-backward turned that into span
        confidences 2.2e-5 apart (a 36-character Chinese text of ``test_joint_component.py``),
        float64 keeps them within 4e-7.
        """
        emissions, mask = self._prepare(emissions, mask)
        dtype = emissions.dtype
        if emissions.shape[1] == 0:
            return emissions.new_zeros(emissions.shape)
        emissions = emissions.double()
        potentials = tuple(p.double() for p in self._potentials())
        alphas = self._alphas(emissions, mask, potentials)
        log_z = torch.logsumexp(alphas[:, -1] + potentials[2], dim=1)
        log_marginals = alphas + self._betas(emissions, mask, potentials) - log_z[:, None, None]
        return (log_marginals.exp() * mask.unsqueeze(-1)).to(dtype)
