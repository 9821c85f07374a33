"""SearchEngine: the library's front door, and everything the CLI calls.

One object owns an index directory: it creates or opens it, adds articles
(replacing any with the same id), searches, fetches and deletes. The CLI is a
thin layer over these methods, so anything a command does, a program can do.
The work is done elsewhere: :mod:`vnsearch.store` (files, lock, snapshots,
incremental indexing), :mod:`vnsearch.search` (ranking, hits, suggestions,
related articles); this module only ties them together, and its writing
methods live in :mod:`vnsearch.writes`.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnsearch.errors import ArticleNotFound
from vnsearch.search import related
from vnsearch.search import suggest as suggesting
from vnsearch.search.options import search_options, whole_numbers
from vnsearch.search.query import ParsedQuery, QueryError, date_range, parse_query
from vnsearch.search.ranking import Ranker, RankParams
from vnsearch.search.restore import Restoration, RestoreParams
from vnsearch.search.results import Hit, SearchResults
from vnsearch.search.searching import run_search
from vnsearch.search.view import LatestView, SnapshotView, StaleShard, overview
from vnsearch.store.directory import INDEX_NAME, IndexStore
from vnsearch.store.sharding import ShardedStore, is_sharded
from vnsearch.store.snapshot import Snapshot
from vnsearch.writes import DEFAULT_WAIT, IndexWrites

if TYPE_CHECKING:
    from typing import TypeVar

    from vnsearch.ingest.articles import Article

    T = TypeVar("T")

# Writing, exporting and reindexing import their modules (reading input,
# segmenting, worker processes) where they are done: opening an index to
# search it loads none of them, which keeps a `vnsearch search` process short.

__all__ = ["SearchEngine", "Hit", "SearchResults", "default_index_dir", "INDEX_NAME", "DEFAULT_WAIT"]

STALE_ATTEMPTS = 3  # a sharded search on Dask, run again when a shard committed meanwhile


def default_index_dir() -> Path:
    """``$VNSEARCH_INDEX`` if set, else ``index`` in the current directory."""
    return Path(os.environ.get("VNSEARCH_INDEX") or "index")


class SearchEngine(IndexWrites):
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
            # (imported here: an index of one shard, the usual, never loads the sharded search)
            from vnsearch.search.sharded import local_view, open_sharded

            store = self._store = ShardedStore(self.path, shards, create=create, wait=wait, on_wait=on_wait)
            make_view: Callable[[Snapshot, RankParams], SnapshotView] = local_view
            if cluster is not None:
                from vnsearch.cluster.search import cluster_views  # Dask only when asked for

                self.cluster, make_view = cluster_views(store, cluster)
            self._views = LatestView(lambda: open_sharded(store), self.params, prepare, make_view)
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
        return suggesting.restore_text(self._reading, text, context, params)

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
        return _fresh(lambda: run_search(self._reading, parsed, typed, limit, offset, snippet_chars, sort, facets,
                                         filters, decay, collapse, suggest, telex, typos))

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

        def similar() -> SearchResults | None:
            with self._reading() as view:
                return related.similar(view, article_id, limit, snippet_chars, terms)
        results = _fresh(similar)
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
            seen = overview(view.snapshot)
        return {"path": str(self.path), "articles": seen["articles"], "size_bytes": self._store.size_on_disk(),
                **{k: seen[k] for k in ("first_date", "last_date", "dated")}}

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


def _fresh(call: Callable[[], T]) -> T:
    """*call*, run again on a fresh snapshot when a shard committed while it was ranked on a worker."""
    for attempt in range(STALE_ATTEMPTS):
        try:
            return call()
        except StaleShard:
            if attempt + 1 == STALE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _article_from_fields(fields: Mapping[str, Any]) -> Article:
    from vnsearch.ingest.articles import Article

    return Article(
        id=fields["id"], title=fields.get("title", ""), lead=fields.get("lead", ""),
        body=fields.get("body", ""), date=fields.get("date", "") or "", source=fields.get("source", ""),
        url=fields.get("url", ""), category=fields.get("category", ""), credit=fields.get("credit", ""),
        title_derived=bool(fields.get("title_derived", False)), time=fields.get("time", "") or "",
    )
