"""The search page for people: server-rendered HTML that works without JavaScript.

Every piece of article text goes through Jinja's autoescaping; the only
live markup is the engine's ``<mark>`` from :meth:`vnsearch.Snippet.html`,
which escapes the text around it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from vnsearch import Article, Hit, SearchEngine
from vnsearch.errors import QueryError
from vnsearch.server import params as P
from vnsearch.server.api import _host, _limits
from vnsearch.server.errors import ApiError, clean, status_of

PAGE_SIZE = 10
SORT_NAMES = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
FACET_NAMES = {"source": "Source", "category": "Category", "month": "Month"}
# The page's own parameters; a link keeps these and changes one.
PAGE_PARAMS = ("q", "since", "until", "sort", "source", "category")

env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                  trim_blocks=True, lstrip_blocks=True)
env.filters["clean"] = clean


def link(params: QueryParams, **changes: str | None) -> str:
    """``/?…`` with the page's parameters, *changes* applied (None removes one); back to page 1."""
    kept = [(k, v) for k, v in params.multi_items() if k in PAGE_PARAMS and k not in changes and v]
    kept += [(k, v) for k, v in changes.items() if v]
    return "/?" + urlencode(kept) if kept else "/"


def _hit_view(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        # Snippet.html() escapes the text and adds only <mark>; clean() swaps control characters.
        "title_html": Markup(clean(hit.title_snippet.html())),
        "snippet_html": Markup(clean(hit.snippet_obj.html())),
        "date": hit.date,
        "source": clean(hit.display_source),
        "credit": clean(hit.credit) if hit.credit and hit.credit != hit.display_source else "",
        "category": clean(hit.category),
        "similar": len(hit.similar_ids),
    }


def _month_link(params: QueryParams, month: str) -> str:
    return link(params, since=month, until=month)


def _facet_view(params: QueryParams, facets: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    views = []
    for name, title in FACET_NAMES.items():
        counts = facets.get(name) or {}
        items = []
        for value, count in list(counts.items())[:12]:
            if not value:
                continue
            if name == "month":
                href = _month_link(params, value)
                active = params.get("since") == value and params.get("until") == value
            else:
                active = value in params.getlist(name)
                href = link(params, **{name: None if active else value})
            items.append({"value": value, "count": count, "href": href, "active": active})
        if items:
            views.append({"name": name, "title": title, "items": items})
    return views


async def search_page(request: Request) -> HTMLResponse:
    params = request.query_params
    limits = _limits(request)
    context: dict[str, Any] = {"q": params.get("q", ""), "since": params.get("since", ""),
                               "until": params.get("until", ""), "sort": params.get("sort", "relevance"),
                               "sorts": SORT_NAMES, "filters": [], "error": None, "results": None,
                               "home": not params.get("q", "").strip()}
    for key in ("source", "category"):
        for value in params.getlist(key):
            context["filters"].append({"name": key, "value": value, "href": link(params, **{key: None})})
    status = 200
    if context["q"].strip():
        try:
            query = P.text(params, "q", limits)
            page = P.integer(params, "page", 1, 1) or 1
            options: dict[str, Any] = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE, "facets": True,
                                       "sort": context["sort"] or "relevance"}
            if options["offset"] + PAGE_SIZE > limits.max_depth:
                raise ApiError(400, f"results past {limits.max_depth} are not shown; narrow the search")
            for key in ("since", "until"):
                if params.get(key):
                    options[key] = params[key]
            for key in ("source", "category"):
                if params.getlist(key):
                    options[key] = params.getlist(key)

            def call(engine: SearchEngine) -> dict[str, Any]:
                r = engine.search(query, **options)
                return {"hits": [_hit_view(h) for h in r], "total": r.total, "matched": r.matched,
                        "suggestion": r.suggestion, "facets": r.facets or {}, "rewritten": r.rewritten,
                        "corrections": r.corrections}

            found = await _host(request).read(call)
            # In relevance order the hits run on past those matching every word into those matching some.
            listed = found["matched"] if options["sort"] == "relevance" else found["total"]
            context["listed"] = listed
            last = max(1, min((listed + PAGE_SIZE - 1) // PAGE_SIZE, limits.max_depth // PAGE_SIZE))
            context["results"] = found
            context["facets"] = _facet_view(params, found["facets"])
            context["suggestion_href"] = link(params, q=found["suggestion"]) if found["suggestion"] else None
            context["page"] = page
            context["first_shown"] = options["offset"] + 1
            context["pages"] = [{"n": n, "href": _page_link(params, n)}
                                for n in range(max(1, page - 4), min(last, page + 4) + 1)]
            context["prev_href"] = _page_link(params, page - 1) if page > 1 else None
            context["next_href"] = _page_link(params, page + 1) if page < last else None
        except (ApiError, QueryError) as exc:
            status, message, _ = status_of(exc)
            context["error"] = message
    return HTMLResponse(env.get_template("search.html").render(context), status_code=status)


def _page_link(params: QueryParams, page: int) -> str:
    base = link(params)
    if page <= 1:
        return base
    return base + ("&" if "?" in base else "?") + f"page={page}"


async def _article_and_related(request: Request, limit: int) -> tuple[Article, list[dict[str, Any]]] | HTMLResponse:
    """The article of the path and the views of its *limit* related articles, or the 404 page."""
    article_id: str = request.path_params["article_id"]

    def call(engine: SearchEngine) -> tuple[Article, list[dict[str, Any]]] | None:
        article = engine.get(article_id)
        if article is None:
            return None
        return article, [_hit_view(h) for h in engine.similar(article_id, limit=limit)]

    found = await _host(request).read(call)
    if found is None:
        return HTMLResponse(env.get_template("missing.html").render({"id": article_id}), status_code=404)
    return found


async def article_page(request: Request) -> HTMLResponse:
    found = await _article_and_related(request, 5)
    if isinstance(found, HTMLResponse):
        return found
    article, related = found
    url = article.url if article.url.startswith(("https://", "http://")) else ""
    paragraphs = [p for p in article.body.split("\n") if p.strip()]
    return HTMLResponse(env.get_template("article.html").render(
        {"article": article, "paragraphs": paragraphs, "related": related, "url": url}))


async def related_page(request: Request) -> HTMLResponse:
    """The articles related to one, listed like search results (the "related" link of a hit)."""
    found = await _article_and_related(request, PAGE_SIZE)
    if isinstance(found, HTMLResponse):
        return found
    article, hits = found
    return HTMLResponse(env.get_template("related.html").render({"article": article, "hits": hits}))


ROUTES = [
    Route("/", search_page, methods=["GET"]),
    Route("/a/{article_id}", article_page, methods=["GET"]),
    Route("/a/{article_id}/related", related_page, methods=["GET"]),
]
