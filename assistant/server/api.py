"""The HTTP API (`/api`, OpenAI-compatible `/v1`) and the app that serves it together with the browser chat.

One `Assistant` per process is shared by every request. Answering blocks (retrieval, ONNX embedding, maybe
an LLM call), so it runs in worker threads, at most `settings.concurrency` questions at a time; further
requests wait for a slot instead of oversubscribing the CPU.
"""

from __future__ import annotations

import copy
import inspect
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import __version__
from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.errors import ArticleNotFound, AssistantError, IngestInProgress, InvalidFilters, InvalidQuestion
from assistant.server.openai_compat import (
    MODEL_NAME,
    ChatCompletionRequest,
    ConversationError,
    chat_completion,
    completion_chunks,
    models_list,
    question_and_history,
)
from assistant.store import StoreUnavailable
from assistant.text import clean
from assistant.types import Answer, ArticleList, ArticleSummary, Filters, Turn

log = logging.getLogger(__name__)

T = TypeVar("T")

UPLOAD_PATH = "/gradio_api/upload"  # the chat's file upload route (Gradio's own)

# The methods each endpoint allows: a 405 names them in its Allow header.
ENDPOINTS = {
    "/api/health": "GET",
    "/api/status": "GET",
    "/api/ask": "POST",
    "/v1/models": "GET",
    "/v1/chat/completions": "POST",
}
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]
# A question must hold a character that is neither white space nor a control character (those are removed).
QUESTION_PATTERN = r"[^\s\x00-\x1f\x7f-\x9f]"


class ErrorDetail(BaseModel):
    code: str = Field(description="What a client branches on, e.g. invalid_question, invalid_filter, unauthorized.")
    message: str
    type: str | None = Field(default=None, description="/v1 only: the OpenAI error type.")
    param: None = Field(default=None, description="/v1 only, always null.")


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx answer of /api and /v1."""

    error: ErrorDetail


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses an endpoint can answer with."""
    why = {
        401: "Missing or wrong bearer token (only when the server has an access token).",
        404: "Unknown model (`model_not_found`) or article (`article_not_found`).",
        409: "An ingest is writing to the collection; try again when it has finished (`ingest_in_progress`).",
        413: "The request body is over `NEWS_ASSISTANT_MAX_BODY_BYTES` (`payload_too_large`).",
        422: "Invalid JSON, a missing or unknown field, an empty or too long question, an invalid filter "
        "(`invalid_json`, `missing_field`, `unknown_field`, `invalid_question`, `invalid_filter`, "
        "`invalid_request`).",
        431: "The request headers are over `NEWS_ASSISTANT_MAX_HEADER_BYTES` (`headers_too_large`).",
        503: "The vector store is unreachable (`store_unavailable`).",
    }
    return {status: {"model": ErrorResponse, "description": why[status]} for status in statuses}


