"""Indexing a sharded index on Dask: raw article batches to workers, one writer per shard.

The driver reads and checks the articles and routes each to its shard
(:meth:`~vnsearch.store.sharding.ShardedStore.route`); each batch of one
shard is a task running today's indexing on that shard
(:func:`~vnsearch.store.sharding.write_batch`: digest check, commit), chained
after the shard's previous batch, so one writer at a time writes each shard.
Raw articles travel, not prepared documents (those are about five times
larger). Every batch commits, so a run killed anywhere keeps every batch
written, and a re-run finds those articles unchanged: every article exactly
once. At the end each shard merges what the run wrote, and the shards'
partial statistics are merged into a new statistics snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vnsearch.cluster.connect import connect
from vnsearch.cluster.worker import merge_on_worker, partial_on_worker, write_on_worker
from vnsearch.ingest.articles import Article, LoadWarning
from vnsearch.store.indexing import IndexSummary
from vnsearch.store.sharding import DEFAULT_BATCH, ShardedStore, add_summary, shard_dir

__all__ = ["index_on_cluster", "IN_FLIGHT"]

IN_FLIGHT = 4  # batches sent per worker before the driver waits for the oldest


def index_on_cluster(store: ShardedStore, articles: Iterable[Article | Mapping[str, Any]], cluster: Any,
                     on_progress: Callable[[Article], None] | None = None,
                     on_warning: Callable[[LoadWarning], None] | None = None,
                     batch: int = DEFAULT_BATCH) -> IndexSummary:
    """Index *articles* into *store* on *cluster* (``"local"``, an address or a Client); see the module docstring."""
    from distributed import wait

    connection = connect(cluster)
    client = connection.client
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        paths = [str(shard_dir(store.path.resolve(), i)) for i in range(store.shards)]
        older = [sorted(s.segment_ids()) for s in store.stores]
        summary = IndexSummary()
        last: list[Any] = [None] * store.shards
        pending: list[tuple[Any, list[Article]]] = []

        def collect(done: list[tuple[Any, list[Article]]]) -> None:
            for future, group in done:
                add_summary(summary, future.result())
                if on_progress:
                    for article in group:
                        on_progress(article)

        for i, group in store.route(articles, summary, on_warning, batch):
            last[i] = client.submit(write_on_worker, paths[i], group, last[i], pure=False, retries=2)
            pending.append((last[i], group))
            if len(pending) >= IN_FLIGHT * workers:
                wait([pending[0][0]])
                done = [p for p in pending if p[0].done()]
                pending = [p for p in pending if not p[0].done()]
                collect(done)
        collect(pending)
        merged = [client.submit(merge_on_worker, paths[i], older[i], last[i], pure=False, retries=2)
                  for i in range(store.shards)]
        root = str(store.path.resolve())
        partials = client.gather([client.submit(partial_on_worker, root, i, merged[i], pure=False, retries=2)
                                  for i in range(store.shards)])
        # The shards' partial statistics were read after the merges: the state they describe.
        store.refresh_statistics(partials)
        return summary
    finally:
        connection.close()
