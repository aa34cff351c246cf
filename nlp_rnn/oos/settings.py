"""The intent components' out-of-scope and calibration settings: one block per component,
``[components.NAME.oos]`` in the config and ``cfg["oos"]`` in the saved component, with its
defaults written once, here (:class:`OOSSettings`), and its checks.

- ``score``: ``"none"`` | ``"msp"`` | ``"energy"`` | ``"mahalanobis"`` | ``"msp_mahalanobis"``
  (see :mod:`nlp_rnn.oos.scores`); higher = more likely out of scope.
- ``threshold``: reject a doc whose score is above it (``null``: score but never reject).
- ``in_scope_share``: when the dev data has no out-of-scope examples, the threshold keeps this
  share of the in-scope dev docs (``null`` makes such dev data an error).
- ``max_in_scope_loss``: when set (e.g. 0.01) and the dev data has no out-of-scope examples,
  the threshold instead rejects as much as it can while in-scope dev accuracy stays within this
  much of no rejection (:func:`nlp_rnn.oos.threshold.threshold_for_in_scope_loss`).
- ``temperature``: exclusive intents: the final probabilities become ``p^(1/T)``, renormalised
  (:mod:`nlp_rnn.oos.temperature`; the winning intent never changes).
- ``mixup_outliers``: weight of the synthetic-outlier training loss (exclusive intents; see
  :func:`nlp_rnn.nn.losses.mixup_outlier_loss`), 0 = off.

What is fitted on data besides (class Gaussians, standardization, how the threshold and score were
chosen) is not a setting: it stays in the component's cfg under ``oos_gaussian``,
``oos_standardization``, ``oos_threshold_choice``, ``oos_score_choice`` and ``oos_examples``.
The flat keys of pipelines saved before the block existed are read by :mod:`nlp_rnn.oos.flat_keys`.

:data:`AUTO_OOS_SCORES`: the scores ``nlp-rnn train`` chooses among on dev when the block says
``score = "none"`` but train or dev hold explicit out-of-scope examples.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from .scores import check_oos_score

#: in order of preference (the first wins a tie, and is taken when dev has no out-of-scope docs to
#: compare them on): the two best scores on BANKING77's dev rows (benchmarks/results/oos.md)
AUTO_OOS_SCORES = ("msp_mahalanobis", "msp")


@dataclass(frozen=True)
class OOSSettings:
    """One component's out-of-scope block, checked (see the module docstring for each key)."""

    score: str = "none"
    threshold: Optional[float] = None
    in_scope_share: Optional[float] = 0.95
    max_in_scope_loss: Optional[float] = None
    temperature: float = 1.0
    mixup_outliers: float = 0.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value, optional = getattr(self, field.name), field.default is None or field.name == "in_scope_share"
            if field.name != "score" and not (is_number(value) or (optional and value is None)):
                allowed = "a number or null" if optional else "a number"
                raise ValueError(f"oos.{field.name} must be {allowed}, got {value!r}")
        check_oos_score(self.score)
        if self.in_scope_share is not None and not 0.0 < self.in_scope_share <= 1.0:
            raise ValueError(f"oos.in_scope_share must be in (0, 1] or null, got {self.in_scope_share}")
        if self.max_in_scope_loss is not None and not 0.0 <= self.max_in_scope_loss < 1.0:
            raise ValueError(f"oos.max_in_scope_loss must be in [0, 1) or null, got {self.max_in_scope_loss}")
        if not self.temperature > 0:
            raise ValueError(f"oos.temperature must be > 0, got {self.temperature}")
        if self.mixup_outliers < 0:
            raise ValueError(f"oos.mixup_outliers must be >= 0 (0 = off), got {self.mixup_outliers}")

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> "OOSSettings":
        """The settings of a block (missing keys take their defaults); ValueError with one line
        naming an unknown key or a bad value."""
        known = [field.name for field in dataclasses.fields(cls)]
        for key in block:
            if key not in known:
                raise ValueError(f"unknown out-of-scope setting oos.{key}: the block takes {', '.join(known)}")
        return cls(**block)

    def to_block(self) -> Dict[str, Any]:
        """The block as plain JSON-able values (what ``cfg["oos"]`` and the config hold)."""
        block = dataclasses.asdict(self)
        block.update(temperature=float(self.temperature), mixup_outliers=float(self.mixup_outliers))
        return block


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: the defaults of the block (the factories' ``default_config``), from :class:`OOSSettings`
OOS_DEFAULTS: Dict[str, Any] = OOSSettings().to_block()


def checked_block(block: Mapping[str, Any]) -> Dict[str, Any]:
    """``block`` with the defaults filled in, checked (:meth:`OOSSettings.from_block`)."""
    return OOSSettings.from_block(block).to_block()


def oos_block(cfg: Mapping[str, Any]) -> Dict[str, Any]:
    """A component cfg's out-of-scope block (the defaults for a cfg without one, e.g. a tagger's)."""
    return cfg.get("oos") or OOS_DEFAULTS


def with_block(cfg: Mapping[str, Any], **changes: Any) -> Dict[str, Any]:
    """A copy of a component cfg whose block has ``changes`` (e.g. ``score="msp"``); ``cfg`` is
    left as it is."""
    return {**cfg, "oos": {**oos_block(cfg), **changes}}
