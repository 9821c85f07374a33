"""One snapshot and the caches built on it, shared by every thread reading that commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from vnsearch.search.query import ParsedQuery
from vnsearch.search.ranking import Ranker, RankParams
from vnsearch.search.restore import index_df
from vnsearch.search.understand import Understanding, understand, vocabulary
from vnsearch.search.vocabulary import Vocabulary
from vnsearch.store.snapshot import Snapshot

# Weight of a co-occurrence alternative offered for a known syllable of a short
# query (understand(suspect_known=)): low, a guess that the typed word was a slip.
SUSPECT_KNOWN_WEIGHT = 0.3

__all__ = ["SnapshotView", "LatestView", "StaleShard", "overview"]


class StaleShard(Exception):
    """A shard ranked elsewhere (a Dask worker) had a newer commit than the coordinator's snapshot of it.

    Doc numbers of two commits do not match: the search is run again on a fresh snapshot. (Here, not in
    :mod:`vnsearch.search.sharded`, so that searching an index of one shard never imports that module.)
    """


class SnapshotView:
    """A :class:`Snapshot` with its :class:`Ranker`, document-frequency lookup and query vocabulary.

    The caches describe this snapshot only, so they live and die with it: a
    newer commit gets a new view. Holders count through the snapshot's own
    :meth:`~Snapshot.acquire` / :meth:`~Snapshot.release`.
    """

    def __init__(self, snapshot: Snapshot, params: RankParams) -> None:
        self.snapshot = snapshot
        self.ranker = Ranker(snapshot, params)
        # The query reader's lists come through the ranker's cache: a query reads each once.
        vocabulary(snapshot).read_through(self.ranker.postings)
        self._df: tuple[Callable[[str], int], int] | None = None
        self._lock = threading.Lock()

    def df(self) -> tuple[Callable[[str], int], int]:
        """Document frequencies of the exact field, and the doc count (built once)."""
        got = self._df
        if got is None:
            with self._lock:
                if self._df is None:
                    self._df = index_df(self.snapshot)
                got = self._df
        return got

    @property
    def vocabulary(self) -> Vocabulary:
        """The index's vocabulary for reading queries (Telex, typos), kept as long as the snapshot."""
        return vocabulary(self.snapshot)

    def understand(self, parsed: ParsedQuery, telex: bool = True, typos: bool = True) -> Understanding:
        """*parsed* read as meant (:func:`~vnsearch.search.understand.understand`), date limits kept."""
        got = understand(parsed, self.snapshot, telex=telex, typos=typos,
                         suspect_known=SUSPECT_KNOWN_WEIGHT if typos else 0.0)
        if got.query is not parsed:  # re-parsed from the converted text: the date options were applied after parsing
            got.query.restrict_dates(parsed.since, parsed.until)
        return got

    def prepare(self) -> threading.Thread:
        """Build the typo index and the word-pair tables in a background thread (a long-lived engine's first
        short query or typo then costs nothing).

        The thread holds the snapshot while it reads it.
        """
        self.snapshot.acquire()

        def build() -> None:
            try:
                self.vocabulary.typos  # noqa: B018  # built on first read
                self.vocabulary.pairs  # noqa: B018  # likewise: every query of up to three syllables reads them
            except Exception:  # a snapshot closed under it: the next query builds it
                pass
            finally:
                self.snapshot.release()

        thread = threading.Thread(target=build, name="vnsearch-typos", daemon=True)
        thread.start()
        return thread

    def acquire(self) -> SnapshotView:
        self.snapshot.acquire()
        return self

    def release(self) -> None:
        self.snapshot.release()


class LatestView:
    """The view of an index's latest commit, refreshed when a newer one exists, shared by threads.

    Each call takes one view (:meth:`reading`) and holds it to its end. A newer
    commit makes a new view for the calls that start after it; the older view
    closes when the last call reading it lets go, never under a call.
    """

    def __init__(self, open_snapshot: Callable[[], Snapshot], params: RankParams, prepare: bool = False,
                 make_view: Callable[[Snapshot, RankParams], SnapshotView] | None = None) -> None:
        self._open_snapshot = open_snapshot
        self._make_view = make_view or SnapshotView  # a sharded index's views merge its shards
        self.params = params
        self._prepare = prepare  # build each new view's typo index in the background
        self._view: SnapshotView | None = None
        self._lock = threading.Lock()

    def acquire(self) -> SnapshotView:
        """The view of the latest commit, with one more holder (release it when done)."""
        with self._lock:
            view = self._view
            if view is None or not view.snapshot.is_current():
                fresh = self._make_view(self._open_snapshot(), self.params)
                self._view = fresh
                if self._prepare:
                    fresh.prepare()
                if view is not None:
                    view.release()  # our own reference: it closes when no call reads it
                view = fresh
            return view.acquire()

    @contextmanager
    def reading(self) -> Iterator[SnapshotView]:
        """One view (snapshot and caches) for the whole of a call."""
        view = self.acquire()
        try:
            yield view
        finally:
            view.release()

    def close(self) -> None:
        """Let go of our reference to the latest view (calls still reading it finish first)."""
        with self._lock:
            view, self._view = self._view, None
        if view is not None:
            view.release()


def overview(snapshot: Snapshot) -> dict[str, Any]:
    """How many articles the snapshot holds and the span of their dates (what ``vnsearch stats`` prints).

    Only dates that are text count: a damaged stored article must not stop the count.
    """
    dates = sorted(d for d in (f.get("date") for f in snapshot.all_stored()) if d and isinstance(d, str))
    return {"articles": snapshot.doc_count, "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None, "dated": len(dates)}
