"""Error responses of the HTTP API: one JSON shape for every error.

Every error is ``{"error": message, "detail": [{"type", "loc", "msg"}, ...]}``: ``detail`` lists
pydantic's items for an invalid body (one per problem) and one item for every other error (a
missing token, an empty batch, a text that is too long or not valid Unicode, an unknown path,
a model failure), so a client reads one schema whatever went wrong. Malformed JSON → 400, other
invalid bodies → 422; a body larger than the limits allow → 413 before it is read.
"""

from http import HTTPStatus
from typing import Any, Dict, List, Optional, Sequence, Union

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .settings import ServeSettings

Loc = Sequence[Union[str, int]]


class RequestError(HTTPException):
    """An error the app finds itself: HTTP ``status``, the message, where (``loc``, as pydantic
    writes it: ``["body", "texts", 1]``) and a short machine-readable ``kind``."""

    def __init__(self, status: int, message: str, loc: Loc = (), kind: Optional[str] = None, headers: Optional[Dict[str, str]] = None):
        super().__init__(status, message, headers=headers)
        self.loc = list(loc)
        self.kind = kind or status_kind(status)


def status_kind(status: int) -> str:
    """``404`` → ``"not_found"``: the ``type`` of an error item when nothing more precise is known."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_response(status: int, message: str, detail: List[Dict[str, Any]], headers: Optional[Dict[str, str]] = None) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=status, headers=headers)


def error_item(kind: str, loc: Loc, message: str) -> Dict[str, Any]:
    return {"type": kind, "loc": list(loc), "msg": message}


def lone_surrogate(text: str) -> Optional[int]:
    """The index of the first lone surrogate in ``text`` (valid JSON, e.g. ``"\\ud800"``, but no
    Unicode text: UTF-8 cannot encode it), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def check_unicode(text: str, loc: Loc, where: str) -> None:
    """:class:`RequestError` 422 when ``text`` (called ``where`` in the message) has a lone surrogate."""
    position = lone_surrogate(text)
    if position is not None:
        message = f"{where} has a lone surrogate ({text[position].encode('unicode_escape').decode()}) at character {position}: not valid Unicode text"
        raise RequestError(422, message, loc, "invalid_unicode")


def install_error_handlers(app: FastAPI, settings: ServeSettings) -> None:
    """JSON errors everywhere (see the module docstring)."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errors = [{key: value for key, value in error.items() if key in ("type", "loc", "msg")} for error in exc.errors()]
        if any(error.get("type") == "json_invalid" for error in errors):
            return error_response(400, "malformed JSON in the request body", errors)
        message = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors)
        return error_response(422, f"invalid request: {message}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        loc, kind = (exc.loc, exc.kind) if isinstance(exc, RequestError) else ([], status_kind(exc.status_code))
        message = str(exc.detail)
        return error_response(exc.status_code, message, [error_item(kind, loc, message)], getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        message = f"internal error: {type(exc).__name__}"
        return error_response(500, message, [error_item("internal_error", [], message)])

    limit = settings.max_body_bytes()

    @app.middleware("http")
    async def limit_body_size(request: Request, call_next):
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            message = f"request body of {length} bytes is larger than the {limit} accepted"
            return error_response(413, message, [error_item("too_large", ["header", "content-length"], message)])
        if request.method == "POST":
            # bodies are JSON whatever the Content-Type says (as a Rasa server reads them), so
            # `curl -d '{"text": ...}'` works without -H 'Content-Type: application/json'
            headers = [(k, v) for k, v in request.scope["headers"] if k.lower() != b"content-type"]
            request.scope["headers"] = headers + [(b"content-type", b"application/json")]
        return await call_next(request)
