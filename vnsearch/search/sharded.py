"""Searching a sharded index: shards rank with the corpus' statistics, the merge does the rest.

Each shard's :class:`~vnsearch.search.ranking.Ranker` reads the merged
:class:`~vnsearch.store.statistics.GlobalStatistics`, so every score it gives
is the score one index of the whole corpus would give. What no shard can do
alone is done here, over the merged candidates: picking the proximity
re-rank window (the best first-phase scores of all shards; each shard
re-ranked its own best, a superset of its share), the title step over the
best title holders, the order (ties by article id), near-duplicate grouping
and the suggestion (through the composite :class:`ShardedSnapshot`, whose
doc numbers are ``local × S + shard``).

The shards are ranked by a :class:`Fanout`: in this process
(:class:`LocalFanout`, also the test oracle) or as Dask tasks
(:mod:`vnsearch.cluster`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vnsearch.lang.text import fold_all
from vnsearch.search.kept import Kept
from vnsearch.search.query import ParsedQuery
from vnsearch.search.ranking import Ranker, Ranking, RankParams, title_factor
from vnsearch.search.scoring import KEPT_TERMS
from vnsearch.search.ties import by_id_in_ties
from vnsearch.search.understand import Alternative
from vnsearch.search.view import SnapshotView, StaleShard
from vnsearch.store.postings import Postings
from vnsearch.store.sharding import ShardedStore, shard_of
from vnsearch.store.snapshot import Column, Snapshot
from vnsearch.store.statistics import DF_FIELDS, GlobalStatistics

__all__ = ["RankRequest", "ShardResult", "Fanout", "LocalFanout", "ShardedSnapshot", "ShardedRanker",
           "ShardedView", "shard_rank", "merge_facets", "StaleShard", "commit_state", "open_sharded", "local_view"]


def commit_state(snapshot: Snapshot) -> tuple[tuple[str, int, int], ...]:
    """Which commit *snapshot* is: its segments' ids, sizes and deletions (equal states, equal doc numbers)."""
    return tuple((str(seg.reader.segment().segment_id()), int(seg.doc_count),
                  0 if seg.deleted is None else len(seg.deleted)) for seg in snapshot.segments)


@dataclass(frozen=True)
class RankRequest:
    """One query's ranking options, as sent to every shard."""

    query: ParsedQuery
    limit: int
    offset: int
    sort: str
    facets: bool
    filters: dict[str, list[str]] | None
    half_life: float | None
    alternatives: Mapping[str, Sequence[Alternative]] | None


@dataclass
class ShardResult:
    """One shard's candidates (local doc numbers) and counts."""

    docs: np.ndarray
    scores: np.ndarray  # float32: after the proximity re-rank (relevance) or the ranking's (date sorts)
    first: np.ndarray | None  # float32 first-phase scores (relevance)
    title_all: np.ndarray | None
    dates: np.ndarray | None  # YYYYMMDD per doc (date sorts)
    total: int
    matched: int
    facets: dict[str, dict[str, int]] | None


def shard_rank(ranker: Ranker, request: RankRequest) -> ShardResult:
    """What one shard answers to *request* (in this process or on a worker)."""
    r = request
    if r.sort == "relevance":
        got = ranker.rank(r.query, limit=r.limit, offset=r.offset, sort=r.sort, facets=r.facets, filters=r.filters,
                          half_life=r.half_life, alternatives=r.alternatives, shard=True)
        return ShardResult(got.docs, got.scores, got.first, got.title_all, None, got.total, got.matched, got.facets)
    got = ranker.rank(r.query, limit=r.offset + r.limit, offset=0, sort=r.sort, facets=r.facets, filters=r.filters,
                      half_life=r.half_life, alternatives=r.alternatives)
    dates = ranker.columns.dates()[got.docs].astype(np.int64)
    return ShardResult(got.docs, got.scores, None, None, dates, got.total, got.matched, got.facets)


class Fanout(Protocol):
    """Ranks a request on every shard; results in shard order."""

    def rank(self, request: RankRequest) -> list[ShardResult]: ...


