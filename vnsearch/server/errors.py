"""Every failure as JSON ``{"error": "…"}`` with the right status: never a traceback, never an HTML page."""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vnsearch.errors import ArticleNotFound, IndexBusy, IndexUnusable, QueryError, VnsearchError
from vnsearch.server.limits import LIMITS

log = logging.getLogger("vnsearch.server")

# Control characters other than tab and newlines, and the bidirectional overrides that could
# make text display in another order than it is written.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """*text* with control characters and bidi overrides shown as U+FFFD, for echoing back or display."""
    return _CONTROL.sub("\ufffd", text)


class ApiError(Exception):
    """A request the server refuses: *status* and a one-line message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": clean(message)}, status_code=status, headers=headers)


def status_of(exc: BaseException) -> tuple[int, str, dict[str, str]]:
    """The HTTP status, message and headers for a library or server error."""
    if isinstance(exc, ApiError):
        return exc.status, exc.message, exc.headers
    if isinstance(exc, IndexBusy):
        return 503, str(exc), {"Retry-After": str(LIMITS.retry_after)}
    if isinstance(exc, ArticleNotFound):
        return 404, str(exc), {}
    if isinstance(exc, QueryError):
        return 400, str(exc), {}
    if isinstance(exc, IndexUnusable):
        return 503, str(exc), {}
    if isinstance(exc, VnsearchError):
        return 400, str(exc), {}
    return 500, "internal error", {}


async def on_error(request: Request, exc: Exception) -> Response:
    status, message, headers = status_of(exc)
    if status == 500:
        log.exception("error serving %s", request.url.path, exc_info=exc)
    return error_response(status, message, headers)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (unknown path) and 405 (wrong method), as JSON."""
    assert isinstance(exc, HTTPException)
    messages = {404: f"no such path: {request.url.path}", 405: f"method {request.method} not allowed here"}
    message = messages.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message, dict(exc.headers or {}))


HANDLERS = {
    HTTPException: on_http_error,
    ApiError: on_error,
    VnsearchError: on_error,
    Exception: on_error,
}
