"""Every error vnsearch raises on purpose, under one base class.

Catch :class:`VnsearchError` to catch them all. Each message is one line
meant for the person using the index: it says what happened and what to do.

Anything else that escapes vnsearch (``TypeError``, ``KeyError`` from a bug,
``MemoryError``) is not one of these and surfaces as itself: a bug is never
dressed up as index damage, and damage is never reported as a bug.

    VnsearchError
    ├── IndexUnusable            the directory cannot be used as an index
    │   ├── IndexNotFound        no index there (and none may be created)
    │   ├── IndexDamaged         index files that cannot be decoded: rebuild
    │   └── IndexVersionMismatch written by another format version: rebuild
    ├── IndexBusy                another writer kept the write lock too long
    ├── QueryError               a query or search option that cannot be searched
    ├── ArticleError             a record that cannot become an article
    └── ArticleNotFound          no live article with that id
"""

from __future__ import annotations

__all__ = [
    "VnsearchError",
    "IndexUnusable",
    "IndexNotFound",
    "IndexDamaged",
    "IndexVersionMismatch",
    "IndexBusy",
    "QueryError",
    "ArticleError",
    "ArticleNotFound",
]


class VnsearchError(Exception):
    """Base of every error vnsearch raises on purpose; the message is for the user."""


class IndexUnusable(VnsearchError):
    """An index directory that cannot be used; the message says what to do."""


class IndexNotFound(IndexUnusable):
    """No index at the given directory (and we were asked not to create one)."""


class IndexDamaged(IndexUnusable):
    """Index files that cannot be decoded (truncated, garbled, missing): rebuild the index."""


class IndexVersionMismatch(IndexUnusable):
    """The index was written in another format version than this vnsearch reads."""


class IndexBusy(VnsearchError):
    """Another process kept the index's write lock for longer than we would wait."""


class QueryError(VnsearchError, ValueError):
    """A query or search option that cannot be searched; the message is meant for the user."""


class ArticleError(VnsearchError, ValueError):
    """A record that cannot become an article; the message says why."""


class ArticleNotFound(VnsearchError, KeyError):
    """No live article has the given id.

    A ``KeyError`` too, so code written for the earlier ``similar()`` (which
    raised a bare ``KeyError``) keeps working.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
