"""The JSON API: one endpoint per library call, with the library's option names."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from vnsearch import Article, ArticleError, Hit, SearchEngine, SearchResults
from vnsearch.errors import ArticleNotFound, VnsearchError
from vnsearch.server import params as P
from vnsearch.server.errors import ApiError, error_response
from vnsearch.server.host import EngineHost
from vnsearch.server.limits import Limits


def hit_dict(hit: Hit) -> dict[str, Any]:
    """``hit.to_dict()`` plus what a page needs to show it: rank, title highlights, category, credit."""
    d = hit.to_dict()
    d["rank"] = hit.rank
    d["title_highlights"] = [list(h) for h in hit.title_highlights]
    d["category"] = hit.category
    d["credit"] = hit.credit
    return d


def results_dict(results: SearchResults) -> dict[str, Any]:
    """Everything of a result list, read while the engine is still held (the suggestion is lazy)."""
    out: dict[str, Any] = {
        "total": results.total,
        "matched": results.matched,
        "suggestion": results.suggestion,
        "rewritten": results.rewritten,
        "corrections": results.corrections,
        "offset": results.offset,
        "hits": [hit_dict(h) for h in results],
    }
    if results.facets is not None:
        out["facets"] = results.facets
    return out


def _host(request: Request) -> EngineHost:
    host: EngineHost = request.app.state.host
    return host


def _limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def require_token(request: Request) -> None:
    """401 unless the server has a token and the request carries it (compared in constant time)."""
    token: str | None = request.app.state.token
    if not token:
        raise ApiError(401, "writes are disabled: start the server with --token to allow them",
                       {"WWW-Authenticate": "Bearer"})
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise ApiError(401, "missing or wrong token: send 'Authorization: Bearer <token>'",
                       {"WWW-Authenticate": "Bearer"})


def _article_id(request: Request) -> str:
    article_id: str = request.path_params["article_id"]
    if len(article_id) > _limits(request).ids_chars:
        raise ApiError(404, "no article with that id (ids are at most "
                            f"{_limits(request).ids_chars} characters)")
    return article_id


async def search(request: Request) -> JSONResponse:
    limits = _limits(request)
    query = P.text(request.query_params, "q", limits)
    options = P.search_options(request.query_params, limits)
    body = await _host(request).read(lambda e: results_dict(e.search(query, **options)))
    return JSONResponse(body)


async def get_article(request: Request) -> JSONResponse:
    article_id = _article_id(request)
    article = await _host(request).read(lambda e: e.get(article_id))
    if article is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return JSONResponse(article_dict(article))


def article_dict(article: Article) -> dict[str, Any]:
    d = article.to_dict()
    d.pop("origin", None)  # where the server read it from: not the client's business
    return d


async def similar(request: Request) -> JSONResponse:
    article_id = _article_id(request)
    limits = _limits(request)
    unknown = sorted(set(request.query_params.keys()) - {"limit"})
    if unknown:
        raise ApiError(400, f"unknown parameter {unknown[0]!r}; known: limit")
    limit = P.integer(request.query_params, "limit", 10, 1, limits.max_limit)
    assert limit is not None

    def call(engine: SearchEngine) -> dict[str, Any]:
        results = engine.similar(article_id, limit=limit)
        return {"id": article_id, "terms": results.query.text if results.query else "",
                "near_duplicates": results.near_duplicates, "hits": [hit_dict(h) for h in results]}

    return JSONResponse(await _host(request).read(call))


async def restore(request: Request) -> JSONResponse:
    text = P.text(request.query_params, "text", _limits(request))
    r = await _host(request).read(lambda e: e.restoration(text))
    return JSONResponse({"text": r.text, "confidence": round(r.confidence, 4), "changed": r.changed,
                         "syllables": r.syllables,
                         "syllable_confidence": [round(c, 4) for c in r.syllable_confidence]})


async def stats(request: Request) -> JSONResponse:
    figures = await _host(request).read(lambda e: e.stats())
    figures.pop("path", None)  # a path on the server
    return JSONResponse(figures)


async def health(request: Request) -> JSONResponse:
    """200 while the index can be read; 503 otherwise (for load balancers)."""
    try:
        count = await _host(request).read(len)
    except VnsearchError as exc:
        return error_response(503, str(exc))
    return JSONResponse({"status": "ok", "articles": count})


async def check(request: Request) -> JSONResponse:
    require_token(request)  # reads the whole index: not for anyone to trigger
    problems = await _host(request).read(lambda e: e.check())
    return JSONResponse({"ok": not problems, "problems": problems})


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_articles(body: bytes) -> tuple[list[Article], list[dict[str, Any]]]:
    """The articles of a JSON array or NDJSON body, and one problem per record that is not one.

    Problems carry the record's ``line`` (NDJSON, from 1) or ``index``
    (array, from 0), as the CLI reports a file's lines; the other records
    are kept.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 (byte {exc.start})") from None
    problems: list[dict[str, Any]] = []
    articles: list[Article] = []

    def take(record: Any, where: dict[str, Any]) -> None:
        try:
            articles.append(Article.from_dict(record, origin="request"))
        except ArticleError as exc:
            problems.append({**where, "error": f"{exc}; record skipped"})

    if text.lstrip().startswith("["):
        try:
            records = json.loads(text, strict=False)
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, f"the body is not a JSON array: {exc}") from None
        for i, record in enumerate(records):
            take(record, {"index": i})
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, strict=False)
            except (ValueError, RecursionError) as exc:
                problems.append({"line": lineno, "error": f"invalid JSON: {exc}; line skipped"})
                continue
            take(record, {"line": lineno})
    return articles, problems


async def add_articles(request: Request) -> JSONResponse:
    require_token(request)
    articles, problems = parse_articles(await _body(request, _limits(request).body_bytes))
    if not articles:
        message = "no article in the body" if not problems else "no article could be read from the body"
        return JSONResponse({"error": message, "problems": problems}, status_code=400)
    summary = await _host(request).write(lambda e: e.index_articles(articles))
    return JSONResponse({"added": summary.added, "replaced": summary.replaced, "unchanged": summary.unchanged,
                         "skipped": summary.skipped + len(problems), "problems": problems,
                         "warnings": summary.warnings})


async def delete_article(request: Request) -> JSONResponse:
    require_token(request)
    article_id = _article_id(request)
    count = await _host(request).write(lambda e: e.delete([article_id]))
    if not count:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return JSONResponse({"deleted": count})


ROUTES = [
    Route("/search", search, methods=["GET"]),
    Route("/articles", add_articles, methods=["POST"]),
    Route("/articles/{article_id}", get_article, methods=["GET"]),
    Route("/articles/{article_id}", delete_article, methods=["DELETE"]),
    Route("/articles/{article_id}/similar", similar, methods=["GET"]),
    Route("/restore", restore, methods=["GET"]),
    Route("/stats", stats, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/check", check, methods=["GET"]),
]
