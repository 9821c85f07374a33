"""A sharded index: ordinary indexes side by side, one manifest, one statistics snapshot.

Layout (see :mod:`vnsearch.store.format`, sharded index)::

    DIR/vnsearch-shards.json        the manifest: shard count, id hash, statistics version
    DIR/shard-000/ … shard-NNN/     each an ordinary vnsearch index
    DIR/statistics-000007.npz       the merged statistics every shard ranks by

An article goes to shard ``blake2b(NFC(id)) mod S``, so it always lands in
the same shard whatever the order or the machine (Python's ``hash()`` is
salted per process): replacing, deleting and "unchanged" stay shard-local,
and re-running an interrupted load adds nothing twice.

Writing goes in batches: the articles of one shard are indexed by today's
:func:`~vnsearch.store.updates.index_articles` (digest check, commits, the
shard's own write lock), one batch after another, by one writer per shard
(here in turn, or on Dask workers: :mod:`vnsearch.cluster`). After a run the
shards' partial statistics are merged into a new statistics file, and the
manifest is switched to it in one rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnsearch.errors import ArticleError, IndexNotFound, IndexUnusable
from vnsearch.store.directory import IndexStore
from vnsearch.store.statistics import GlobalStatistics, Partial, as_partial, merge_partials, partial_statistics

if TYPE_CHECKING:
    # Writing only (imported where it is done): searching a sharded index loads no input reading or indexing.
    from vnsearch.ingest.articles import Article, LoadWarning
    from vnsearch.store.indexing import IndexSummary

__all__ = ["MANIFEST", "ShardedStore", "shard_of", "is_sharded", "shard_dir", "write_batch", "add_summary",
           "DEFAULT_BATCH"]

MANIFEST = "vnsearch-shards.json"
MANIFEST_FORMAT = "vnsearch-sharded"
MANIFEST_VERSION = 1
HASH_NAME = "blake2b-8/nfc-id"  # the manifest's name for shard_of
DEFAULT_BATCH = 2000  # articles of one shard written by one indexing call (one commit, one segment)
# In this process each call starts its own segmentation workers: fewer, larger calls.
IN_PROCESS_BATCH = 5000


def shard_of(article_id: str, shards: int) -> int:
    """The shard of *article_id*: blake2b (8 bytes) of its NFC form, modulo *shards*."""
    key = unicodedata.normalize("NFC", article_id).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % shards


def is_sharded(path: str | os.PathLike[str]) -> bool:
    """True if *path* holds a sharded index (its manifest)."""
    return (Path(path) / MANIFEST).is_file()


def shard_dir(path: Path, shard: int) -> Path:
    return path / f"shard-{shard:03d}"


def statistics_name(version: int) -> str:
    return f"statistics-{version:06d}.npz"


def add_summary(into: IndexSummary, part: IndexSummary) -> None:
    """Add *part*'s counts and warnings to *into*."""
    into.added += part.added
    into.replaced += part.replaced
    into.unchanged += part.unchanged
    into.skipped += part.skipped
    into.deleted += part.deleted
    into.warnings.extend(part.warnings)


def write_batch(path: Path, articles: Sequence[Article], jobs: int | None = 1,
                commit_every: int | None = None, wait: float | None = None) -> IndexSummary:
    """Index *articles* (all of one shard) into the ordinary index at *path*; what a shard's writer runs."""
    from vnsearch.store.updates import index_articles

    store = IndexStore(path, create=True, wait=wait)
    try:
        return index_articles(store, articles, jobs=jobs, commit_every=commit_every)
    finally:
        store.close()


def merge_run(path: Path, older: Sequence[str]) -> bool:
    """Merge the segments an indexing run wrote into the shard at *path* (those not in *older*)."""
    store = IndexStore(path, create=True)
    try:
        return store.merge(set(older))
    finally:
        store.close()


def segment_state(store: IndexStore) -> list[str]:
    """The shard's segments as ``id:live documents``, sorted: what its statistics depend on."""
    return sorted(f"{sid}:{n}" for sid, n in store.segments())


def shard_partial(root: Path, shard: int) -> Partial:
    """The partial statistics of one shard of the sharded index at *root* (its share of the merge).

    Kept beside the manifest as ``partial-NNN-STATE.npz``, STATE a digest of
    the shard's segments: a run that wrote to one shard of many reads only
    that one again (about a second per 2,000 articles otherwise).
    """
    store = IndexStore(shard_dir(root, shard), create=False)
    try:
        snapshot = store.snapshot()
        try:
            state = hashlib.blake2b(" ".join(segment_state(store)).encode(), digest_size=8).hexdigest()
            cached = root / f"partial-{shard:03d}-{state}.npz"
            if cached.is_file():
                try:
                    return as_partial(GlobalStatistics.load(cached))
                except ValueError:
                    pass  # unreadable: computed again below
            got = partial_statistics(snapshot)
        finally:
            snapshot.release()
    finally:
        store.close()
    for old in root.glob(f"partial-{shard:03d}-*.npz"):
        old.unlink(missing_ok=True)
    tmp = root / f".{cached.name}.tmp"
    merge_partials([got]).save(tmp)
    os.replace(tmp, cached)
    return got


