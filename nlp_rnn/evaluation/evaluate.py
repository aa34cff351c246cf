"""Evaluate a trained pipeline on a DocBin: metrics, speed, plots."""

import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import DocBin

from .intent_metrics import cats_to_labels, confusion_matrix, intent_scores
from .plots import plot_confusion_matrix


def intent_settings(nlp: Language) -> Optional[Tuple[bool, float]]:
    """(exclusive, threshold) of the component writing ``doc.cats`` (``rnn_intent`` or spaCy's
    ``textcat`` / ``textcat_multilabel``), or None when the pipeline has none."""
    for name, pipe in nlp.pipeline:
        meta = nlp.get_pipe_meta(name)
        if "doc.cats" in meta.assigns:
            exclusive = pipe.cfg.get("exclusive_classes", meta.factory != "textcat_multilabel")
            return exclusive, pipe.cfg.get("threshold", 0.5)
    return None


def evaluate(
    nlp: Language, data_path: Path, batch_size: int = 256, plots_dir: Optional[Path] = None
) -> Dict:
    """Run ``nlp.pipe`` over the texts of ``data_path`` and score against its annotations.

    Returns a dict with ``n_docs``, ``n_words``, ``words_per_second`` and, when the pipeline has an
    intent component, ``intent_accuracy``, ``intent_macro_f1`` and ``per_intent``.
    """
    data_path = Path(data_path)
    if not data_path.exists():
        raise FileNotFoundError(f"evaluation data not found: {data_path}")
    gold_docs = list(DocBin().from_disk(data_path).get_docs(nlp.vocab))
    texts = [doc.text for doc in gold_docs]
    start = time.perf_counter()
    predicted = list(nlp.pipe(texts, batch_size=batch_size))
    seconds = time.perf_counter() - start
    n_words = sum(len(doc) for doc in predicted)
    results: Dict = {
        "n_docs": len(predicted),
        "n_words": n_words,
        "seconds": seconds,
        "words_per_second": n_words / seconds if seconds else 0.0,
    }
    settings = intent_settings(nlp)
    if settings is not None:
        exclusive, threshold = settings
        gold = [cats_to_labels(doc.cats, exclusive, 0.5) for doc in gold_docs]
        pred = [cats_to_labels(doc.cats, exclusive, threshold) for doc in predicted]
        results.update(intent_scores(gold, pred))
        if plots_dir is not None and exclusive:
            labels, counts = confusion_matrix(_single(gold), _single(pred))
            results["confusion_matrix_png"] = str(
                plot_confusion_matrix(labels, counts, Path(plots_dir) / "intent_confusion.png")
            )
    return results


def _single(label_sets) -> List[str]:
    return [next(iter(s)) if s else "(none)" for s in label_sets]
