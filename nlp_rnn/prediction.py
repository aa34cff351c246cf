"""Turn pipeline output into plain JSON-able records."""

from typing import Dict, Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc


def intent_record(doc: Doc, top_k: int = 3) -> Dict:
    """``{"text", "intent", "confidence", "ranking": [{"intent", "score"}, ...], "slots": [...]}``.

    ``slots`` lists the entities with char offsets, text, label and confidence (empty when the
    pipeline has no tagger)."""
    ranking = sorted(doc.cats.items(), key=lambda item: -item[1])
    record: Dict = {"text": doc.text}
    if ranking:
        record["intent"], record["confidence"] = ranking[0][0], round(ranking[0][1], 6)
    else:
        record["intent"], record["confidence"] = None, 0.0
    record["ranking"] = [{"intent": label, "score": round(score, 6)} for label, score in ranking[:top_k]]
    record["slots"] = [slot_record(span) for span in doc.ents]
    return record


def slot_record(span) -> Dict:
    """``{"start", "end", "text", "label", "confidence"}`` for one predicted span."""
    confidence = span._.confidence if span.has_extension("confidence") else None
    return {
        "start": span.start_char,
        "end": span.end_char,
        "text": span.text,
        "label": span.label_,
        "confidence": None if confidence is None else round(confidence, 6),
    }


def predict_texts(nlp: Language, texts: Iterable[str], top_k: int = 3, batch_size: int = 256) -> Iterator[Dict]:
    """Stream one record per text, in input order."""
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield intent_record(doc, top_k)
