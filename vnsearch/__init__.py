"""vnsearch: full-text search for Vietnamese news.

Library first: :class:`SearchEngine` does everything the ``vnsearch`` command
does.

>>> from vnsearch import SearchEngine
>>> engine = SearchEngine("index")
>>> hits = engine.search("trí tuệ nhân tạo", limit=10)
"""

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