class ApiError(Exception):
    """An error the client can act on, answered as {"error": {"code": ..., "message": ...}}."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class RequestLimits:
    """Refuses request bodies over `max_bytes` with 413 before they are read into memory or parsed: by the declared
    Content-Length at once, and while reading a body sent without one (chunked). Refuses header blocks over
    `max_header_bytes` with 431 (a 1 MB header was accepted and carried through every layer)."""

    def __init__(self, app: Any, max_bytes: int, max_header_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes

    def _limit(self, path: str) -> int:
        return self.max_upload_bytes if path == UPLOAD_PATH else self.max_bytes

    def _refusal(self, path: str) -> JSONResponse:
        message = f"the request body is over the limit of {self._limit(path):,} bytes"
        return error_json(path, 413, "payload_too_large", message, {"Connection": "close"})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(key) + len(value) + 4 for key, value in scope["headers"])  # "key: value\r\n"
        if header_bytes > self.max_header_bytes:
            message = f"the request headers are over the limit of {self.max_header_bytes:,} bytes"
            refusal = error_json(scope["path"], 431, "headers_too_large", message, {"Connection": "close"})
            await refusal(scope, receive, send)
            return
        declared = next((value for key, value in scope["headers"] if key == b"content-length"), b"")
        limit = self._limit(scope["path"])
        if declared.isdigit() and int(declared) > limit:
            await self._refusal(scope["path"])(scope, receive, send)
            return
        seen = 0
        too_large = False

        async def limited_receive() -> Any:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request" and not too_large:
                seen += len(message.get("body", b""))
                if seen > limit:  # stop reading; the app's answer to the cut body is replaced below
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        replaced = False

        async def guarded_send(message: Any) -> None:
            nonlocal replaced
            if not too_large:
                await send(message)
            elif not replaced and message["type"] == "http.response.start":
                replaced = True
                await self._refusal(scope["path"])(scope, receive, send)

        await self.app(scope, limited_receive, guarded_send)


class MethodGuard:
    """405 with an Allow header for a method an endpoint does not take, whatever the method (TRACE, QUERY, ...);
    without it, methods no route lists fell through to the chat's 404 page."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        allowed = ENDPOINTS.get(scope.get("path", "")) if scope["type"] == "http" else None
        usable = {allowed, "HEAD"} if allowed == "GET" else {allowed}
        if allowed is None or scope["method"] in usable:
            await self.app(scope, receive, send)
            return
        message = f"{scope['method']} is not allowed on {scope['path']}; use {allowed}"
        await error_json(scope["path"], 405, "method_not_allowed", message, {"Allow": allowed})(scope, receive, send)


class AskRequest(BaseModel):
    """The body of POST /api/ask."""

    model_config = ConfigDict(extra="forbid")

    question: str
    filters: Filters | None = None
    history: list[Turn] = Field(default_factory=list, max_length=200)


def configured_token(settings: Settings) -> str | None:
    """The bearer token, or None when auth is off (an empty token counts as off)."""
    if settings.auth_token is None:
        return None
    return settings.auth_token.get_secret_value() or None


def _openai_error_type(status: int) -> str:
    return {401: "authentication_error", 404: "not_found_error", 503: "service_unavailable"}.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )


