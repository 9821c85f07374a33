"""Checking a search's options and turning them into what the ranker takes."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from vnsearch.errors import QueryError
from vnsearch.search.query import SORTS, ParsedQuery, date_range, parse_query

__all__ = ["search_options", "whole_numbers"]


def whole_numbers(**values: Any) -> None:
    """Raise ``TypeError`` for any of *values* (limit, offset…) that is not an int: a caller's mistake.

    Not a :class:`QueryError` (nothing the user typed) and never damage:
    ``limit=2.5`` would otherwise fail deep inside the ranker.
    """
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def search_options(query: str | ParsedQuery, limit: int, offset: int, page: int | None, half_life: Any,
                   half_life_days: Any, sort: str, recent: bool, since: Any, until: Any,
                   source: str | Sequence[str] | None, category: str | Sequence[str] | None,
                   exact: bool = False) -> tuple[ParsedQuery, ParsedQuery, int, float | None, dict[str, list[str]]]:
    """(query with the date options applied, query as typed, offset, half-life or None, filters).

    Raises :class:`QueryError`, with a message for the user, for any option
    that cannot be searched; see :meth:`vnsearch.engine.SearchEngine.search`.
    """
    if isinstance(query, ParsedQuery):
        parsed = typed = parse_query(query.text, exact=True) if exact and not query.exact_all else query
    else:
        parsed = typed = parse_query(query, exact=exact)
    whole_numbers(limit=limit, offset=offset)
    if limit < 0 or offset < 0:
        raise QueryError("limit and offset must not be negative")
    if page is not None:
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise QueryError("page must be a whole number from 1")
        if offset:
            raise QueryError("give page or offset, not both")
        offset = (page - 1) * limit
    if half_life_days is not None:
        half_life = half_life_days
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use {', '.join(SORTS)}")
    life: Any = half_life
    decay: float | None = None
    if recent:
        if sort != "relevance":
            raise QueryError(f"recent ranking applies to the relevance order, not sort={sort!r}")
        try:
            decay = float(life)
        except (TypeError, ValueError):
            raise QueryError("half_life must be a number of days") from None
        if not decay > 0 or decay == float("inf"):
            raise QueryError("half_life must be a positive number of days")
    if since is not None or until is not None:
        parsed = copy.copy(parsed)  # the caller's query stays as it was
        parsed.restrict_dates(date_range(since, "since")[0] if since is not None else None,
                              date_range(until, "until")[1] if until is not None else None)
    if parsed.since is not None and parsed.until is not None and parsed.since > parsed.until:
        raise QueryError(f"the date range is empty: since {_day(parsed.since)} is after until {_day(parsed.until)}")
    filters: dict[str, list[str]] = {}
    for key, value in (("source", source), ("category", category)):
        if value is not None:
            values = [value] if isinstance(value, str) else list(value)
            if not all(isinstance(v, str) and v.strip() for v in values):
                raise QueryError(f"{key} must be a non-empty name or a list of them")
            filters[key] = values
    return parsed, typed, offset, decay, filters


def _day(value: int) -> str:
    return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"
