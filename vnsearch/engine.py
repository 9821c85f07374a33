"""SearchEngine: the library's front door, and everything the CLI calls.

One object owns an index directory: it creates or opens it, adds articles
(replacing any with the same id), searches, fetches and deletes. The CLI is a
thin layer over these methods, so anything a command does, a program can do.
The work is done elsewhere: :mod:`vnsearch.store` (files, lock, snapshots,
incremental indexing), :mod:`vnsearch.search` (ranking, hits, suggestions,
related articles); this module only ties them together.

Threads: one :class:`SearchEngine` may be shared by any number of threads.
Each read (``search``, ``get``, ``similar``, ``stats``, ``len``, ``in``,
``ids``, ``restoration``) runs from start to end on one snapshot: the latest
commit when it starts, whatever other threads or processes commit meanwhile.
A newer commit is picked up by the next call; the older snapshot stays open
until the last call reading it has finished. Writes from threads of one engine
take turns (a lock); writes from other processes take turns through the
index's write lock, and never disturb a read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnsearch import caps
from vnsearch.errors import ArticleNotFound
from vnsearch.lang.analysis import query_syllables
from vnsearch.search import related
from vnsearch.search import suggest as suggesting
from vnsearch.search.options import search_options, whole_numbers
from vnsearch.search.query import ParsedQuery, QueryError, date_range, parse_query
from vnsearch.search.ranking import Ranker, RankParams
from vnsearch.search.restore import Restoration, RestoreParams, join_restorations, onto_text, query_breaks
from vnsearch.search.results import Hit, SearchResults
from vnsearch.search.searching import run_search
from vnsearch.search.sharded import ShardedSnapshot, ShardedView, StaleShard
from vnsearch.search.view import LatestView, SnapshotView
from vnsearch.store.directory import INDEX_NAME, IndexStore
from vnsearch.store.sharding import ShardedStore, is_sharded
from vnsearch.store.snapshot import Snapshot

if TYPE_CHECKING:
    from vnsearch.ingest.articles import Article, LoadWarning
    from vnsearch.store.indexing import IndexSummary

# Writing, exporting and reindexing import their modules (reading input,
# segmenting, worker processes) where they are done: opening an index to
# search it loads none of them, which keeps a `vnsearch search` process short.

__all__ = ["SearchEngine", "Hit", "SearchResults", "default_index_dir", "INDEX_NAME"]

DEFAULT_WAIT = 60.0
STALE_ATTEMPTS = 3  # a sharded search on Dask, run again when a shard committed meanwhile
DEFAULT_COMMIT_EVERY = 1000  # articles written between two commits of one indexing run


def default_index_dir() -> Path:
    """``$VNSEARCH_INDEX`` if set, else ``index`` in the current directory."""
    return Path(os.environ.get("VNSEARCH_INDEX") or "index")


class SearchEngine:
    """A Vietnamese news index in one directory, safe to share between threads.

    >>> engine = SearchEngine("index")
    >>> engine.add_articles([{"id": "a1", "title": "Trí tuệ nhân tạo", "body": "…"}])
    1
    >>> engine.search("tri tue nhan tao")[0].id
    'a1'
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, create: bool = True,
                 params: RankParams | None = None, rebuild: bool = False,
                 wait: float | None = DEFAULT_WAIT, on_wait: Callable[[], None] | None = None,
                 prepare: bool = False, shards: int | None = None, cluster: Any = None) -> None:
        """Open the index at *path*, creating it if needed (unless ``create=False``).

        ``rebuild=True`` discards an existing index first, including one
        written by another version or too damaged to open.

        Only one process at a time can write to an index. A write (adding,
        deleting, clearing) that finds another process writing waits up to
        *wait* seconds for it to finish (``None``: as long as it takes),
        calling *on_wait* once when it starts waiting, then raises
        :class:`IndexBusy`. Searches never wait.

        ``prepare=True`` (a long-lived engine, such as the server's) builds
        each new snapshot's typo index in a background thread, so no search
        waits for it (about a second per 10,000 distinct syllables); otherwise
        the first search with a mistyped word builds it.

        A sharded index (a directory with a ``vnsearch-shards.json``
        manifest) is opened as such; ``shards=S`` creates one with *S* shards.
        Everything works the same on it, in this process; ``cluster`` (a Dask
        scheduler address, ``"local"``, or a ``distributed.Client``; needs the
        ``vnsearch[cluster]`` extra) ranks its shards on Dask workers.
        """
        self.path = Path(path) if path is not None else default_index_dir()
        self.params = params or RankParams()
        self.cluster: Any = None
        self._store: IndexStore | ShardedStore
        if shards is not None or is_sharded(self.path):
            if rebuild:
                raise ValueError("a sharded index is rebuilt by indexing its articles into a new directory")
            self._store = ShardedStore(self.path, shards, create=create, wait=wait, on_wait=on_wait)
            make_view = None
            if cluster is not None:
                from vnsearch.cluster.search import cluster_views  # Dask only when asked for

                self.cluster, make_view = cluster_views(self._store, cluster)
            self._views = LatestView(self._open_sharded, self.params, prepare,
                                     make_view or _local_sharded_view)
        else:
            if cluster is not None:
                raise ValueError(f"{self.path} is not a sharded index: a cluster searches sharded indexes only")
            self._store = IndexStore(self.path, create=create, rebuild=rebuild, wait=wait, on_wait=on_wait)
            self._views = LatestView(self._store.snapshot, self.params, prepare)
        self._reading = self._views.reading  # one snapshot (and its caches) for the whole of a call
        self._write_lock = threading.RLock()

    @property
    def wait(self) -> float | None:
        return self._store.wait

    @wait.setter
    def wait(self, value: float | None) -> None:
        self._store.wait = value

    @property
    def sharded(self) -> bool:
        """True for a sharded index (see :mod:`vnsearch.store.sharding`)."""
        return isinstance(self._store, ShardedStore)

    def _open_sharded(self) -> Snapshot:
        """Every shard's latest snapshot read as one, with the merged statistics."""
        store = self._store
        assert isinstance(store, ShardedStore)
        stats = store.statistics()
        parts = []
        try:
            for shard in store.stores:
                parts.append(shard.snapshot())
        except BaseException:
            for part in parts:
                part.release()
            raise
        return ShardedSnapshot(parts, stats, lambda: store.statistics_version() == stats.version)

    def close(self) -> None:
        """Let go of the engine's snapshot (calls still reading it finish first) and of the index."""
        self._views.close()
        self._store.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------

    def _acquire(self) -> SnapshotView:
        """The view of the latest commit, with one more holder (release it when done)."""
        return self._views.acquire()

    def _current(self) -> tuple[Snapshot, Ranker]:
        """The latest snapshot and its ranker, for tests and benchmarks (held by the engine only)."""
        view = self._acquire()
        view.release()
        return view.snapshot, view.ranker

    def __len__(self) -> int:
        with self._reading() as view:
            return view.snapshot.doc_count

    def __contains__(self, article_id: str) -> bool:
        with self._reading() as view:
            return view.snapshot.doc_number(article_id) is not None

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        with self._reading() as view:
            fields = view.snapshot.stored_by_id(article_id)
        return _article_from_fields(fields) if fields else None

    def ids(self) -> Iterator[str]:
        """Every live article's id, in index order (all from one snapshot)."""
        with self._reading() as view:
            for fields in view.snapshot.all_stored():
                yield fields["id"]

    # -- writing -----------------------------------------------------------------

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
                if self.cluster is not None:
                    from vnsearch.cluster.indexing import index_on_cluster

                    return index_on_cluster(self._store, articles, self.cluster.client, on_progress, on_warning)
                return self._store.index_articles(
                    articles, jobs=jobs, on_progress=on_progress, on_warning=on_warning, commit_every=commit_every)
            return index_articles(self._store, articles, jobs=jobs, on_progress=on_progress,
                                  on_warning=on_warning, commit_every=commit_every)

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
            into = None
            store = self._store
            if isinstance(store, ShardedStore):
                def into(articles: Iterable[Article]) -> IndexSummary:
                    if self.cluster is not None:
                        from vnsearch.cluster.indexing import index_on_cluster

                        return index_on_cluster(store, articles, self.cluster.client, on_progress, on_warning)
                    return store.index_articles(
                        articles, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                        commit_every=commit_every)
            return index_paths(store if isinstance(store, IndexStore) else None, paths,
                               jobs=jobs, on_progress=on_progress, on_warning=on_warning,
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

    # -- searching ---------------------------------------------------------------

    def suggest(self, query: str | ParsedQuery, min_confidence: float = 0.6) -> str | None:
        """The query with its diacritics restored, when it was typed without them.

        Only for queries of words and quoted phrases (no exclusions, filters
        or OR), typed wholly without diacritics, and only when the index makes
        the restoration likely enough (``tri tue nhan tao`` → ``trí tuệ nhân
        tạo``; quotes are kept: ``xoa "doc tu than"`` → ``xóa "dốc tử thần"``).
        None otherwise. See :meth:`restoration` for how.
        """
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
        with self._reading() as view:
            return suggesting.suggest(view, parsed, min_confidence)

    def restore(self, text: str) -> str:
        """*text* with its diacritics restored: ``"tri tue nhan tao"`` → ``"trí tuệ nhân tạo"``.

        The user's text back, its capitals, punctuation and spacing kept
        (``"Thu tuong, Ha Noi."`` → ``"Thủ tướng, Hà Nội."``); syllables typed
        with diacritics stay as typed. See :meth:`restoration`.
        """
        return self.restoration(text).text

    def restoration(self, text: str, context: bool = True, params: RestoreParams | None = None) -> Restoration:
        """The most likely accented spelling of *text*, with its confidence.

        The folded text is searched first, and the top hits' own title, lead
        and body vote for the spellings of every run of its syllables they
        contain (:func:`vnsearch.search.restore.context_evidence`): the headline of an
        indexed article is read off that article, and other text borrows the
        spellings of articles on the same subject. Syllables no hit covers fall
        back to the index-wide model (document frequencies of syllables and
        words, :func:`vnsearch.search.restore.restore`). ``context=False`` uses that
        model alone (no search). ``text`` of the result is *text* with its
        syllables restored, capitals and punctuation kept
        (:func:`~vnsearch.search.restore.onto_text`); ``syllables`` are the
        lower-case restored syllables. Only the first
        :data:`vnsearch.caps.QUERY_CHARS` characters are read; ``cut`` of the
        result says how many were not.
        """
        if not isinstance(text, str):
            raise TypeError(f"the text to restore must be a str, not {type(text).__name__}")
        cut = max(0, len(text) - caps.QUERY_CHARS)
        text = text[: caps.QUERY_CHARS]  # the documented cap; got.cut says what was left
        syllables = query_syllables(text)
        # Each clause on its own ("Thu tuong tham Ha Noi, Da Nang."): its own hits, no word across a comma.
        cuts = [0, *sorted(query_breaks(text, len(syllables))), len(syllables)]
        with self._reading() as view:
            parts = [suggesting.restoration(view, syllables[a:b], None if context else (), params)
                     for a, b in zip(cuts, cuts[1:])]
        got = parts[0] if len(parts) == 1 else join_restorations(parts)
        if got.syllables:
            got.text = onto_text(text, got.syllables)
        got.cut = cut
        return got

    def search(self, query: str | ParsedQuery, limit: int = 10, offset: int = 0,
               snippet_chars: int = 240, suggest: bool = True, *, since: Any = None, until: Any = None,
               sort: str = "relevance", facets: bool = False,
               source: str | Sequence[str] | None = None,
               category: str | Sequence[str] | None = None,
               recent: bool = False, half_life: float = 180, collapse: bool = True,
               page: int | None = None, half_life_days: float | None = None, exact: bool = False,
               telex: bool = True, typos: bool = True) -> SearchResults:
        """Best matches first. Raises :class:`QueryError` for an empty query or a bad option.

        The parameters carry the CLI options' names (``--half-life`` is
        ``half_life``, ``--all`` is ``collapse=False``, ``--page`` is ``page``,
        from 1). In short:

        - ``suggest``: ``results.suggestion``, the accented query the index
          makes likely for one typed without diacritics, worked out when read.
        - ``since`` / ``until`` (``"YYYY"``, ``"YYYY-MM"``, ``"YYYY-MM-DD"``, a
          time or a ``datetime.date``): dated articles from the start of the
          first period to the end of the second. ``source`` / ``category``: a
          name or a list of names, any one of which will do.
        - ``sort="newest"`` / ``"oldest"``: the ``total`` full matches by date
          (undated last, ties by score). ``facets=True`` sets ``results.facets``.
        - ``recent=True``: each score × ``0.5 ** (age_days / half_life)``, the
          age counted from the index's newest article (``half_life_days`` is
          the earlier name of ``half_life``).
        - ``collapse=True``: one hit per group of near-duplicates (MinHash band
          shared, estimated 5-shingle Jaccard ≥ 0.7; the others' ids in
          ``hit.similar_ids``); ``offset`` counts groups.
        - ``telex`` / ``typos``: read Telex or VNI typed with the input method
          off (``results.rewritten``; no suggestion then) and search likely
          corrections of syllables that fit nothing, ranked below the spelling
          typed (``results.corrections``); see :mod:`vnsearch.search.understand`.
        - ``exact=True``: every word only as spelt (``=word`` for one); totals,
          facets and date sorts count those articles alone.
        """
        whole_numbers(snippet_chars=snippet_chars)
        parsed, typed, offset, decay, filters = search_options(
            query, limit, offset, page, half_life, half_life_days, sort, recent, since, until, source, category,
            exact)
        for attempt in range(STALE_ATTEMPTS):
            try:
                return run_search(self._reading, parsed, typed, limit, offset, snippet_chars, sort, facets, filters,
                                  decay, collapse, suggest, telex, typos)
            except StaleShard:  # a shard committed while it was ranked on a worker: on a fresh snapshot
                if attempt + 1 == STALE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    # -- related articles, checking, statistics -------------------------------------

    def similar(self, article_id: str, limit: int = 10, snippet_chars: int = 240,
                terms: int = 25) -> SearchResults:
        """Articles about the same thing as *article_id*, best first.

        The article's stored text is re-tokenised (no segmenter) into folded
        syllables; the *terms* most distinctive of them (count in the article
        × idf from the index's ``text_f`` document frequencies; syllables no
        other article holds and bare numbers and dates left out) make a plain soft
        query for the usual ranker. The article itself and its
        near-duplicates (syllable 5-shingle Jaccard ≥ 0.7 with it, on the
        stored text) are left out. ``results.query.text`` holds the terms.
        Raises ``KeyError`` for an unknown id.
        """
        whole_numbers(limit=limit, snippet_chars=snippet_chars, terms=terms)
        if limit < 0:
            raise QueryError("limit must not be negative")
        for attempt in range(STALE_ATTEMPTS):
            try:
                with self._reading() as view:
                    results = related.similar(view, article_id, limit, snippet_chars, terms)
                break
            except StaleShard:  # as in search
                if attempt + 1 == STALE_ATTEMPTS:
                    raise
        if results is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return results

    def check(self) -> list[str]:
        """Problems found in the index; an empty list means it is sound (see :meth:`IndexStore.check`)."""
        return self._store.check()

    def check_notes(self) -> list[str]:
        """What the last :meth:`check` could not verify, without it being damage (an older format's segments)."""
        return self._store.check_notes()

    def stats(self) -> dict[str, Any]:
        """Articles, size on disk, date range: what ``vnsearch stats`` prints."""
        with self._reading() as view:
            # Only dates that are text: a damaged stored article must not stop the count.
            dates = sorted(d for d in (f.get("date") for f in view.snapshot.all_stored()) if d and isinstance(d, str))
            articles = view.snapshot.doc_count
        return {
            "path": str(self.path),
            "articles": articles,
            "size_bytes": self._store.size_on_disk(),
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
            "dated": len(dates),
        }

    # -- getting the archive back out ---------------------------------------------

    def export(self, *, since: str | None = None, until: str | None = None,
               source: str | Sequence[str] | None = None,
               category: str | Sequence[str] | None = None) -> Iterator[dict[str, str]]:
        """Every stored article (or those the filters keep) as an input record, streamed, in index order.

        Records carry the input's own keys (``sapo``, not ``lead``; see
        :func:`vnsearch.ingest.export.export_record`), so ``export`` then
        ``add_articles`` gives the same articles. The filters work as in
        :meth:`search` (days; source and category case-, accent- and
        punctuation-insensitive, part of the name will do). The whole export
        reads one snapshot, whatever is committed meanwhile.
        """
        from vnsearch.ingest.export import ArticleFilter, export_records

        keep = ArticleFilter(since=date_range(since, "since")[0] if since is not None else None,
                             until=date_range(until, "until")[1] if until is not None else None,
                             sources=[source] if isinstance(source, str) else source,
                             categories=[category] if isinstance(category, str) else category)
        with self._reading() as view:
            yield from export_records(f for f in view.snapshot.all_stored() if keep(f))

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


def _local_sharded_view(snapshot: Snapshot, params: RankParams) -> SnapshotView:
    """A view of a sharded index whose shards are ranked in this process."""
    assert isinstance(snapshot, ShardedSnapshot)
    return ShardedView(snapshot, params)


def _article_from_fields(fields: Mapping[str, Any]) -> Article:
    from vnsearch.ingest.articles import Article

    return Article(
        id=fields["id"], title=fields.get("title", ""), lead=fields.get("lead", ""),
        body=fields.get("body", ""), date=fields.get("date", "") or "", source=fields.get("source", ""),
        url=fields.get("url", ""), category=fields.get("category", ""), credit=fields.get("credit", ""),
        title_derived=bool(fields.get("title_derived", False)), time=fields.get("time", "") or "",
    )
