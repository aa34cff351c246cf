"""Docs → the JSON the server returns: the project's prediction record, Rasa's parse result.

Docs are turned into plain records in the model thread (:class:`PipelineRunner`), so nothing that
holds a Doc crosses into the event loop. The full intent ranking is kept there; each endpoint
cuts what it returns.
"""

from typing import Any, Dict, List, Optional

from spacy.language import Language

from ..prediction import intent_record
from ..records import RecordFields

RASA_RANKING_LENGTH = 10  # Rasa's default ``ranking_length``
FALLBACK_INTENT = "nlu_fallback"  # Rasa's name for a message no intent fits


class PipelineRunner:
    """``texts → records`` for one loaded pipeline (called from the model thread).

    Each record is :func:`nlp_rnn.prediction.intent_record` (the record ``nlp-rnn predict``
    prints, ``translation`` included for translator pipelines) with the full ranking."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.fields = RecordFields.from_nlp(nlp)
        self.entity_extractor = _entity_component(nlp)
        self.has_translator = self.fields.translation

    def __call__(self, texts: List[str]) -> List[Dict[str, Any]]:
        docs = self.nlp.pipe(texts, batch_size=max(1, len(texts)))
        return [intent_record(doc, top_k=max(len(doc.cats), 1), fields=self.fields) for doc in docs]


def _entity_component(nlp: Language) -> Optional[str]:
    """The name of the component that writes ``doc.ents`` (Rasa's ``extractor``)."""
    for name in nlp.pipe_names:
        if "doc.ents" in nlp.get_pipe_meta(name).assigns:
            return name
    return None


def project_record(record: Dict[str, Any], top_k: int) -> Dict[str, Any]:
    """The record ``nlp-rnn predict`` prints, with the ranking cut to ``top_k``."""
    return dict(record, ranking=record["ranking"][:top_k]) if "ranking" in record else record


def rasa_parse_result(record: Dict[str, Any], extractor: Optional[str], message_id: Optional[str] = None) -> Dict[str, Any]:
    """Rasa's ``POST /model/parse`` response for one record: ``{"text", "intent": {"name",
    "confidence"}, "intent_ranking": [...], "entities": [{"entity", "start", "end", "value",
    "confidence_entity", "extractor"}]}`` (plus ``message_id`` when the request had one). A text
    the intent component rejects as out of scope gets the intent ``nlu_fallback``, as Rasa's
    ``FallbackClassifier`` names it."""
    ranking = record.get("ranking", [])
    name = FALLBACK_INTENT if record.get("out_of_scope") else record.get("intent")
    result: Dict[str, Any] = {
        "text": record["text"],
        "intent": {"name": name, "confidence": record.get("confidence") or 0.0},
        "intent_ranking": [
            {"name": item.get("intent", item.get("name")), "confidence": item.get("score", item.get("confidence"))}
            for item in ranking[:RASA_RANKING_LENGTH]
        ],
        "entities": [
            {
                "entity": slot["label"],
                "start": slot["start"],
                "end": slot["end"],
                "value": slot["text"],
                "confidence_entity": slot.get("confidence", slot.get("score")),
                "extractor": extractor,
            }
            for slot in record.get("slots", [])
        ],
    }
    if message_id is not None:
        result["message_id"] = message_id
    return result
