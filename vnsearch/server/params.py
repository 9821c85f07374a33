"""Query-string parameters turned into ``SearchEngine.search`` options, checked against the limits."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from vnsearch.server.errors import ApiError
from vnsearch.server.limits import Limits

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Parameters of GET /search; anything else is a mistake worth telling the client about.
SEARCH_PARAMS = ("q", "limit", "page", "offset", "since", "until", "sort", "source", "category", "facets",
                 "recent", "half_life", "collapse", "suggest", "snippet_chars", "exact")


def text(params: QueryParams, name: str, limits: Limits, required: bool = True) -> str:
    """A text parameter (``q``, ``text``), at most ``query_chars`` long (414 past that)."""
    value = params.get(name)
    if value is None or not value.strip():
        if required:
            raise ApiError(400, f"parameter {name!r} is required")
        return ""
    if len(value) > limits.query_chars:
        raise ApiError(414, f"{name} is {len(value)} characters long; the limit is {limits.query_chars}")
    return value


def integer(params: QueryParams, name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number, got {raw[:40]!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{name} must be {bound}, got {value}")
    return value


def number(params: QueryParams, name: str, default: float) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a number, got {raw[:40]!r}") from None


def flag(params: QueryParams, name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ApiError(400, f"{name} must be true or false, got {raw[:40]!r}")


def names(params: QueryParams, name: str) -> list[str] | None:
    """A repeatable filter (``source=a&source=b``): any one of the names will do."""
    values = [v for v in params.getlist(name) if v.strip()]
    for v in values:
        if len(v) > 200:
            raise ApiError(400, f"{name} is too long (at most 200 characters)")
    return values or None


def search_options(params: QueryParams, limits: Limits, default_limit: int = 10,
                   strict: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``SearchEngine.search`` (without the query), from ``/search``'s parameters.

    ``page`` and ``offset`` both count from the first result; ``offset +
    limit`` may not pass ``max_depth``. With *strict*, unknown parameters are
    a 400: a misspelt option silently ignored would give wrong results.
    """
    if strict:
        unknown = sorted(set(params.keys()) - set(SEARCH_PARAMS))
        if unknown:
            raise ApiError(400, f"unknown parameter {unknown[0]!r}; known: {', '.join(SEARCH_PARAMS)}")
    limit = integer(params, "limit", default_limit, 0, limits.max_limit)  # 0: totals and facets only
    assert limit is not None
    page = integer(params, "page", None, 1)
    offset = integer(params, "offset", None, 0)
    if page is not None and offset is not None:
        raise ApiError(400, "give page or offset, not both")
    start = offset if offset is not None else ((page or 1) - 1) * limit
    if start + limit > limits.max_depth:
        raise ApiError(400, f"results past {limits.max_depth} are not served (offset + limit); narrow the query")
    options: dict[str, Any] = {
        "limit": limit,
        "offset": start,
        "sort": params.get("sort") or "relevance",
        "facets": flag(params, "facets", False),
        "recent": flag(params, "recent", False),
        "half_life": number(params, "half_life", 180.0),
        "collapse": flag(params, "collapse", True),
        "suggest": flag(params, "suggest", True),
        "exact": flag(params, "exact", False),
        "snippet_chars": integer(params, "snippet_chars", 240, 20, limits.snippet_chars),
    }
    for key in ("since", "until"):
        value = params.get(key)
        if value:
            if len(value) > 10:
                raise ApiError(400, f"{key} must be YYYY, YYYY-MM or YYYY-MM-DD")
            options[key] = value
    for key in ("source", "category"):
        chosen = names(params, key)
        if chosen:
            options[key] = chosen
    return options
