"""Request and response bodies of the HTTP API (they also make the OpenAPI docs)."""

from typing import Any, Dict, List, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictStr


class RasaParseRequest(BaseModel):
    """Rasa's ``POST /model/parse`` request."""

    text: StrictStr = Field(..., description="The user message")
    message_id: Optional[StrictStr] = Field(None, description="Echoed back in the response")


class RasaIntent(BaseModel):
    name: Optional[str]
    confidence: float


class RasaEntity(BaseModel):
    entity: str
    start: int
    end: int
    value: str
    confidence_entity: Optional[float]
    extractor: Optional[str]


class RasaParseResponse(BaseModel):
    """Rasa's parse result: what ``POST /model/parse`` of a Rasa server returns."""

    model_config = ConfigDict(extra="allow")

    text: str
    intent: RasaIntent
    intent_ranking: List[RasaIntent]
    entities: List[RasaEntity]
    message_id: Optional[str] = None


class BatchRequest(BaseModel):
    """``POST /parse`` and ``POST /translate``: several texts at once."""

    texts: List[StrictStr] = Field(..., description="Texts to analyse, in order")
    top_k: Optional[int] = Field(None, ge=1, le=1000, description="Intents ranked per record (/parse)")


class BatchResponse(BaseModel):
    """One record per input text, in order (the schema ``nlp-rnn predict`` prints)."""

    results: List[Dict[str, Any]]


class TranslateResult(BaseModel):
    text: str
    translation: Optional[str]


class TranslateResponse(BaseModel):
    results: List[TranslateResult]


class ErrorResponse(BaseModel):
    """Every error: a message and what was wrong, one ``{"type", "loc", "msg"}`` item per problem
    (pydantic's items for an invalid body, one item otherwise)."""

    error: str
    detail: List[Dict[str, Any]]


class HealthResponse(BaseModel):
    status: str
    recent_batch_sizes: List[int]


class VersionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    model: str
    model_version: str
    lang: str
    components: List[Dict[str, str]]
    labels: Dict[str, List[str]]
    runtime: str
    package_version: str
    spacy_version: str
