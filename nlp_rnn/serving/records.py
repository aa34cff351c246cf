"""Docs → the JSON the server returns: the project's prediction record, Rasa's parse result.

Docs are turned into plain records in the model thread (:class:`PipelineRunner`), so nothing that
holds a Doc crosses into the event loop. The full intent ranking is kept there; each endpoint
cuts what it returns.

A text the intent component rejects as out of scope is answered as Rasa's ``FallbackClassifier``
answers a message below its ``threshold``: intent ``nlu_fallback`` with the threshold as its
confidence, inserted first in ``intent_ranking`` before the intents (:func:`fallback_confidence`).
"""

from typing import Any, Dict, List, Optional

from spacy.language import Language

from ..oos.settings import oos_block
from ..prediction import intent_record
from ..records import RecordFields, score

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
        self.fallback_confidence = fallback_confidence(nlp)

    def __call__(self, texts: List[str]) -> List[Dict[str, Any]]:
        docs = self.nlp.pipe(texts, batch_size=max(1, len(texts)))
        return [intent_record(doc, top_k=max(len(doc.cats), 1), fields=self.fields) for doc in docs]


def _entity_component(nlp: Language) -> Optional[str]:
    """The name of the component that writes ``doc.ents`` (Rasa's ``extractor``)."""
    for name in nlp.pipe_names:
        if "doc.ents" in nlp.get_pipe_meta(name).assigns:
            return name
    return None


def fallback_confidence(nlp: Language) -> Optional[float]:
    """The confidence below which the pipeline rejects a text, where its rejection is a threshold
    on the confidence, as Rasa's ``FallbackClassifier`` ``threshold`` is: ``1 - oos.threshold`` for
    exclusive intents scored by ``msp`` (rejected when 1 − the top probability is above
    ``oos.threshold``), ``threshold`` for multi-label intents (rejected when no label reaches it).
    None for the other scores (``energy``, ``mahalanobis``, ``msp_mahalanobis``) and without
    rejection: :func:`rasa_parse_result` then gives the top intent's confidence."""
    for _, pipe in nlp.pipeline:
        cfg = getattr(pipe, "cfg", None)
        if not isinstance(cfg, dict) or oos_block(cfg)["score"] == "none":
            continue
        if not cfg.get("exclusive_classes", True):
            return cfg.get("threshold")
        block = oos_block(cfg)
        if block["score"] == "msp" and block["threshold"] is not None:
            return score(1.0 - block["threshold"])
        return None
    return None


def project_record(record: Dict[str, Any], top_k: int) -> Dict[str, Any]:
    """The record ``nlp-rnn predict`` prints, with the ranking cut to ``top_k``."""
    return dict(record, ranking=record["ranking"][:top_k]) if "ranking" in record else record


def rasa_parse_result(
    record: Dict[str, Any], extractor: Optional[str], message_id: Optional[str] = None, fallback_confidence: Optional[float] = None
) -> Dict[str, Any]:
    """Rasa's ``POST /model/parse`` response for one record: ``{"text", "intent": {"name",
    "confidence"}, "intent_ranking": [...], "entities": [{"entity", "start", "end", "value",
    "confidence_entity", "extractor"}]}`` (plus ``message_id`` when the request had one).

    A text the intent component rejects as out of scope gets what Rasa's ``FallbackClassifier``
    writes: the intent ``nlu_fallback`` with ``fallback_confidence`` (the pipeline's confidence
    threshold, :func:`fallback_confidence`; None: the top intent's confidence), and the same
    entry inserted first in ``intent_ranking``, before the top 10 intents."""
    ranking = [
        {"name": item.get("intent", item.get("name")), "confidence": item.get("score", item.get("confidence"))}
        for item in record.get("ranking", [])[:RASA_RANKING_LENGTH]
    ]
    intent = {"name": record.get("intent"), "confidence": record.get("confidence") or 0.0}
    if record.get("out_of_scope"):
        confidence = fallback_confidence if fallback_confidence is not None else intent["confidence"]
        intent = {"name": FALLBACK_INTENT, "confidence": confidence}
        ranking.insert(0, dict(intent))
    result: Dict[str, Any] = {
        "text": record["text"],
        "intent": intent,
        "intent_ranking": ranking,
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