class ShardedStore:
    """A sharded index directory: its manifest, its shards' stores and its statistics.

    ``shards`` creates a new sharded index with that many shards (or checks
    an existing one has as many); without it, *path* must hold one already.
    """

    def __init__(self, path: Path, shards: int | None = None, create: bool = True,
                 wait: float | None = 60.0, on_wait: Callable[[], None] | None = None) -> None:
        self.path = path
        self.wait = wait
        manifest = path / MANIFEST
        if manifest.is_file():
            self.manifest = self._read_manifest()
            if shards is not None and shards != self.manifest["shards"]:
                raise IndexUnusable(f"{path} has {self.manifest['shards']} shards, not {shards}; "
                                    f"a sharded index keeps its shard count (build a new one to change it)")
        elif shards is None:
            raise IndexNotFound(f"no sharded index at {path}")
        elif not create:
            raise IndexNotFound(f"no sharded index at {path}")
        else:
            if shards < 1:
                raise ValueError("a sharded index needs at least one shard")
            if path.exists() and (not path.is_dir() or any(not p.name.startswith(".") for p in path.iterdir())):
                raise IndexUnusable(f"{path} is not empty; a sharded index needs an empty or new directory")
            path.mkdir(parents=True, exist_ok=True)
            self.manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "shards": shards,
                             "hash": HASH_NAME, "statistics": 0}
            for i in range(shards):
                IndexStore(shard_dir(path, i), create=True).close()
            self._write_manifest()
        self.shards = int(self.manifest["shards"])
        self.stores = [IndexStore(shard_dir(path, i), create=False, wait=wait, on_wait=on_wait)
                       for i in range(self.shards)]
        self._statistics: GlobalStatistics | None = None
        if not self.manifest.get("statistics"):
            self.refresh_statistics()

    # -- the manifest ------------------------------------------------------------------

    def _read_manifest(self) -> dict[str, Any]:
        where = self.path / MANIFEST
        try:
            got = json.loads(where.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexUnusable(f"{where}: unreadable manifest ({exc})") from exc
        if not isinstance(got, dict) or got.get("format") != MANIFEST_FORMAT:
            raise IndexUnusable(f"{where}: not a vnsearch sharded-index manifest")
        if got.get("version") != MANIFEST_VERSION or got.get("hash") != HASH_NAME:
            raise IndexUnusable(f"{where}: manifest version {got.get('version')} / hash {got.get('hash')!r} "
                                f"is not this version's ({MANIFEST_VERSION}, {HASH_NAME!r})")
        if not isinstance(got.get("shards"), int) or got["shards"] < 1:
            raise IndexUnusable(f"{where}: bad shard count {got.get('shards')!r}")
        return got

    def _write_manifest(self) -> None:
        tmp = self.path / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1) + "\n", "utf-8")
        os.replace(tmp, self.path / MANIFEST)

    # -- statistics ------------------------------------------------------------------------

    def statistics_version(self) -> int:
        """The version the manifest on disk points to (another process may have moved it on)."""
        return int(self._read_manifest().get("statistics", 0))

    def statistics(self) -> GlobalStatistics:
        """The current merged statistics (reloaded when the manifest points to a newer file)."""
        version = self.statistics_version()
        got = self._statistics
        if got is None or got.version != version:
            try:
                got = GlobalStatistics.load(self.path / statistics_name(version))
            except ValueError as exc:
                raise IndexUnusable(f"{exc}; any indexing run merges them again") from exc
            self._statistics = got
        return got

    def shard_state(self) -> list[list[str]]:
        """Each shard's :func:`segment_state`: the statistics describe the state they were merged at."""
        return [segment_state(store) for store in self.stores]

    def stale(self) -> bool:
        """True if a shard was written since the statistics were merged (a run killed before merging them)."""
        return bool(self._read_manifest().get("shard_segments") != self.shard_state())

    def refresh_statistics(self, partials: Iterable[Any] | None = None) -> GlobalStatistics:
        """Merge the shards' partial statistics into a new version and point the manifest to it."""
        state = self.shard_state()
        if partials is None:
            partials = [shard_partial(self.path, i) for i in range(self.shards)]
        version = int(self.manifest.get("statistics", 0)) + 1
        stats = merge_partials(partials, version)
        name = statistics_name(version)
        tmp = self.path / (name + ".tmp")
        stats.save(tmp)
        os.replace(tmp, self.path / name)
        previous = self.manifest.get("statistics", 0)
        self.manifest["statistics"] = version
        self.manifest["shard_segments"] = state
        self._write_manifest()
        if int(previous) > 1:  # the previous one stays for searches still ranking by it (Dask workers)
            (self.path / statistics_name(int(previous) - 1)).unlink(missing_ok=True)
        self._statistics = stats
        return stats

    # -- writing -------------------------------------------------------------------------

    def route(self, articles: Iterable[Article | Mapping[str, Any]], summary: IndexSummary,
              on_warning: Callable[[LoadWarning], None] | None = None,
              batch: int = DEFAULT_BATCH) -> Iterator[tuple[int, list[Article]]]:
        """Valid articles in batches of one shard each: (shard, articles); bad records counted in *summary*."""
        from vnsearch.ingest.articles import LoadWarning
        from vnsearch.store.indexing import coerce_article

        pending: list[list[Article]] = [[] for _ in range(self.shards)]
        for n, item in enumerate(articles, 1):
            try:
                article = coerce_article(item)
            except ArticleError as exc:
                summary.skipped += 1
                warning = LoadWarning(getattr(item, "origin", "") or f"article #{n}", None, str(exc))
                summary.warnings.append(str(warning))
                if on_warning:
                    on_warning(warning)
                continue
            i = shard_of(article.id, self.shards)
            pending[i].append(article)
            if len(pending[i]) >= batch:
                yield i, pending[i]
                pending[i] = []
        for i, rest in enumerate(pending):
            if rest:
                yield i, rest

    def index_articles(self, articles: Iterable[Article | Mapping[str, Any]], jobs: int | None = None,
                       on_progress: Callable[[Article], None] | None = None,
                       on_warning: Callable[[LoadWarning], None] | None = None,
                       commit_every: int | None = 1000, batch: int = IN_PROCESS_BATCH) -> IndexSummary:
        """Add or replace articles, each in its shard, in this process; then merge the statistics."""
        from vnsearch.store.indexing import IndexSummary
        from vnsearch.store.updates import index_articles

        summary = IndexSummary()
        older = [sorted(store.segment_ids()) for store in self.stores]
        written = [False] * self.shards
        for i, group in self.route(articles, summary, on_warning, batch):
            part = index_articles(self.stores[i], group, jobs=jobs, on_warning=on_warning,
                                  commit_every=commit_every)
            add_summary(summary, part)
            written[i] = written[i] or bool(part.written)
            if on_progress:
                for article in group:
                    on_progress(article)
        for i, store in enumerate(self.stores):
            if written[i]:
                store.merge(set(older[i]))
        if any(written) or self.stale():  # stale: an earlier run was killed before merging them
            self.refresh_statistics()
        return summary

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id, each in its shard; the statistics are merged again if any was found."""
        by_shard: dict[int, list[str]] = {}
        for article_id in ids:
            by_shard.setdefault(shard_of(article_id, self.shards), []).append(article_id)
        count = sum(self.stores[i].delete(group) for i, group in by_shard.items())
        if count:
            self.refresh_statistics()
        return count

    def clear(self) -> None:
        for store in self.stores:
            store.clear()
        self.refresh_statistics()

    def merge(self, older: Any = None) -> bool:
        merged = [store.merge(older) for store in self.stores]
        return any(merged)

    def check(self) -> list[str]:
        """Every shard's problems (prefixed with its directory), and statistics that do not match the shards."""
        problems = []
        for i, store in enumerate(self.stores):
            problems += [f"shard-{i:03d}: {p}" for p in store.check()]
        try:
            stats = self.statistics()
        except IndexUnusable as exc:
            return problems + [str(exc)]
        live = 0
        for store in self.stores:
            snapshot = store.snapshot()
            live += snapshot.doc_count
            snapshot.release()
        if live != stats.doc_count or self.stale():
            problems.append(f"the statistics ({stats.doc_count} articles) predate the shards' last commit "
                            f"({live} articles); any indexing run merges them again")
        return problems

    def check_notes(self) -> list[str]:
        """Every shard's notes of what :meth:`check` could not verify (segments of an older format)."""
        return [f"shard-{i:03d}: {note}" for i, store in enumerate(self.stores) for note in store.check_notes()]

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def close(self) -> None:
        for store in self.stores:
            store.close()
