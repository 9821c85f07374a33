"""vnsearch: full-text search for Vietnamese news.

Library first: :class:`SearchEngine` does everything the ``vnsearch`` command
does.

>>> from vnsearch import SearchEngine
>>> engine = SearchEngine("index")
>>> hits = engine.search("trí tuệ nhân tạo", limit=10)

The names below are imported on first use (PEP 562), not with the package:
``import vnsearch.cli`` or ``import vnsearch.lang.text`` then costs only what
that module needs, and the command line can choose numpy's thread count
before anything imports numpy (see :mod:`vnsearch.cli`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vnsearch.engine import Hit, SearchEngine, SearchResults
    from vnsearch.errors import (
        ArticleError,
        ArticleNotFound,
        IndexBusy,
        IndexDamaged,
        IndexNotFound,
        IndexUnusable,
        IndexVersionMismatch,
        QueryError,
        VnsearchError,
    )
    from vnsearch.ingest.articles import Article, LoadWarning, load_path, load_paths
    from vnsearch.search.highlight import Snippet
    from vnsearch.search.restore import Restoration
    from vnsearch.store.indexing import IndexSummary

__all__ = [
    "SearchEngine",
    "SearchResults",
    "Hit",
    "Snippet",
    "Article",
    "ArticleError",
    "LoadWarning",
    "IndexSummary",
    "QueryError",
    "Restoration",
    "VnsearchError",
    "IndexUnusable",
    "IndexNotFound",
    "IndexDamaged",
    "IndexVersionMismatch",
    "IndexBusy",
    "ArticleNotFound",
    "load_path",
    "load_paths",
]

__version__ = "0.1.0"

# Where each public name lives: imported by __getattr__ the first time it is asked for.
_HOMES = {
    "SearchEngine": "vnsearch.engine",
    "SearchResults": "vnsearch.engine",
    "Hit": "vnsearch.engine",
    "Snippet": "vnsearch.search.highlight",
    "Article": "vnsearch.ingest.articles",
    "LoadWarning": "vnsearch.ingest.articles",
    "load_path": "vnsearch.ingest.articles",
    "load_paths": "vnsearch.ingest.articles",
    "IndexSummary": "vnsearch.store.indexing",
    "Restoration": "vnsearch.search.restore",
    **{name: "vnsearch.errors" for name in ("ArticleError", "QueryError", "VnsearchError", "IndexUnusable",
                                            "IndexNotFound", "IndexDamaged", "IndexVersionMismatch", "IndexBusy",
                                            "ArticleNotFound")},
}


def __getattr__(name: str) -> Any:
    """``vnsearch.SearchEngine`` and the other public names, imported when first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'vnsearch' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
