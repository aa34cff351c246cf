"""Class-conditional Gaussians with one shared covariance over pooled encoder features.

Fitted on in-scope training data only (Lee et al. 2018; Podolskiy et al. 2021 for intents): a
mean per intent and one covariance pooled over the intents, shrunk towards a scaled identity for
stability (the feature width is often close to the number of examples per intent). The
out-of-scope score of a feature vector is its squared Mahalanobis distance to the nearest mean.

Saved as safetensors bytes (no pickle): ``means`` (n_intents, width) and ``precision``
(width, width), float32.
"""

import base64
from dataclasses import dataclass
from functools import lru_cache

import numpy
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors


@dataclass
class ClassGaussians:
    """means: (n_classes, width); precision: (width, width), the inverse shared covariance."""

    means: numpy.ndarray
    precision: numpy.ndarray

    @classmethod
    def fit(cls, features: numpy.ndarray, labels: numpy.ndarray, n_classes: int, shrinkage: float = 0.1) -> "ClassGaussians":
        """features (n, width), labels (n,) class ids in [0, n_classes) (rows with another id are
        ignored). Covariance of the class-centred features, shrunk:
        ``(1 − shrinkage)·Σ + shrinkage·(trace(Σ) / width)·I``. A class without rows gets the
        mean of all rows (it then never stands out)."""
        features = numpy.asarray(features, dtype="float64")
        labels = numpy.asarray(labels)
        keep = (labels >= 0) & (labels < n_classes)
        features, labels = features[keep], labels[keep]
        if len(features) < 2:
            raise ValueError(f"need at least two in-scope feature vectors to fit the Gaussians, got {len(features)}")
        if not 0.0 <= shrinkage <= 1.0:
            raise ValueError(f"shrinkage must be in [0, 1], got {shrinkage}")
        width = features.shape[1]
        overall = features.mean(axis=0)
        means = numpy.tile(overall, (n_classes, 1))
        for c in numpy.unique(labels):
            means[c] = features[labels == c].mean(axis=0)
        centred = features - means[labels]
        covariance = centred.T @ centred / len(features)
        scale = numpy.trace(covariance) / width
        covariance = (1.0 - shrinkage) * covariance + shrinkage * max(scale, 1e-12) * numpy.eye(width)
        precision = numpy.linalg.pinv(covariance, hermitian=True)
        return cls(means.astype("float32"), precision.astype("float32"))

    def distances(self, features: numpy.ndarray) -> numpy.ndarray:
        """features (n, width) → (n, n_classes) squared Mahalanobis distances to each mean."""
        x = numpy.asarray(features, dtype="float64")
        means = self.means.astype("float64")
        precision = self.precision.astype("float64")
        xp = x @ precision  # (n, width)
        mp = means @ precision  # (C, width)
        sq = (xp * x).sum(axis=1)[:, None] - 2.0 * xp @ means.T + (mp * means).sum(axis=1)[None, :]
        return numpy.maximum(sq, 0.0)

    def score(self, features: numpy.ndarray) -> numpy.ndarray:
        """features (n, width) → (n,) distance to the nearest class mean (higher = more out of scope)."""
        if len(features) == 0:
            return numpy.zeros(0)
        return self.distances(features).min(axis=1)

    def to_bytes(self) -> bytes:
        return save_safetensors({"means": numpy.ascontiguousarray(self.means), "precision": numpy.ascontiguousarray(self.precision)})

    @classmethod
    def from_bytes(cls, data: bytes) -> "ClassGaussians":
        arrays = load_safetensors(data)
        return cls(arrays["means"], arrays["precision"])

    def to_text(self) -> str:
        """The safetensors bytes as base64 text, to sit in a component's JSON cfg."""
        return base64.b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> "ClassGaussians":
        return _decoded(text)


@lru_cache(maxsize=8)
def _decoded(text: str) -> ClassGaussians:
    # a component keeps the same cfg string between calls: decode it once
    return ClassGaussians.from_bytes(base64.b64decode(text.encode("ascii")))
