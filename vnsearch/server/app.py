"""The ASGI application: ``create_app()`` for tests and embedding, ``app_from_env()`` for uvicorn's workers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vnsearch.server import api, pages
from vnsearch.server.errors import HANDLERS
from vnsearch.server.host import EngineHost
from vnsearch.server.limits import LIMITS, Limits
from vnsearch.server.openapi import openapi

# No script at all, styles only from our own stylesheet, nothing framed, forms only to us.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]

# Environment variables through which `vnsearch serve --workers N` hands its options to each worker.
ENV_INDEX, ENV_TOKEN = "VNSEARCH_SERVE_INDEX", "VNSEARCH_SERVE_TOKEN"


class SecurityHeaders:
    """Adds the Content-Security-Policy and friends to every response (pages, JSON, errors alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(index_dir: str | os.PathLike[str], token: str | None = None, limits: Limits = LIMITS) -> Starlette:
    """The server for the index at *index_dir* (which must exist: raises ``IndexNotFound``).

    Writes are accepted only with ``Authorization: Bearer <token>``, and not
    at all when *token* is empty.
    """
    host = EngineHost(Path(index_dir), limits)
    from vnsearch import __version__

    description = openapi(limits, __version__)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(description)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        host.close()

    routes = [
        *pages.ROUTES,
        *api.ROUTES,
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers=HANDLERS,
                    middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)
    app.state.host = host
    app.state.token = token or None
    app.state.limits = limits
    return app


def app_from_env() -> Starlette:
    """The factory uvicorn's worker processes call (``vnsearch.server.app:app_from_env``)."""
    return create_app(os.environ[ENV_INDEX], os.environ.get(ENV_TOKEN) or None)
