"""``nlp-rnn evaluate``'s out-of-scope and calibration figures for an intent component.

- Whenever the gold data holds out-of-scope docs (``cats`` present and all 0): the metrics of
  :func:`nlp_rnn.evaluation.oos_metrics.oos_metrics` (``in_scope_accuracy``, ``accuracy``,
  ``oos_precision`` / ``oos_recall`` / ``oos_f1``, ``macro_f1_open``, ``oos_auroc``,
  ``oos_fpr_at_95_tpr``). A doc counts as rejected as the pipeline decides
  (:func:`nlp_rnn.evaluation.intent_decisions.decided_intents`). AUROC / FPR use
  ``doc._.oos_score``, or 1 − the top probability when the component does not score.
- Exclusive intents: ``ece`` (15 bins, in-scope docs, the component's output) and, when the
  component has a fitted ``temperature`` ≠ 1, ``ece_before_temperature`` (the same docs with
  T = 1); with ``plots_dir``, ``reliability_diagram_png``.
"""

from pathlib import Path
from typing import Dict, List, Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..oos.examples import is_out_of_scope_example
from ..oos.settings import oos_block
from .calibration import expected_calibration_error, plot_reliability_diagram, reliability_bins
from .intent_decisions import decided_intents
from .intent_metrics import cats_to_labels
from .oos_metrics import oos_metrics


def _intent_pipe(nlp: Language):
    for name, pipe in nlp.pipeline:
        if "doc.cats" in nlp.get_pipe_meta(name).assigns:
            return pipe
    return None


def _scores(docs: List[Doc]) -> List[float]:
    if Doc.has_extension("oos_score") and all(d._.oos_score is not None for d in docs):
        return [float(d._.oos_score) for d in docs]
    return [1.0 - max(d.cats.values(), default=0.0) for d in docs]


def _calibration_rows(docs: List[Doc], gold) -> tuple:
    rows = [(max(d.cats.values()), max(d.cats, key=d.cats.get) in g) for d, g in zip(docs, gold) if g and d.cats]
    return [c for c, _ in rows], [h for _, h in rows]


def oos_evaluation(nlp: Language, gold_docs: List[Doc], predicted: List[Doc], batch_size: int = 256, plots_dir: Optional[Path] = None) -> Dict:
    """The out-of-scope and calibration keys described in the module docstring ({} without an
    intent component)."""
    pipe = _intent_pipe(nlp)
    if pipe is None or not hasattr(pipe, "cfg"):
        return {}
    exclusive = pipe.cfg.get("exclusive_classes", True)
    threshold = pipe.cfg.get("threshold", 0.5)
    gold = [cats_to_labels(d.cats, exclusive, 0.5) for d in gold_docs]
    results: Dict = {}
    if any(is_out_of_scope_example(d.cats) for d in gold_docs):
        results.update(oos_metrics(gold, decided_intents(predicted, exclusive, threshold), _scores(predicted)))
    if not exclusive:
        return results
    conf, correct = _calibration_rows(predicted, gold)
    results["ece"] = expected_calibration_error(conf, correct)
    temperature = oos_block(pipe.cfg)["temperature"]
    curves = {"after temperature scaling" if temperature != 1.0 else "model": reliability_bins(conf, correct)}
    if temperature != 1.0:
        results["temperature"] = temperature
        pipe.cfg["oos"]["temperature"] = 1.0
        try:
            raw = list(nlp.pipe([d.text for d in gold_docs], batch_size=batch_size))
        finally:
            pipe.cfg["oos"]["temperature"] = temperature
        conf_raw, correct_raw = _calibration_rows(raw, gold)
        results["ece_before_temperature"] = expected_calibration_error(conf_raw, correct_raw)
        curves = {"before (T = 1)": reliability_bins(conf_raw, correct_raw), **curves}
    if plots_dir is not None:
        results["reliability_diagram_png"] = str(plot_reliability_diagram(curves, Path(plots_dir) / "reliability.png"))
    return results
