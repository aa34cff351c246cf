"""The intent components' out-of-scope and calibration settings: their defaults (written once,
here) and their checks.

- ``oos_score``: ``"none"`` | ``"msp"`` | ``"energy"`` | ``"mahalanobis"`` | ``"msp_mahalanobis"``
  (see :mod:`nlp_rnn.oos.scores`); higher = more likely out of scope.
- ``oos_threshold``: reject a doc whose score is above it (``null``: score but never reject).
- ``oos_in_scope_share``: when the dev data has no out-of-scope examples, the threshold keeps this
  share of the in-scope dev docs (``null`` makes such dev data an error).
- ``oos_max_in_scope_loss``: when set (e.g. 0.01) and the dev data has no out-of-scope examples,
  the threshold instead rejects as much as it can while in-scope dev accuracy stays within this
  much of no rejection (:func:`nlp_rnn.oos.threshold.threshold_for_in_scope_loss`).
- ``temperature``: exclusive intents: the final probabilities become ``p^(1/T)``, renormalised
  (:mod:`nlp_rnn.oos.temperature`; the winning intent never changes).
- ``mixup_outliers``: weight of the synthetic-outlier training loss (exclusive intents; see
  :func:`nlp_rnn.nn.losses.mixup_outlier_loss`), 0 = off.

:data:`AUTO_OOS_SCORES`: the scores ``nlp-rnn train`` chooses among on dev when the config says
``oos_score = "none"`` but train or dev hold explicit out-of-scope examples.
"""

from typing import Any, Dict, Optional

from .scores import check_oos_score

OOS_DEFAULTS: Dict[str, Any] = {"oos_score": "none", "oos_threshold": None, "oos_in_scope_share": 0.95, "oos_max_in_scope_loss": None,
                                "temperature": 1.0, "mixup_outliers": 0.0}

#: in order of preference (the first wins a tie, and is taken when dev has no out-of-scope docs to
#: compare them on): the two best scores on BANKING77's dev rows (benchmarks/results/oos.md)
AUTO_OOS_SCORES = ("msp_mahalanobis", "msp")


def oos_cfg(oos_score: str, oos_threshold: Optional[float], oos_in_scope_share: Optional[float], temperature: float,
            mixup_outliers: float = 0.0, oos_max_in_scope_loss: Optional[float] = None) -> Dict[str, Any]:
    """The component cfg entries for the factory settings, checked (ValueError naming the setting)."""
    check_oos_score(oos_score)
    if oos_in_scope_share is not None and not 0.0 < oos_in_scope_share <= 1.0:
        raise ValueError(f"oos_in_scope_share must be in (0, 1] or null, got {oos_in_scope_share}")
    if oos_max_in_scope_loss is not None and not 0.0 <= oos_max_in_scope_loss < 1.0:
        raise ValueError(f"oos_max_in_scope_loss must be in [0, 1) or null, got {oos_max_in_scope_loss}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if mixup_outliers < 0:
        raise ValueError(f"mixup_outliers must be >= 0 (0 = off), got {mixup_outliers}")
    return {"oos_score": oos_score, "oos_threshold": oos_threshold, "oos_in_scope_share": oos_in_scope_share,
            "oos_max_in_scope_loss": oos_max_in_scope_loss, "temperature": float(temperature), "mixup_outliers": float(mixup_outliers)}
