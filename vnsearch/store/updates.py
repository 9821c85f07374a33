"""Incremental indexing: add or replace articles, leaving unchanged ones alone.

Each article's content digest is stored with it; an article whose digest is
the one indexed costs a hash and a lookup, never a segmentation. Commits come
every *commit_every* written articles, each letting go of the write lock, so
another writer may go first; ids it added meanwhile are replaced, never added
twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from vnsearch.ingest.articles import Article, ArticleError, LoadOptions, LoadWarning, iter_files, load_path, load_paths
from vnsearch.ingest.fields import FieldMap, parse_map
from vnsearch.store import indexing
from vnsearch.store.directory import IndexStore
from vnsearch.store.indexing import (
    IndexSummary,
    add_prepared,
    article_digest,
    bulk_writer,
    coerce_article,
    prepare_documents,
)
from vnsearch.store.snapshot import Snapshot

__all__ = ["index_articles", "index_paths"]


def index_articles(store: IndexStore, articles: Iterable[Article | Mapping[str, object]], jobs: int | None = None,
                   on_progress: Callable[[Article], None] | None = None,
                   on_warning: Callable[[LoadWarning], None] | None = None,
                   commit_every: int | None = 1000) -> IndexSummary:
    """Add or replace *articles* in *store*; see :meth:`vnsearch.engine.SearchEngine.index_articles`."""
    if commit_every is not None and commit_every < 1:
        raise ValueError("commit_every must be at least 1 (or None)")
    summary = IndexSummary()
    # The lock first, then the snapshot: articles another process committed
    # while we waited must be seen, or their ids would be added twice.
    writer = bulk_writer(store.writer(limitmb=256))
    try:
        older = store.segment_ids()  # what this run finds: see IndexStore.merge
        snapshot: Snapshot = store.snapshot()
    except BaseException:
        store.cancel(writer)
        raise

    seen: set[str] = set()
    digests: dict[str, str] = {}

    def note(warning: LoadWarning) -> None:
        summary.warnings.append(str(warning))
        if on_warning:
            on_warning(warning)

    def changed() -> Iterator[Article]:
        """Valid articles whose content differs from what is indexed."""
        for n, item in enumerate(articles, 1):
            try:
                article = coerce_article(item)
            except ArticleError as exc:
                summary.skipped += 1
                where = getattr(item, "origin", "") or f"article #{n}"
                note(LoadWarning(where, None, str(exc)))
                continue
            digest = article_digest(article)
            if article.id not in seen:
                existing = snapshot.stored_by_id(article.id)
                if existing is not None and existing.get("digest") == digest:
                    summary.unchanged += 1
                    seen.add(article.id)
                    if on_progress:
                        on_progress(article)
                    continue
                if existing is not None:
                    seen.add(article.id)
            digests[article.id] = digest
            if indexing.too_long(article):
                limit = f"{indexing.MAX_ANALYSED_CHARS:,}"
                note(LoadWarning(article.origin or f"article #{n}", None,
                                 f"article {article.id}: text longer than {limit} characters; "
                                 f"only the first {limit} are searchable"))
            yield article

    in_writer: set[str] = set()  # ids written since the writer opened
    recommitted = False
    try:
        for article, doc in prepare_documents(changed(), jobs=jobs):
            if "time" in doc and "time" not in writer.schema:
                del doc["time"]  # an index made before times were stored: the day is kept
                doc.changed()
            digest = digests.pop(article.id, None) or article_digest(article)
            if doc.get("digest") != digest:  # the worker computes it too, for the record it packs
                doc["digest"] = digest
                doc.changed()
            # Whoosh only deletes committed documents: the same id twice in
            # one input needs a commit between, or both would stay.
            if article.id in in_writer or (commit_every is not None and len(in_writer) >= commit_every):
                store.commit(writer, final=False)
                writer = bulk_writer(store.writer(limitmb=256))
                in_writer.clear()
                recommitted = True
                fresh = store.snapshot()  # what others committed meanwhile
                snapshot.release()
                snapshot = fresh
            if article.id in seen or (recommitted and snapshot.doc_number(article.id) is not None):
                summary.replaced += 1
                writer.update_document(**doc)
            else:
                summary.added += 1
                add_prepared(writer, doc)
            seen.add(article.id)
            in_writer.add(article.id)
            if on_progress:
                on_progress(article)
    except BaseException:
        store.cancel(writer)
        raise
    finally:
        snapshot.release()
    if in_writer:
        store.commit(writer, final=False)
    else:
        store.cancel(writer)
    # A run that wrote merges what it wrote. One that wrote nothing still merges
    # as merge.choose says: an earlier run killed before its final merge left its
    # commits' segments (the orphans of the merge itself went when the writer opened).
    store.merge(older if summary.written else None)
    return summary


def index_paths(store: IndexStore | None, paths: Sequence[str | os.PathLike[str]], jobs: int | None = None,
                on_progress: Callable[[Article], None] | None = None,
                on_warning: Callable[[LoadWarning], None] | None = None,
                strict: bool = False, commit_every: int | None = 1000,
                map: Mapping[str, str] | Sequence[str] | None = None,
                tz: str | None = None,
                into: Callable[[Iterable[Article]], IndexSummary] | None = None) -> IndexSummary:
    """Load files or directories and index them; see :meth:`vnsearch.engine.SearchEngine.add_paths`.

    *into* indexes the loaded articles instead of :func:`index_articles` on
    *store* (a sharded index routes them to its shards).
    """
    pairs = [f"{k}={v}" for k, v in map.items()] if isinstance(map, Mapping) else list(map or ())
    options = LoadOptions(FieldMap(parse_map(pairs)), tz)
    load_skipped = 0
    load_warnings = 0
    rejected: list[str] = []

    def warn(w: LoadWarning) -> None:
        nonlocal load_skipped, load_warnings
        load_warnings += 1
        if w.fatal:
            load_skipped += 1
        if on_warning:
            on_warning(w)

    def whole_files() -> Iterator[Article]:
        """Each file's articles, only if reading the whole file gave no warning."""
        nonlocal load_skipped
        for path in paths:
            p = Path(path)
            files = list(iter_files(p, warn)) if p.is_dir() else [p]
            for file in files:
                found: list[LoadWarning] = []
                loaded = list(load_path(file, on_warning=found.append, options=options))
                for w in found:
                    warn(w)
                if found:
                    load_skipped += len(loaded)  # good records of a rejected file
                    rejected.append(str(file))
                else:
                    yield from loaded

    source = whole_files() if strict else load_paths(paths, on_warning=warn, options=options)
    if into is not None:
        summary = into(source)
    else:
        assert store is not None, "index_paths needs a store or into"
        summary = index_articles(store, source, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                                 commit_every=commit_every)
    summary.skipped += load_skipped
    summary.load_warnings = load_warnings
    summary.rejected_files = rejected
    return summary
