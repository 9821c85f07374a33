"""vnsearch behind the benchmark's Searcher interface, with an on-disk index cache.

Indexing 5,000 articles with vnsearch takes minutes (word segmentation), so a built
index is kept under bench/out/ and reused while neither the documents nor vnsearch's
source files change. The cache key is a hash of both, so a code change can never be
benchmarked against a stale index.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

from corpus import Collection
from peers import Builder, Searcher

REPO_ROOT = Path(__file__).resolve().parents[1]
STAMP_SUFFIX = ".complete.json"


def import_vnsearch() -> tuple[ModuleType | None, str]:
    """Import vnsearch from this checkout; return (module or None, note for the user).

    Any exception counts as "not available": the library is under active development
    and a half-written module must not stop the peers from being measured.
    """
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(1, str(REPO_ROOT))
    try:
        import vnsearch
        vnsearch.SearchEngine  # noqa: B018  (fail here if the contract isn't there yet)
    except Exception as exc:
        return None, f"vnsearch not importable ({type(exc).__name__}: {exc})"
    return vnsearch, f"vnsearch from {Path(vnsearch.__file__).parent}"


# The modules that decide what goes into the index. Ranking, querying and
# highlighting happen at search time, so changing them needs no rebuild.
# The packages whose code shapes what an index holds: the language work, the
# loading of articles and the storage (its format and dictionary included).
INDEX_PACKAGES = ("lang", "ingest", "store")


def source_files(module: ModuleType) -> list[Path]:
    """The vnsearch source files that shape the index, sorted."""
    pkg_dir = Path(module.__file__).resolve().parent
    files = [p for name in INDEX_PACKAGES for p in (pkg_dir / name).rglob("*")
             if p.is_file() and (p.suffix == ".py" or p.name == "stored.zdict")]
    return sorted(files)


def cache_key(module: ModuleType, collection: Collection) -> str:
    """Short hash of vnsearch's sources and of the exact documents indexed."""
    h = hashlib.sha256()
    pkg_dir = Path(module.__file__).resolve().parent
    for path in source_files(module):
        h.update(str(path.relative_to(pkg_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(json.dumps(collection.docs, ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:12]


def hit_id(hit: object) -> str:
    """``hit.id`` per the contract; tolerate a mapping too."""
    return hit["id"] if isinstance(hit, dict) else hit.id


class VnsearchSearcher:
    """A vnsearch.SearchEngine opened on a (possibly cached) index directory."""

    def __init__(self, engine: object, reused: bool, build_seconds: float) -> None:
        self.engine = engine
        self.reused = reused
        self.build_seconds = build_seconds  # of the original build, when reused

    def search(self, query: str, k: int = 10) -> list[str]:
        return [hit_id(h) for h in self.engine.search(query, limit=k)]

    def close(self) -> None:
        close = getattr(self.engine, "close", None)
        if callable(close):
            close()


def _drop_stale(cache_root: Path, name: str, keep: Path) -> None:
    """Remove older cached indexes of the same collection (they're tens of MB each)."""
    for old in cache_root.glob(f"vnsearch-{name}-*"):
        if old.name in (keep.name, keep.name + STAMP_SUFFIX):
            continue
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def make_vnsearch_builder(module: ModuleType, cache_root: Path, rebuild: bool) -> Builder:
    """A Builder that reuses a complete cached index unless ``rebuild`` is set.

    A stamp file next to the index is written only after add_articles returns, so an
    interrupted build is never mistaken for a complete one.
    """

    def build(collection: Collection) -> Searcher:
        index_dir = cache_root / f"vnsearch-{collection.name}-{cache_key(module, collection)}"
        stamp = index_dir.with_name(index_dir.name + STAMP_SUFFIX)
        if stamp.exists() and index_dir.is_dir() and not rebuild:
            meta = json.loads(stamp.read_text())
            return VnsearchSearcher(module.SearchEngine(index_dir), True,
                                    meta["build_seconds"])
        cache_root.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        shutil.rmtree(index_dir, ignore_errors=True)
        _drop_stale(cache_root, collection.name, index_dir)
        started = time.perf_counter()
        engine = module.SearchEngine(index_dir)
        count = engine.add_articles(iter(collection.docs))
        seconds = time.perf_counter() - started
        stamp.write_text(json.dumps({"build_seconds": seconds,
                                     "count": count if isinstance(count, int) else None,
                                     "docs": len(collection.docs)}))
        return VnsearchSearcher(engine, False, seconds)

    return build
