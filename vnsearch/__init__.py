"""vnsearch: full-text search for Vietnamese news.

Library first: :class:`SearchEngine` does everything the ``vnsearch`` command
does.

>>> from vnsearch import SearchEngine
>>> engine = SearchEngine("index")
>>> hits = engine.search("trí tuệ nhân tạo", limit=10)
"""

from .articles import Article, ArticleError, LoadWarning, load_path, load_paths
from .engine import Hit, IndexError_ as IndexUnusable, IndexNotFound, SearchEngine, SearchResults
from .highlight import Snippet
from .indexing import IndexSummary
from .query import QueryError
from .restore import Restoration

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
