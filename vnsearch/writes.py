"""The writing half of :class:`vnsearch.engine.SearchEngine`: adding, replacing, deleting, merging, rebuilding.

Kept apart from the reading half so each stays small enough to read whole.
Writes from threads of one engine take turns (the engine's lock); writes from
other processes take turns through the index's write lock (see
:mod:`vnsearch.store.locking`), and never disturb a read. The work itself is
done in :mod:`vnsearch.store` (and :mod:`vnsearch.cluster` for a sharded
index on Dask); the modules that read input, segment and run worker
processes are imported where a write needs them, so a search loads none.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnsearch.store.directory import IndexStore
from vnsearch.store.sharding import ShardedStore, is_sharded

if TYPE_CHECKING:
    from vnsearch.ingest.articles import Article, LoadWarning
    from vnsearch.store.indexing import IndexSummary

__all__ = ["IndexWrites", "DEFAULT_WAIT", "DEFAULT_COMMIT_EVERY"]

DEFAULT_WAIT = 60.0
DEFAULT_COMMIT_EVERY = 1000  # articles written between two commits of one indexing run


class IndexWrites:
    """Writing to the engine's index; mixed into :class:`~vnsearch.engine.SearchEngine`."""

    _store: IndexStore | ShardedStore
    _write_lock: threading.RLock
    cluster: Any

    def add_articles(self, articles: Iterable[Article | Mapping[str, Any]], jobs: int | None = None,
                     on_progress: Callable[[Article], None] | None = None,
                     on_warning: Callable[[LoadWarning], None] | None = None,
                     commit_every: int | None = DEFAULT_COMMIT_EVERY) -> int:
        """Add or replace articles; returns how many were added or replaced."""
        return self.index_articles(articles, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                                   commit_every=commit_every).written

    def index_articles(self, articles: Iterable[Article | Mapping[str, Any]], jobs: int | None = None,
                       on_progress: Callable[[Article], None] | None = None,
                       on_warning: Callable[[LoadWarning], None] | None = None,
                       commit_every: int | None = DEFAULT_COMMIT_EVERY) -> IndexSummary:
        """Add or replace articles; an article whose content is unchanged is left alone.

        A bad record (no id, no text, wrong types) is skipped with a warning;
        the others are indexed. A commit follows every *commit_every* written
        articles (``None``: only at the end) and ends the call, so an
        interrupted run keeps everything up to its last commit. Between
        commits the write lock is let go, so another writer may go first;
        ids it added meanwhile are replaced, never added twice.
        """
        from vnsearch.store.updates import index_articles

        with self._write_lock:
            if isinstance(self._store, ShardedStore):
                return self._into_shards(jobs, on_progress, on_warning, commit_every)(articles)
            return index_articles(self._store, articles, jobs=jobs, on_progress=on_progress,
                                  on_warning=on_warning, commit_every=commit_every)

    def _into_shards(self, jobs: int | None, on_progress: Callable[[Article], None] | None,
                     on_warning: Callable[[LoadWarning], None] | None,
                     commit_every: int | None) -> Callable[[Iterable[Article | Mapping[str, Any]]], IndexSummary]:
        """How articles reach a sharded index's shards: from this process, or through the cluster's workers."""
        store = self._store
        assert isinstance(store, ShardedStore)

        def into(articles: Iterable[Article | Mapping[str, Any]]) -> IndexSummary:
            if self.cluster is not None:
                from vnsearch.cluster.indexing import index_on_cluster

                return index_on_cluster(store, articles, self.cluster.client, on_progress, on_warning)
            return store.index_articles(articles, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                                        commit_every=commit_every)
        return into

    def merge(self, older: Collection[str] | None = None) -> bool:
        """Merge the index's small segments (see :func:`vnsearch.store.merge.choose`); True if any were.

        Every commit of an indexing run writes a segment, and each query pays
        per segment; a run merges what it wrote at its end (every segment
        whose id is not in *older*), so the whole corpus loaded in one run is
        one segment. Called by :meth:`index_articles`; call it after writing
        with Whoosh directly.
        """
        with self._write_lock:
            return self._store.merge(older)

    def add_paths(self, paths: Sequence[str | os.PathLike[str]], jobs: int | None = None,
                  on_progress: Callable[[Article], None] | None = None,
                  on_warning: Callable[[LoadWarning], None] | None = None,
                  strict: bool = False, commit_every: int | None = DEFAULT_COMMIT_EVERY,
                  map: Mapping[str, str] | Sequence[str] | None = None,
                  tz: str | None = None) -> IndexSummary:
        """Load .txt / .jsonl / .ndjson / .json / RSS / Atom files, directories or ``"-"`` (stdin) and index them.

        ``map`` reads other sources' keys as ours: ``{"published": "date"}``
        or ``["published=date"]`` (a key mapped to ``""`` is ignored); common
        aliases are recognised without it. ``tz`` is the zone of times given
        without an offset and of the days articles are filed under
        (default Asia/Ho_Chi_Minh). A bad map or zone raises ValueError.

        ``strict=True``: each file is read in full first, and a file that gave
        any load warning is not indexed at all (not even its good records);
        it is listed in ``summary.rejected_files``. Files without warnings
        are indexed as usual. ``summary.load_warnings`` counts the warnings.
        """
        from vnsearch.store.updates import index_paths

        with self._write_lock:
            store = self._store if isinstance(self._store, IndexStore) else None
            into = None if store else self._into_shards(jobs, on_progress, on_warning, commit_every)
            return index_paths(store, paths, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                               strict=strict, commit_every=commit_every, map=map, tz=tz, into=into)

    def delete(self, ids: str | Iterable[str]) -> int:
        """Delete articles by id; returns how many were found and deleted.

        A str is one id (``delete("abc")`` deletes the article "abc", never
        "a", "b" and "c"); otherwise an iterable of str ids.
        """
        wanted = [ids] if isinstance(ids, str) else list(ids)
        for article_id in wanted:
            if not isinstance(article_id, str):
                raise TypeError(f"an article id is a string, not {type(article_id).__name__}")
        with self._write_lock:
            return self._store.delete(wanted)

    def clear(self) -> None:
        """Remove every article (the directory stays an index)."""
        with self._write_lock:
            self._store.clear()

    @classmethod
    def reindex(cls, path: str | os.PathLike[str], jobs: int | None = None,
                on_progress: Callable[[Article], None] | None = None,
                on_warning: Callable[[LoadWarning], None] | None = None,
                wait: float | None = DEFAULT_WAIT) -> IndexSummary:
        """Rebuild the index at *path* from its own stored articles, in this version's format.

        Works on an index another version wrote, as long as its stored
        articles can be read: the rebuild the version check asks for needs no
        original files. The new index is built beside the old one and takes
        its place only when complete; the old one is locked meanwhile.
        """
        from vnsearch.store import dump

        if is_sharded(path):
            raise ValueError(f"{path} is a sharded index: index its articles (vnsearch export) into a new one")
        return dump.reindex(Path(path), jobs=jobs, on_progress=on_progress, on_warning=on_warning, wait=wait)
