"""What runs on a Dask worker: shards kept open between tasks (a per-worker cache).

Workers are stateless as far as the index goes: a shard is opened from the
shared storage on first use and reopened after a commit or a new statistics
version, so a task can run on any worker, and a lost worker's shards are
simply opened by another.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from vnsearch.search.ranking import Ranker, RankParams
from vnsearch.search.sharded import RankRequest, ShardResult, StaleShard, commit_state, shard_rank
from vnsearch.store.directory import IndexStore
from vnsearch.store.indexing import IndexSummary
from vnsearch.store.sharding import merge_run, shard_dir, shard_partial, statistics_name, write_batch
from vnsearch.store.statistics import GlobalStatistics, Partial

__all__ = ["rank_on_worker", "write_on_worker", "merge_on_worker", "partial_on_worker"]

_LOCK = threading.Lock()
_STORES: dict[tuple[str, int], IndexStore] = {}
_STATS: dict[tuple[str, int], GlobalStatistics] = {}
_RANKERS: dict[tuple[str, int], tuple[int, Ranker]] = {}


def _statistics(path: str, version: int) -> GlobalStatistics:
    key = (path, version)
    got = _STATS.get(key)
    if got is None:
        for old in [k for k in _STATS if k[0] == path]:
            del _STATS[old]
        got = _STATS[key] = GlobalStatistics.load(Path(path) / statistics_name(version))
    return got


def _ranker(path: str, shard: int, version: int, params: RankParams, fresh: bool = False) -> Ranker:
    """This worker's ranker of *shard* (its latest commit, statistics *version*), held once more: release it."""
    key = (path, shard)
    with _LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = IndexStore(shard_dir(Path(path), shard), create=False, wait=None)
        held = _RANKERS.get(key)
        if (held is not None and not fresh and held[0] == version and held[1].params == params
                and held[1].snapshot.is_current()):
            held[1].snapshot.acquire()
            return held[1]
        ranker = Ranker(store.snapshot(), params, stats=_statistics(path, version))
        if held is not None:
            held[1].snapshot.release()
        _RANKERS[key] = (version, ranker)
        ranker.snapshot.acquire()
        return ranker


def rank_on_worker(path: str, shard: int, version: int, params: RankParams, request: RankRequest,
                   state: tuple[tuple[str, int, int], ...] | None = None) -> ShardResult:
    """One shard's answer to *request* (a Dask task), on the commit whose :func:`commit_state` is *state*.

    A worker whose cached commit is not *state* opens the shard's latest; if that is not *state*
    either, the coordinator's snapshot is older than the shard: :class:`StaleShard`.
    """
    ranker = _ranker(path, shard, version, params)
    if state is not None and commit_state(ranker.snapshot) != state:
        ranker.snapshot.release()
        ranker = _ranker(path, shard, version, params, fresh=True)
        if commit_state(ranker.snapshot) != state:
            ranker.snapshot.release()
            raise StaleShard(f"shard {shard} of {path} has a newer commit than the search's snapshot")
    try:
        return shard_rank(ranker, request)
    finally:
        ranker.snapshot.release()


def write_on_worker(path: str, articles: list[Any], after: Any = None) -> IndexSummary:
    """Index one batch of one shard's raw articles (a Dask task; *after*: the shard's previous batch)."""
    return write_batch(Path(path), articles, jobs=1)


def merge_on_worker(path: str, older: list[str], after: Any = None) -> bool:
    """Merge what an indexing run wrote into one shard (a Dask task, after the shard's last batch)."""
    return merge_run(Path(path), older)


def partial_on_worker(root: str, shard: int, after: Any = None) -> Partial:
    """One shard's partial statistics (a Dask task)."""
    return shard_partial(Path(root), shard)
