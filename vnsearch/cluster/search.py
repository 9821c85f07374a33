"""Searching a sharded index on Dask: each query's shard rankings run as tasks on workers.

The coordinator (the engine) keeps the composite snapshot for what comes
after the ranking (the merged steps, the page's stored fields, reading the
query); the shards' rankings, the costly part, go to workers that keep their
shards open (:mod:`vnsearch.cluster.worker`). Shard *i* prefers worker
*i mod W*, so its caches stay warm, but may run anywhere: a task lost with
its worker is run again elsewhere, and a query whose task failed is retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from vnsearch.cluster.connect import Connection, connect
from vnsearch.cluster.worker import rank_on_worker
from vnsearch.search.ranking import RankParams
from vnsearch.search.sharded import RankRequest, ShardedSnapshot, ShardedView, ShardResult, StaleShard, commit_state
from vnsearch.search.view import SnapshotView
from vnsearch.store.sharding import ShardedStore
from vnsearch.store.snapshot import Snapshot

__all__ = ["DaskFanout", "cluster_views", "ATTEMPTS"]

ATTEMPTS = 4  # tries of one query's fan-out before its error is raised


class DaskFanout:
    """Ranks every shard of a query as Dask tasks and gathers them in shard order."""

    def __init__(self, client: Any, path: str, snapshot: ShardedSnapshot, params: RankParams) -> None:
        self.client = client
        self.path = path
        self.shards = len(snapshot.parts)
        self.states = [commit_state(part) for part in snapshot.parts]  # the commits the engine reads
        self.version = snapshot.stats.version
        self.params = params
        self._workers: list[str] = []

    def _placement(self, refresh: bool = False) -> list[str]:
        if refresh or not self._workers:
            self._workers = sorted(self.client.scheduler_info().get("workers", {}))
        return self._workers

    def rank(self, request: RankRequest) -> list[ShardResult]:
        error: BaseException | None = None
        for attempt in range(ATTEMPTS):
            workers = self._placement(refresh=attempt > 0)
            futures = [self.client.submit(rank_on_worker, self.path, i, self.version, self.params, request,
                                          self.states[i], pure=False, retries=1, allow_other_workers=True,
                                          workers=[workers[i % len(workers)]] if workers else None)
                       for i in range(self.shards)]
            try:
                got: list[ShardResult] = self.client.gather(futures)
                return got
            except StaleShard:
                raise  # the engine searches again on a fresh snapshot
            except Exception as exc:  # a worker lost mid-query (KilledWorker, CommClosedError, …): again
                error = exc
                for f in futures:
                    f.cancel()
                time.sleep(min(0.2 * (attempt + 1), 1.0))
        assert error is not None
        raise error


def cluster_views(store: ShardedStore, cluster: Any) -> tuple[Connection, Callable[[Snapshot, RankParams],
                                                                                     SnapshotView]]:
    """The connection to *cluster*, and views of *store* whose shards are ranked on it."""
    connection = connect(cluster)
    path = str(store.path.resolve())

    def make_view(snapshot: Snapshot, params: RankParams) -> SnapshotView:
        assert isinstance(snapshot, ShardedSnapshot)
        fanout = DaskFanout(connection.client, path, snapshot, params)
        return ShardedView(snapshot, params, fanout)

    return connection, make_view