def error_json(path: str, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape; /v1 adds the fields OpenAI clients look for (type, param)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if path.startswith("/v1/"):
        error |= {"type": _openai_error_type(status), "param": None}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return error_json(request.url.path, status, code, message, headers)


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def _validation_code(errors: list[dict[str, Any]]) -> str:
    """A code for the first problem: what a client would branch on."""
    if not errors:
        return "invalid_request"
    first = errors[0]
    location = [str(part) for part in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return "invalid_json"
    if "filters" in location:
        return "invalid_filter"
    if location[-1:] == ["question"] and first.get("type") in (
        "string_too_short",
        "string_too_long",
        "string_pattern_mismatch",
    ):
        return "invalid_question"
    return {"missing": "missing_field", "extra_forbidden": "unknown_field"}.get(
        str(first.get("type")), "invalid_request"
    )


_BODY_UNPARSABLE = "There was an error parsing the body"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return error_response(request, 422, _validation_code(errors), _validation_message(errors))

    @app.exception_handler(ValidationError)
    async def _model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        errors = [dict(error) for error in exc.errors()]
        return error_response(request, 422, "invalid_request", _validation_message(errors))

    # The errors a user can act on, each with its status and code (the most specific class wins).
    user_errors: list[tuple[type[Exception], int, str]] = [
        (InvalidQuestion, 422, "invalid_question"),
        (InvalidFilters, 422, "invalid_filter"),
        (ArticleNotFound, 404, "article_not_found"),
        (IngestInProgress, 409, "ingest_in_progress"),
        (AssistantError, 400, "bad_request"),
    ]
    for error, status, code in user_errors:

        async def _user_error(request: Request, exc: Exception, status: int = status, code: str = code) -> JSONResponse:
            return error_response(request, status, code, str(exc))

        app.add_exception_handler(error, _user_error)

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("store unavailable: %s", exc)
        return error_response(request, 503, "store_unavailable", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _BODY_UNPARSABLE:
            # FastAPI's answer to a body json.loads raised on other than JSONDecodeError (bytes that are not
            # UTF-8, nesting deep enough to hit the recursion limit): the same case as any other bad JSON.
            return error_response(
                request, 422, "invalid_json", "the body is not valid JSON (not UTF-8, or nested too deeply)"
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(request, exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log, never to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", "internal server error; the server log has details")


def create_app(assistant: Assistant, *, with_ui: bool = True) -> FastAPI:
    """The FastAPI app: /api, /v1 and (unless `with_ui` is False) the Gradio chat mounted at "/"."""
    settings = assistant.settings
    limiters: list[anyio.CapacityLimiter] = []  # created on first use: a limiter belongs to the running loop

    def answer_slots() -> anyio.CapacityLimiter:
        if not limiters:
            limiters.append(anyio.CapacityLimiter(settings.concurrency))
        return limiters[0]

    async def in_worker(fn: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(fn, limiter=answer_slots())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(assistant.ensure_seeded)
        except StoreUnavailable as exc:  # keep serving: /api/health works and requests get a clear 503
            log.error("could not check or seed the collection at startup: %s", exc)
        yield

    # With a token set, the interactive docs are off (a browser cannot send the bearer token they would need)
    # and the schema itself needs the token: what the API offers is no business of an anonymous caller.
    protected = configured_token(settings) is not None
    app = FastAPI(
        title="news-assistant",
        version=__version__,
        summary="Answers questions about news articles, citing the passages. Browser chat at /.",
        lifespan=lifespan,
        docs_url=None if protected else "/docs",
        redoc_url=None if protected else "/redoc",
        openapi_url=None if protected else "/openapi.json",
    )
    _install_error_handlers(app)
    app.add_middleware(MethodGuard)
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )

    def require_token(request: Request) -> None:
        expected = configured_token(settings)
        if expected is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected.encode()):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})

    authorized = [Depends(require_token)]

    static_schema = app.openapi

    def schema_with_facets() -> dict[str, Any]:
        """The schema, with the sources and categories this collection holds as the only values filters accept:
        what the server checks (a value it does not hold is a 422 that names the ones it has)."""
        schema = copy.deepcopy(static_schema())
        try:
            facets = assistant.store.facets()
        except StoreUnavailable:
            return schema
        properties = schema["components"]["schemas"]["Filters"]["properties"]
        for name in ("source", "category"):
            array = next(option for option in properties[name]["anyOf"] if option.get("type") == "array")
            if facets[name]:
                array["items"]["enum"] = list(facets[name])
            else:
                array["maxItems"] = 0
        return schema

    app.openapi = schema_with_facets  # type: ignore[method-assign]

    if protected:

        @app.get("/openapi.json", include_in_schema=False, dependencies=authorized)
        def openapi_schema() -> dict[str, Any]:
            return app.openapi()

    # The question's limits, stated in the published schema as this server applies them (the length is a setting).
    ask_body = create_model(
        "AskRequest",
        __base__=AskRequest,
        question=(
            # cleaned first: a lone surrogate ("\ud800" in JSON) cannot even be matched against the pattern
            Annotated[str, BeforeValidator(lambda value: clean(value) if isinstance(value, str) else value)],
            Field(min_length=1, max_length=settings.max_question_chars, pattern=QUESTION_PATTERN),
        ),
    )

    @app.get("/api/health", tags=["api"], responses=_errors(413, 431))
    def health() -> dict[str, str]:
        """Liveness: the process answers HTTP. Needs no token."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/status", tags=["api"], dependencies=authorized, responses=_errors(401, 413, 431, 503))
    async def status() -> dict[str, Any]:
        """What the collection holds: articles, chunks, last ingest, categories, sources, date range."""
        stats = await anyio.to_thread.run_sync(assistant.status)
        return {**asdict(stats), "fully_embedded": stats.fully_embedded}

    @app.get("/api/articles", tags=["api"], dependencies=authorized, responses=_errors(401, 413, 422, 431, 503))
    async def articles(
        request: Request,
        q: Annotated[
            str, Query(max_length=200, description="Words every article has in its title, path, source or category")
        ] = "",
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many, newest first")] = 50,
    ) -> ArticleList:
        """The collection's articles matching `q` (all for ""): how many match, and the newest `limit`."""
        repeated = sorted({key for key in request.query_params if len(request.query_params.getlist(key)) > 1})
        if repeated:  # FastAPI would silently take the last of them
            raise ApiError(422, "invalid_request", f"query parameter given more than once: {', '.join(repeated)}")
        return await anyio.to_thread.run_sync(partial(assistant.articles, q, limit))

    @app.delete(
        "/api/articles/{article_id}",
        tags=["api"],
        dependencies=authorized,
        responses=_errors(401, 404, 409, 413, 431, 503),
    )
    async def remove_article(article_id: Annotated[str, Path(max_length=200)]) -> ArticleSummary:
        """Take one article (every copy) out of the collection; its file is not touched. Returns what was removed."""
        return await anyio.to_thread.run_sync(partial(assistant.remove_article, article_id))

    async def ask(body: Any) -> Answer:
        """Answer a question from the articles (same JSON as `news-assistant ask --json`)."""
        filters = None if body.filters is None or body.filters.is_empty() else body.filters
        return await in_worker(partial(assistant.ask, body.question, filters=filters, history=body.history))

    # a model made at run time cannot be named in a (postponed, string) annotation: FastAPI reads the signature
    ask.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ask_body)],
        return_annotation=Answer,
    )
    app.post("/api/ask", tags=["api"], dependencies=authorized, responses=_errors(401, 413, 422, 431, 503))(ask)

    @app.get("/v1/models", tags=["openai"], dependencies=authorized, responses=_errors(401, 413, 431))
    def models() -> dict[str, Any]:
        return models_list()

    @app.post(
        "/v1/chat/completions",
        tags=["openai"],
        dependencies=authorized,
        response_model=None,
        responses={
            200: {
                "description": "A chat completion; with `stream: true`, server-sent chat completion chunks.",
                "content": {"application/json": {}, "text/event-stream": {}},
            },
            **_errors(401, 404, 413, 422, 431, 503),
        },
    )
    async def chat_completions(body: ChatCompletionRequest) -> JSONResponse | StreamingResponse:
        """OpenAI chat completions: the last user message is the question, earlier messages the history."""
        if body.model != MODEL_NAME:
            raise ApiError(404, "model_not_found", f"unknown model {body.model!r}; this server has {MODEL_NAME!r}")
        try:
            question, history = question_and_history(body.messages)
        except ConversationError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from None
        filters = None if body.filters is None or body.filters.is_empty() else body.filters
        # Answered before the response starts, so a bad question is still a 4xx and not a broken stream.
        answer = await in_worker(partial(assistant.ask, question, filters=filters, history=history))
        if not body.stream:
            return JSONResponse(chat_completion(answer))
        return StreamingResponse(
            _server_sent_events(answer), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @app.api_route("/api/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    def unknown_endpoint(request: Request, rest: str) -> None:
        # Without this, unknown /api and /v1 paths would fall through to the Gradio app and its 404 page.
        raise ApiError(404, "not_found", f"no endpoint {request.url.path}")  # wrong methods: MethodGuard

    if with_ui:
        from assistant.server.web import mount_ui  # Gradio is only imported when the chat is served

        mount_ui(app, assistant)
    return app


def _server_sent_events(answer: Answer) -> Iterator[str]:
    for chunk in completion_chunks(answer):
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
