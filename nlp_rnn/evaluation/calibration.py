"""Calibration: expected calibration error (equal-width bins) and a reliability diagram."""

from pathlib import Path
from typing import Dict, List, Sequence

import numpy

ECE_BINS = 15


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = ECE_BINS) -> List[Dict]:
    """Equal-width bins over (0, 1] (bin i holds confidences in (i/n, (i+1)/n]; 0 goes to the
    first bin): per bin ``{"lower", "upper", "count", "confidence", "accuracy"}`` (means; 0 when
    empty)."""
    conf = numpy.asarray(confidences, dtype="float64")
    hits = numpy.asarray(correct, dtype="float64")
    index = numpy.clip(numpy.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    bins = []
    for i in range(n_bins):
        member = index == i
        count = int(member.sum())
        bins.append({
            "lower": i / n_bins,
            "upper": (i + 1) / n_bins,
            "count": count,
            "confidence": float(conf[member].mean()) if count else 0.0,
            "accuracy": float(hits[member].mean()) if count else 0.0,
        })
    return bins


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = ECE_BINS) -> float:
    """Σ_bins (count / n)·|accuracy − confidence| (Guo et al. 2017), 0-1; 0.0 for no rows."""
    n = len(confidences)
    if n == 0:
        return 0.0
    return float(sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in reliability_bins(confidences, correct, n_bins)))


def plot_reliability_diagram(curves: Dict[str, List[Dict]], path: Path, title: str = "Reliability diagram") -> Path:
    """curves: {name: :func:`reliability_bins` output} (e.g. before / after temperature scaling)
    → PNG at ``path`` with accuracy per confidence bin against the diagonal; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for name, bins in curves.items():
        used = [b for b in bins if b["count"]]
        ax.plot([b["confidence"] for b in used], [b["accuracy"] for b in used], marker="o", label=name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (mean per bin)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
