"""Score keys spaCy's own ``python -m spacy evaluate`` table knows how to print.

spaCy's evaluate command prints a fixed set of keys (``cats_score`` as TEXTCAT, ``ents_p/r/f``
as NER P/R/F, ``spans_<key>_p/r/f`` as SPAN P/R/F, per-type tables from ``cats_f_per_type``,
``ents_per_type``, ``spans_<key>_per_type``). The components' ``score`` methods add these beside
their own keys (``intent_acc``, ``span_f``, ...), so ``spacy evaluate`` shows intent accuracy and
slot scores. There is no row for BLEU: use ``nlp-rnn evaluate`` for translators.
"""

from typing import Dict, Optional


def intent_table_scores(accuracy: float, per_intent: Dict[str, Dict]) -> Dict:
    """TEXTCAT row (intent accuracy) and the per-intent "Textcat F" table.
    ``per_intent``: {label: {"precision", "recall", "f1", ...}}."""
    return {
        "cats_score": accuracy,
        "cats_score_desc": "intent accuracy",
        "cats_f_per_type": {label: {"p": s["precision"], "r": s["recall"], "f": s["f1"]} for label, s in per_intent.items()},
    }


def span_table_scores(precision: float, recall: float, f1: float, per_label: Dict[str, Dict], spans_key: Optional[str]) -> Dict:
    """NER P/R/F rows (slots in ``doc.ents``) or SPAN P/R/F rows (``doc.spans[spans_key]``; spaCy
    prints them for ``--spans-key KEY``) and the per-label table."""
    prefix = "ents" if spans_key is None else f"spans_{spans_key}"
    per_type = {label: {"p": s["precision"], "r": s["recall"], "f": s["f1"]} for label, s in per_label.items()}
    return {f"{prefix}_p": precision, f"{prefix}_r": recall, f"{prefix}_f": f1, f"{prefix}_per_type": per_type}
