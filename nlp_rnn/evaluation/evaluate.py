"""Evaluate a trained pipeline on a DocBin: metrics, speed, plots."""

import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from .intent_decisions import decided_intents, single_labels, top_intents
from .intent_metrics import cats_to_labels, confusion_matrix, intent_scores
from .lm_metrics import lm_component, lm_results
from .plots import plot_confusion_matrix
from .span_metrics import count_unreachable, doc_spans, exact_match, span_scores
from .translation_metrics import translation_results, translator_pipe


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

    Returns a dict with ``n_docs``, ``n_words``, ``words_per_second`` (steady speed of the
    pipeline alone: after a warm-up pass over the first texts, which loads lazy resources such as
    jieba's dictionary; loading the model and the data is not counted), ``seconds`` (the timed
    pass), ``warmup_seconds`` and, when the pipeline has an
    intent component, :func:`intent_results` (of the decisions the pipeline makes: a rejected doc
    is out of scope) and the out-of-scope and calibration figures
    (:func:`nlp_rnn.evaluation.oos_evaluation.oos_evaluation`); when it has a
    tagger, ``span_precision``, ``span_recall``, ``span_f1``, ``per_label``, ``unreachable_spans``
    (gold spans the pipeline's tokenization cannot express) and, with both, ``exact_match``; when it
    has a translator, ``bleu``, ``chrf`` (0-1) and ``sentences_per_second`` (see
    :func:`translation_metrics.translation_results`).
    """
    gold_docs = read_gold_docs(nlp, data_path)
    texts = [doc.text for doc in gold_docs]
    predicted, timing = timed_pipe(nlp, texts, batch_size)
    n_words = sum(len(doc) for doc in predicted)
    seconds = timing["seconds"]
    results: Dict = {
        "n_docs": len(predicted),
        "n_words": n_words,
        "seconds": seconds,
        "words_per_second": n_words / seconds if seconds else 0.0,
        "warmup_seconds": timing["warmup_seconds"],
    }
    results.update(score_docs(nlp, gold_docs, predicted))
    settings = intent_settings(nlp)
    if settings is not None:
        exclusive, threshold = settings
        gold = [cats_to_labels(doc.cats, exclusive, 0.5) for doc in gold_docs]
        pred = decided_intents(predicted, exclusive, threshold)
        from .oos_evaluation import oos_evaluation  # out-of-scope metrics and calibration (ECE)

        results.update(oos_evaluation(nlp, gold_docs, predicted, batch_size, plots_dir))
        if exclusive:
            labels, counts = confusion_matrix(single_labels(gold), single_labels(pred))
            results["intent_confusion"] = {"labels": labels, "counts": counts}
            if plots_dir is not None:
                results["confusion_matrix_png"] = str(
                    plot_confusion_matrix(labels, counts, Path(plots_dir) / "intent_confusion.png")
                )
    if translator_pipe(nlp) is not None:
        results.update(translation_results(nlp, gold_docs, predicted, seconds))
    if lm_component(nlp) is not None:
        results.update(lm_results(nlp, predicted, seconds))
    return results


def score_docs(nlp: Language, gold_docs: Sequence[Doc], predicted: Sequence[Doc]) -> Dict:
    """The intent figures (:func:`intent_results` of the decisions ``nlp``'s intent component
    makes) and the span figures (:func:`slot_results`, with ``exact_match`` when both) of
    ``predicted`` docs, however they were annotated, against ``gold_docs``."""
    results: Dict = {}
    intent_sets = None
    settings = intent_settings(nlp)
    if settings is not None:
        exclusive, threshold = settings
        gold = [cats_to_labels(doc.cats, exclusive, 0.5) for doc in gold_docs]
        pred = decided_intents(predicted, exclusive, threshold)
        results.update(intent_results(gold, pred, top_intents(predicted, exclusive, threshold)))
        intent_sets = (gold, pred)
    has_spans, key = spans_key(nlp)
    if has_spans:
        results.update(slot_results(gold_docs, predicted, key, intent_sets))
    return results


def intent_results(gold, decided, top) -> Dict:
    """:func:`intent_scores` of the pipeline's decisions (``intent_accuracy``, ``intent_macro_f1``,
    ``per_intent``; a rejected doc has no intent, so it is an error unless its gold is out of
    scope), ``n_rejected`` / ``rejection_rate`` (docs decided out of scope) and, when the component
    rejected a doc that had a top intent, ``top_intent_accuracy``: the accuracy of the top intents
    without rejection."""
    results = intent_scores(gold, decided)
    n_rejected = sum(not labels for labels in decided)
    results.update(n_rejected=n_rejected, rejection_rate=n_rejected / len(decided) if decided else 0.0)
    if any(t != d for t, d in zip(top, decided)):
        results["top_intent_accuracy"] = intent_scores(gold, top)["intent_accuracy"]
    return results


WARMUP_TEXTS = 16


def read_gold_docs(nlp: Language, data_path: Path) -> List:
    """The gold documents of a ``.spacy`` DocBin, or one clear error (missing file, other format)."""
    data_path = Path(data_path)
    if not data_path.exists():
        raise FileNotFoundError(f"evaluation data not found: {data_path}")
    try:
        return list(DocBin().from_disk(data_path).get_docs(nlp.vocab))
    except Exception as error:
        raise ValueError(
            f"{data_path} is not a spaCy DocBin ({type(error).__name__}): convert it first with "
            f"nlp-rnn convert {data_path} DATA.spacy --format FORMAT --lang LANG"
        ) from None


def timed_pipe(nlp: Language, texts: List[str], batch_size: int) -> Tuple[List, Dict[str, float]]:
    """Run the pipeline over ``texts``; returns (docs, {"seconds", "warmup_seconds"}).

    The first ``WARMUP_TEXTS`` texts are run once before the clock starts (lazy loading of
    tokenizer dictionaries, first-call costs of torch), then every text is run and timed."""
    start = time.perf_counter()
    list(nlp.pipe(texts[:WARMUP_TEXTS], batch_size=batch_size))
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    predicted = list(nlp.pipe(texts, batch_size=batch_size))
    return predicted, {"seconds": time.perf_counter() - start, "warmup_seconds": warmup}


def spans_key(nlp: Language) -> Tuple[bool, Optional[str]]:
    """(whether a component writes spans, the ``doc.spans`` key it uses or None for ``doc.ents``)."""
    for name, pipe in nlp.pipeline:
        assigns = nlp.get_pipe_meta(name).assigns
        if "doc.ents" in assigns or "doc.spans" in assigns:
            return True, getattr(pipe, "cfg", {}).get("spans_key")
    return False, None


def slot_results(gold_docs, predicted, key: Optional[str], intents=None) -> Dict:
    """Span P/R/F (exact span and label), tokenization ceiling and, with intents, exact match."""
    gold = [doc_spans(doc, key) for doc in gold_docs]
    pred = [doc_spans(doc, key) for doc in predicted]
    results = span_scores(gold, pred)
    unreachable, total = count_unreachable(gold, predicted)
    results["unreachable_spans"] = unreachable
    results["unreachable_fraction"] = unreachable / total if total else 0.0
    if intents is not None:
        results["exact_match"] = exact_match(intents[0], intents[1], gold, pred)
    return results

