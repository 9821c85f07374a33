"""One snapshot and the caches built on it, shared by every thread reading that commit."""

from __future__ import annotations

import threading
from collections.abc import Callable

from vnsearch.search.ranking import Ranker, RankParams
from vnsearch.search.restore import index_df
from vnsearch.store.snapshot import Snapshot

__all__ = ["SnapshotView"]


class SnapshotView:
    """A :class:`Snapshot` with its :class:`Ranker` and document-frequency lookup.

    The caches describe this snapshot only, so they live and die with it: a
    newer commit gets a new view. Holders count through the snapshot's own
    :meth:`~Snapshot.acquire` / :meth:`~Snapshot.release`.
    """

    def __init__(self, snapshot: Snapshot, params: RankParams) -> None:
        self.snapshot = snapshot
        self.ranker = Ranker(snapshot, params)
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

    def acquire(self) -> SnapshotView:
        self.snapshot.acquire()
        return self

    def release(self) -> None:
        self.snapshot.release()