class LocalFanout:
    """Every shard ranked in this process, one after another."""

    def __init__(self, rankers: Sequence[Ranker]) -> None:
        self.rankers = list(rankers)

    def rank(self, request: RankRequest) -> list[ShardResult]:
        return [shard_rank(r, request) for r in self.rankers]


def merge_facets(parts: Sequence[dict[str, dict[str, int]] | None]) -> dict[str, dict[str, int]] | None:
    """Facet counts of several shards added up, most frequent first, then by name."""
    if not parts or any(p is None for p in parts):
        return None
    out: dict[str, dict[str, int]] = {}
    for part in parts:
        assert part is not None
        for key, counts in part.items():
            into = out.setdefault(key, {})
            for name, n in counts.items():
                into[name] = into.get(name, 0) + n
    return {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in out.items()}


class _Column:
    """A per-document column of every shard, indexed by composite doc number."""

    def __init__(self, columns: Sequence[Column | None]) -> None:
        self.columns = columns

    def __getitem__(self, docnum: int) -> Any:
        s = len(self.columns)
        column = self.columns[docnum % s]
        return None if column is None else column[docnum // s]

    def values(self, docnums: Sequence[int]) -> list[Any]:
        return [self[int(d)] for d in docnums]


class ShardedSnapshot(Snapshot):
    """One snapshot of every shard read as one index: doc number ``local × S + shard``.

    Statistics-wise reads (document frequencies, lexicons of the ranked
    fields) come from the merged statistics; stored fields and posting
    lists from the shards. Held and released as one.
    """

    def __init__(self, parts: Sequence[Snapshot], stats: GlobalStatistics,
                 is_current: Callable[[], bool] | None = None) -> None:
        self.parts = list(parts)
        self.stats = stats
        self.path = parts[0].path.parent if parts else Path()
        s = len(self.parts)
        self.size = s * max((p.size for p in self.parts), default=0)
        live = np.zeros(self.size, dtype=bool)
        for i, part in enumerate(self.parts):
            live[i: part.size * s: s] = part.live
        live.setflags(write=False)
        self.live = live
        self.doc_count = sum(p.doc_count for p in self.parts)
        self._refs = 1
        self._lock = threading.Lock()
        self._closed = False
        self._current = is_current
        self.segments = []

    def _close_files(self) -> None:
        for part in self.parts:
            part.release()

    def is_current(self) -> bool:
        return all(p.is_current() for p in self.parts) and (self._current is None or self._current())

    def _split(self, docnum: int) -> tuple[Snapshot, int]:
        s = len(self.parts)
        return self.parts[int(docnum) % s], int(docnum) // s

    def postings(self, fieldname: str, term: str) -> Postings:
        """The shards' postings of *term* on composite doc numbers (no positions: for counting and sets)."""
        s = len(self.parts)
        docs, freqs = [], []
        for i, part in enumerate(self.parts):
            p = part.postings(fieldname, term)
            docs.append(p.docs * s + i)
            freqs.append(p.freqs)
        all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
        order = np.argsort(all_docs, kind="stable")
        return Postings(all_docs[order], (np.concatenate(freqs) if freqs else np.zeros(0, np.float32))[order], ())

    def field_lengths(self, fieldname: str) -> np.ndarray:
        s = len(self.parts)
        out = np.zeros(self.size, dtype=np.float32)
        for i, part in enumerate(self.parts):
            out[i: part.size * s: s] = part.field_lengths(fieldname)
        return out

    def doc_frequency(self, fieldname: str, term: str) -> int:
        if fieldname in DF_FIELDS:
            return self.stats.doc_frequency(fieldname, term)
        return sum(p.doc_frequency(fieldname, term) for p in self.parts)

    def has_field(self, fieldname: str) -> bool:
        return bool(self.parts) and self.parts[0].has_field(fieldname)

    def lexicon(self, fieldname: str) -> list[str]:
        if fieldname in DF_FIELDS:
            return sorted(self.stats.dfs.get(fieldname, {}))
        return sorted({t for p in self.parts for t in p.lexicon(fieldname)})

    def term_frequencies(self, fieldname: str) -> Iterator[tuple[str, int]]:
        if fieldname in DF_FIELDS:
            yield from self.stats.term_frequencies(fieldname)
            return
        counts: dict[str, int] = {}
        for part in self.parts:
            for term, n in part.term_frequencies(fieldname):
                counts[term] = counts.get(term, 0) + n
        yield from sorted(counts.items())

    def prefix_frequencies(self, fieldname: str, prefix: str) -> list[tuple[str, int]]:
        """The shards' terms starting with *prefix*, document frequencies summed (the shards hold disjoint articles)."""
        counts: dict[str, int] = {}
        for part in self.parts:
            for term, n in part.prefix_frequencies(fieldname, prefix):
                counts[term] = counts.get(term, 0) + n
        return sorted(counts.items())

    def stored(self, docnum: int) -> dict[str, Any]:
        part, local = self._split(docnum)
        return part.stored(local)

    def field_texts(self, name: str, docnums: Sequence[int]) -> list[str]:
        out = [""] * len(docnums)
        by_part: dict[int, list[int]] = {}
        for k, docnum in enumerate(docnums):
            by_part.setdefault(int(docnum) % len(self.parts), []).append(k)
        for i, ks in by_part.items():
            texts = self.parts[i].field_texts(name, [int(docnums[k]) // len(self.parts) for k in ks])
            for k, text in zip(ks, texts):
                out[k] = text
        return out

    def fixed_rows(self, name: str, docnums: Sequence[int] | np.ndarray) -> np.ndarray | None:
        docs = np.asarray(docnums, dtype=np.int64)
        s = len(self.parts)
        shard = docs % s
        got: list[np.ndarray] = []
        for i, part in enumerate(self.parts):
            rows = part.fixed_rows(name, docs[shard == i] // s)
            if rows is None or (got and rows.shape[1] != got[0].shape[1]):
                return None
            got.append(rows)
        out = np.empty((docs.size, got[0].shape[1] if got else 0), dtype=np.uint8)
        for i, rows in enumerate(got):
            out[shard == i] = rows
        return out

    def doc_number(self, article_id: str) -> int | None:
        if not isinstance(article_id, str):
            raise TypeError(f"an article id is a string, not {type(article_id).__name__}")
        if not self.parts:
            return None
        i = shard_of(article_id, len(self.parts))
        local = self.parts[i].doc_number(article_id)
        return None if local is None else local * len(self.parts) + i

    def live_docs(self) -> Iterator[int]:
        """Every live doc number, shard after shard."""
        s = len(self.parts)
        for i, part in enumerate(self.parts):
            for local in part.live_docs():
                yield local * s + i

    def column(self, name: str) -> Column | None:
        columns = [p.column(name) for p in self.parts]
        if all(c is None for c in columns):
            return None
        return _Column(columns)  # type: ignore[return-value]  # indexable like a Column

    def id_terms(self) -> int:
        return sum(p.id_terms() for p in self.parts)


class ShardedRanker(Ranker):
    """Ranks on every shard through a :class:`Fanout` and merges (see the module docstring)."""

    def __init__(self, snapshot: ShardedSnapshot, params: RankParams, fanout: Fanout) -> None:
        # Not Ranker.__init__: no postings of its own; what the merge and its callers read.
        self.snapshot = snapshot
        self.params = params
        self.stats = snapshot.stats
        self.size = snapshot.size
        self.live = snapshot.live
        self.doc_count = snapshot.stats.doc_count
        self.fanout = fanout
        self._idf_cache = Kept(KEPT_TERMS)
        self.held = Kept(KEPT_TERMS)

    def rank(self, query: ParsedQuery, limit: int = 10, offset: int = 0, sort: str = "relevance",
             facets: bool = False, filters: dict[str, list[str]] | None = None,
             half_life: float | None = None,
             alternatives: Mapping[str, Sequence[Alternative]] | None = None, shard: bool = False) -> Ranking:
        if sort not in ("relevance", "newest", "oldest"):
            raise ValueError(f"unknown sort {sort!r}")
        parts = self.fanout.rank(RankRequest(query, limit, offset, sort, facets, filters, half_life, alternatives))
        s = len(parts)
        total = sum(p.total for p in parts)
        matched = sum(p.matched for p in parts)
        facet_counts = merge_facets([p.facets for p in parts]) if facets else None
        empty = np.zeros(0, dtype=np.int64)
        docs = np.concatenate([p.docs.astype(np.int64) * s + i for i, p in enumerate(parts)]) if parts else empty
        scores = (np.concatenate([p.scores for p in parts]) if parts else np.zeros(0)).astype(np.float32)
        if not docs.size:
            return Ranking(empty, np.zeros(0, dtype=np.float32), total, matched, facet_counts)
        if sort != "relevance":
            dates = np.concatenate([p.dates if p.dates is not None else np.zeros(0, np.int64) for p in parts])
            by_date = -dates if sort == "newest" else dates
            order = np.lexsort((docs, -scores, by_date, dates == 0))
            order = order[by_id_in_ties(self.snapshot, docs[order], (by_date[order], scores[order]),
                                        offset, limit)][offset: offset + limit]
            return Ranking(docs[order], scores[order], total, matched, facet_counts)
        first = np.concatenate([p.first if p.first is not None else p.scores for p in parts]).astype(np.float32)
        # The window one index would re-rank: the best first-phase scores of all.
        k = min(matched, max(self.params.rerank, offset + limit))
        window = np.lexsort((docs, -first))[:k]
        docs, scores = docs[window], scores[window].copy()
        p = self.params
        # A shard without candidates has no title flags: it holds none of the window.
        if p.title_info_power and query.groups and all(x.title_all is not None for x in parts if x.docs.size):
            flags = [x.title_all if x.title_all is not None else np.zeros(0, dtype=bool) for x in parts]
            title_all = np.concatenate(flags)[window]
            self._title_step(query, docs, scores, title_all)
        order = np.lexsort((docs, -scores))
        order = order[by_id_in_ties(self.snapshot, docs[order], (scores[order],), offset, limit)]
        order = order[offset: offset + limit]
        return Ranking(docs[order], scores[order], total, matched, facet_counts)

    def _title_step(self, query: ParsedQuery, docs: np.ndarray, scores: np.ndarray, title_all: np.ndarray) -> None:
        """:func:`~vnsearch.search.ranking.title_information` over the merged window."""
        p = self.params
        holders = np.flatnonzero(title_all)
        if holders.size < 2:
            return
        holders = holders[np.argsort(-scores[holders], kind="stable")[: p.title_info_depth]]
        wanted = {fold_all(s) for s in query.syllables()}
        for h in holders.tolist():
            factor = title_factor(self, self.snapshot.stored(int(docs[h])).get("title") or "", wanted, p)
            if factor is not None:
                scores[h] *= factor


class ShardedView(SnapshotView):
    """A :class:`SnapshotView` of a sharded index: the composite snapshot and the merging ranker."""

    def __init__(self, snapshot: ShardedSnapshot, params: RankParams,
                 fanout: Fanout | None = None) -> None:
        self.snapshot = snapshot
        if fanout is None:
            fanout = LocalFanout([Ranker(part, params, stats=snapshot.stats) for part in snapshot.parts])
        self.ranker = ShardedRanker(snapshot, params, fanout)
        self._df = None
        self._lock = threading.Lock()


def open_sharded(store: ShardedStore) -> ShardedSnapshot:
    """Every shard's latest snapshot read as one, with the merged statistics.

    The statistics are read first: should a shard commit while the shards are
    opened, the snapshot's freshness check sees the version move and the next
    read opens a new one.
    """
    stats = store.statistics()
    parts: list[Snapshot] = []
    try:
        for shard in store.stores:
            parts.append(shard.snapshot())
    except BaseException:
        for part in parts:
            part.release()
        raise
    return ShardedSnapshot(parts, stats, lambda: store.statistics_version() == stats.version)


def local_view(snapshot: Snapshot, params: RankParams) -> SnapshotView:
    """A view of a sharded index whose shards are ranked in this process."""
    assert isinstance(snapshot, ShardedSnapshot)
    return ShardedView(snapshot, params)
