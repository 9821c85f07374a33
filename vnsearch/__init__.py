"""vnsearch: full-text search for Vietnamese news.

Library first: :class:`SearchEngine` does everything the ``vnsearch`` command
does.

>>> from vnsearch import SearchEngine
>>> engine = SearchEngine("index")
>>> hits = engine.search("trí tuệ nhân tạo", limit=10)
"""

from vnsearch.ingest.articles import Article, ArticleError, LoadWarning, load_path, load_paths
from vnsearch.search.highlight import Snippet
from vnsearch.search.query import QueryError
from vnsearch.search.restore import Restoration
from vnsearch.store.indexing import IndexSummary

from .engine import Hit, IndexNotFound, SearchEngine, SearchResults
from .engine import IndexError_ as IndexUnusable

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
    "IndexNotFound",
    "IndexUnusable",
    "load_path",
    "load_paths",
]

__version__ = "0.1.0"
