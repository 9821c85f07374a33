"""The server's limits on what one request may ask for, each documented in the OpenAPI description."""

from __future__ import annotations

from dataclasses import dataclass

from vnsearch import caps


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one request from costing the server much more than another.

    A query longer than ``query_chars`` answers 414; ``limit`` above
    ``max_limit`` or results past ``max_depth`` (offset + limit) answer 400;
    a write body over ``body_bytes`` answers 413.
    """

    query_chars: int = caps.QUERY_CHARS  # q of /search and /, text of /restore: the library's cap
    max_limit: int = 100  # hits per request
    max_depth: int = 1000  # offset + limit: how deep paging may go
    body_bytes: int = 16 * 1024 * 1024  # POST /articles
    snippet_chars: int = 1000  # longest snippet asked for
    ids_chars: int = 512  # longest article id in a path
    write_wait: float = 5.0  # seconds a write waits for the index's lock before 503
    retry_after: int = 5  # the Retry-After of a 503


LIMITS = Limits()
