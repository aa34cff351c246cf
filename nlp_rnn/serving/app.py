"""The FastAPI application around one loaded pipeline.

Endpoints: ``POST /model/parse`` (Rasa's request and response), ``POST /parse`` (a batch → the
records ``nlp-rnn predict`` prints), ``POST /translate`` (translator pipelines), ``GET /health``,
``GET /version``; OpenAPI docs at ``/docs``. Every error is JSON ``{"error": ..., "detail": [...]}``
(:mod:`.errors`) with a 4xx status for a bad request (400 malformed JSON, 401 missing / wrong
token, 413 text or batch too large, 422 wrong fields, an empty batch or a text that is not valid
Unicode) and 500 only when the model itself fails.
"""

import hmac
from contextlib import asynccontextmanager
from typing import List, Optional

import spacy
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from spacy.language import Language

from .. import __version__
from ..exported import is_exported_factory
from .batcher import MicroBatcher
from .errors import RequestError, check_unicode, install_error_handlers
from .records import PipelineRunner, project_record, rasa_parse_result
from .schemas import (
    BatchRequest,
    BatchResponse,
    ErrorResponse,
    HealthResponse,
    RasaParseRequest,
    RasaParseResponse,
    TranslateResponse,
    VersionResponse,
)
from .settings import ServeSettings

ERROR_RESPONSES = {code: {"model": ErrorResponse} for code in (400, 401, 413, 422, 500)}


def create_app(nlp: Language, settings: ServeSettings) -> FastAPI:
    """The application; the micro-batcher starts and stops with the app's lifespan."""
    settings.validate()
    runner = PipelineRunner(nlp)
    batcher = MicroBatcher(runner, max_batch=settings.max_batch, max_wait_ms=settings.max_wait_ms)
    require_token = bearer_token_check(settings.token())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()

    app = FastAPI(
        title="nlp_rnn",
        version=__version__,
        description="Intent detection, slot filling and translation with a trained nlp_rnn pipeline.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.batcher = batcher
    app.state.settings = settings
    install_error_handlers(app, settings)

    def check_texts(texts: List[str], field: str) -> None:
        """413 / 422 for a batch or a text the model must not see; ``field``: the body's field."""
        if not texts:
            raise RequestError(422, "the batch is empty: send at least one text", ["body", field], "too_short")
        if len(texts) > settings.max_batch_texts:
            raise RequestError(413, f"the batch has {len(texts)} texts; at most {settings.max_batch_texts} are accepted", ["body", field], "too_large")
        for i, text in enumerate(texts):
            where, loc = (f"text {i}", ["body", field, i]) if field == "texts" else ("the text", ["body", field])
            if len(text) > settings.max_text_length:
                raise RequestError(413, f"{where} has {len(text)} characters; at most {settings.max_text_length} are accepted", loc, "too_large")
            check_unicode(text, loc, where)

    async def analyse(texts: List[str]) -> List[dict]:
        try:
            return await batcher.submit(texts)
        except Exception as error:  # the model failed on one of these texts
            raise RequestError(500, f"the model failed: {type(error).__name__}: {error}", kind="model_error") from error

    # the endpoints return JSONResponse: the response models document the shape without a
    # second validation pass per request
    @app.post("/model/parse", response_model=RasaParseResponse, dependencies=[Depends(require_token)])
    async def model_parse(request: RasaParseRequest):
        """Rasa-compatible parse of one message: intent, ranking and entities."""
        check_texts([request.text], "text")
        if request.message_id is not None:
            check_unicode(request.message_id, ["body", "message_id"], "message_id")
        (record,) = await analyse([request.text])
        return JSONResponse(rasa_parse_result(record, runner.entity_extractor, request.message_id, runner.fallback_confidence))

    @app.post("/parse", response_model=BatchResponse, dependencies=[Depends(require_token)])
    async def parse(request: BatchRequest):
        """Several texts → one record each, as ``nlp-rnn predict`` prints them."""
        check_texts(request.texts, "texts")
        records = await analyse(request.texts)
        top_k = request.top_k or settings.default_top_k
        return JSONResponse({"results": [project_record(record, top_k) for record in records]})

    @app.post("/translate", response_model=TranslateResponse, dependencies=[Depends(require_token)])
    async def translate(request: BatchRequest):
        """Translate several texts (translator pipelines only)."""
        if not runner.has_translator:
            raise RequestError(400, "this model has no translator component (rnn_translator)", kind="no_translator")
        check_texts(request.texts, "texts")
        records = await analyse(request.texts)
        return {"results": [{"text": r["text"], "translation": r.get("translation")} for r in records]}

    @app.get("/health", response_model=HealthResponse)
    async def health():
        """Liveness: the model is loaded and the batcher runs (no token needed)."""
        return {"status": "ok", "recent_batch_sizes": batcher.batch_sizes[-20:]}

    @app.get("/version", response_model=VersionResponse, dependencies=[Depends(require_token)])
    async def version():
        """Model name, components, labels and versions."""
        return version_info(nlp)

    return app


def version_info(nlp: Language) -> dict:
    factories = {name: nlp.get_pipe_meta(name).factory for name in nlp.pipe_names}
    return {
        "model": nlp.meta.get("name", ""),
        "model_version": str(nlp.meta.get("version", "")),
        "lang": nlp.lang,
        "components": [{"name": name, "factory": factory} for name, factory in factories.items()],
        "labels": {name: [str(label) for label in getattr(pipe, "labels", ()) or ()] for name, pipe in nlp.pipeline},
        "runtime": "onnxruntime" if any(is_exported_factory(f) for f in factories.values()) else "torch",
        "package_version": __version__,
        "spacy_version": spacy.__version__,
    }


def bearer_token_check(token: Optional[str]):
    """A dependency that accepts every request when ``token`` is None, else only those with
    ``Authorization: Bearer <token>`` (compared in constant time)."""
    expected = token.encode("utf-8") if token else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), expected):
            raise RequestError(401, "missing or wrong bearer token", ["header", "authorization"], "unauthorized", headers={"WWW-Authenticate": "Bearer"})

    return check

