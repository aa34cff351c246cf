"""Translation metrics: corpus BLEU and chrF with sacrebleu, and decoding speed.

sacrebleu's defaults, cased; Chinese targets are tokenized with ``tokenize="zh"`` (each CJK
character a token), everything else with ``13a``. Scores are fractions 0-1 like every other
nlp_rnn metric (sacrebleu's figure / 100): a BLEU of 24.3 is reported as 0.243.
"""

from typing import Dict, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc

TRANSLATION_ATTR = "doc._.translation"


def bleu_tokenizer(target_lang: str) -> str:
    """sacrebleu's tokenizer for a target language: ``zh`` for Chinese, else ``13a``."""
    return "zh" if target_lang.lower().startswith("zh") else "13a"


def translation_scores(
    hypotheses: Sequence[str], references: Sequence[str], target_lang: str
) -> Dict[str, object]:
    """Corpus ``bleu`` and ``chrf`` (fractions 0-1) of one reference per hypothesis, with the
    sacrebleu signatures. No sentence at all scores 0."""
    from sacrebleu.metrics import BLEU, CHRF

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    bleu_metric = BLEU(tokenize=bleu_tokenizer(target_lang))
    chrf_metric = CHRF()
    if not hypotheses:
        return {"bleu": 0.0, "chrf": 0.0, "bleu_signature": "", "chrf_signature": ""}
    hyps = [h or "" for h in hypotheses]
    refs = [list(references)]
    bleu = bleu_metric.corpus_score(hyps, refs)
    chrf = chrf_metric.corpus_score(hyps, refs)
    return {
        "bleu": bleu.score / 100.0,
        "chrf": chrf.score / 100.0,
        "bleu_signature": str(bleu_metric.get_signature()),
        "chrf_signature": str(chrf_metric.get_signature()),
    }


def paired_bleu_test(baseline: Sequence[str], system: Sequence[str], references: Sequence[str], target_lang: str,
                     trials: int = 10000) -> Dict[str, float]:
    """Is ``system``'s corpus BLEU different from ``baseline``'s on the same sentences? sacrebleu's
    paired approximate randomization (``trials`` shuffles of which system each sentence's output
    comes from; its fixed seed, ``SACREBLEU_SEED``): ``bleu_baseline``, ``bleu_system`` (0-1) and
    ``p_value`` (two-sided)."""
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import PairedTest

    if not len(baseline) == len(system) == len(references):
        raise ValueError(f"{len(baseline)} and {len(system)} hypotheses for {len(references)} references")
    test = PairedTest([("baseline", [h or "" for h in baseline]), ("system", [h or "" for h in system])],
                      {"BLEU": BLEU(tokenize=bleu_tokenizer(target_lang))}, [list(references)], test_type="ar", n_samples=trials)
    _, scores = test()
    base, other = scores["BLEU"]
    return {"bleu_baseline": base.score / 100.0, "bleu_system": other.score / 100.0, "p_value": float(other.p_value)}


def translator_pipe(nlp: Language) -> Optional[Tuple[str, object]]:
    """(name, component) of the pipeline's translator (it assigns ``doc._.translation``)."""
    for name, pipe in nlp.pipeline:
        if TRANSLATION_ATTR in nlp.get_pipe_meta(name).assigns:
            return name, pipe
    return None


def target_language(pipe) -> str:
    """The translator's target language (``en`` when it does not say)."""
    return getattr(pipe, "target_lang", None) or "en"


def translation_results(
    nlp: Language, gold_docs: List[Doc], predicted: List[Doc], seconds: float
) -> Dict[str, object]:
    """``bleu``, ``chrf`` (0-1), ``sentences_per_second`` (the whole pipeline, decoding included),
    ``n_references`` and the sacrebleu signatures, over the gold Docs that carry a translation
    (``doc.user_data["translation"]``)."""
    found = translator_pipe(nlp)
    if found is None:
        raise ValueError("the pipeline has no translator (no component assigns doc._.translation)")
    _, pipe = found
    hypotheses, references = [], []
    for gold, doc in zip(gold_docs, predicted):
        reference = gold.user_data.get("translation")
        if isinstance(reference, str):
            references.append(reference)
            hypotheses.append(doc._.translation or "")
    if not references:
        raise ValueError(
            'the evaluation data has no gold translations (doc.user_data["translation"]): '
            "convert it with --format tatoeba or hf_parallel"
        )
    results = translation_scores(hypotheses, references, target_language(pipe))
    results["n_references"] = len(references)
    results["sentences_per_second"] = len(predicted) / seconds if seconds else 0.0
    results["beam_size"] = getattr(pipe, "beam_size", None)
    return results
