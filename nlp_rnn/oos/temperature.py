"""Temperature scaling (Guo et al. 2017): one scalar T dividing the logits, fitted on dev by NLL.

The intent components average the softmax of several ensemble members and may adjust for the
training prior; the ensemble's logits are then the logs of those final probabilities, and T
divides them: ``p_T ∝ p^(1/T)``. As in Guo et al., T never changes which intent wins (dividing each
member's logits before the average could), and on BANKING77 it calibrates better than per-member
scaling (``benchmarks/results/oos.md``). The NLL is taken of the final probabilities, so the fitted
T calibrates exactly what the component outputs.

Applying T (here) needs numpy only, so exported ONNX pipelines run without torch; fitting it is
torch code (:func:`nlp_rnn.pipeline.temperature_fit.fit_temperature`).
"""

import numpy


def apply_temperature(probs: numpy.ndarray, temperature: float) -> numpy.ndarray:
    """probs (n, C) final probabilities → (n, C) ``p^(1/T)`` renormalised per row, same dtype
    (T = 1: unchanged)."""
    if temperature == 1.0 or len(probs) == 0:
        return probs
    scaled = numpy.log(numpy.maximum(numpy.asarray(probs, dtype="float64"), 1e-30)) / temperature
    scaled = numpy.exp(scaled - scaled.max(axis=1, keepdims=True))
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(probs.dtype)
