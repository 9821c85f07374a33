"""An index directory's lifecycle: open, create, rebuild, write lock, commit, merge, delete, check.

:class:`IndexStore` is everything the engine asks of the files: it opens or
creates the index (checking the format version in ``vnsearch.json``), hands
out read-only :class:`~vnsearch.store.snapshot.Snapshot` objects, and takes
the write lock for writers, waiting for another process's writer to finish.
Whoosh's ``LockError`` never leaves this module: a lock held for too long
becomes :class:`~vnsearch.errors.IndexBusy`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.writing import CLEAR

from vnsearch.errors import IndexBusy, IndexDamaged, IndexNotFound, IndexUnusable, IndexVersionMismatch
from vnsearch.store import legacy  # noqa: F401 - old indexes name old module paths
from vnsearch.store.codec import CompactCodec
from vnsearch.store.damage import DECODE_ERRORS, damage_text, damaged, decoding, not_permitted, rebuild_hint
from vnsearch.store.format import FORMAT_VERSION, READABLE_VERSIONS, VERSION_KEY
from vnsearch.store.merge import merge_policy, plan
from vnsearch.store.schema import make_schema
from vnsearch.store.snapshot import Reading, Snapshot

__all__ = ["IndexStore", "INDEX_NAME", "META_FILE", "LOCK_FILE", "wait_for", "write_lock", "is_index_file"]

META_FILE = "vnsearch.json"
INDEX_NAME = "MAIN"
LOCK_FILE = INDEX_NAME + "_WRITELOCK"
_POLL = 0.1  # seconds between attempts at the write lock


def wait_for(attempt: Callable[[], Any], path: Path, wait: float | None,
             on_wait: Callable[[], None] | None = None) -> Any:
    """``attempt()`` until it returns something, for at most *wait* seconds (None: as long as it takes).

    *on_wait* is called once when the first attempt fails; giving up raises
    :class:`IndexBusy`.
    """
    got = attempt()
    if got is not None:
        return got
    if on_wait:
        on_wait()
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            raise IndexBusy(f"{path}: another process kept writing to the index for more than "
                            f"{wait:g} s; try again when it finishes, or wait longer")
        time.sleep(_POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic())))
        got = attempt()
        if got is not None:
            return got


@contextmanager
def write_lock(path: Path, wait: float | None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the index's write lock without opening a writer (rebuilding, reindexing), waiting as :func:`wait_for`."""
    lock = FileStorage(str(path)).lock(LOCK_FILE)
    wait_for(lambda: lock if lock.acquire(blocking=False) else None, path, wait, on_wait)
    try:
        yield
    finally:
        lock.release()


def is_index_file(name: str) -> bool:
    """True for a file of the index (so a rebuild may delete it); the lock file included."""
    return name == META_FILE or name.startswith((INDEX_NAME + "_", "_" + INDEX_NAME + "_"))


class IndexStore:
    """One index directory on disk; see the module docstring.

    Thread safety: :meth:`snapshot` may be called from any thread. Writers are
    Whoosh's and are used by one thread at a time; the engine serialises its
    writes with a lock of its own, and the write lock serialises processes.
    """

    def __init__(self, path: Path, create: bool = True, rebuild: bool = False,
                 wait: float | None = 60.0, on_wait: Callable[[], None] | None = None) -> None:
        self.path = path
        self.wait = wait
        self.on_wait = on_wait
        if rebuild and path.is_dir() and any(is_index_file(p.name) for p in path.iterdir()):
            # Under the write lock, so a process writing to the index is waited for, not broken.
            with write_lock(path, wait, on_wait):
                self._remove_index_files()
                self._ix = self._open(create)
        else:
            self._ix = self._open(create)

    # -- opening -------------------------------------------------------------

    def _remove_index_files(self) -> None:
        """Delete this index's own files, and nothing else in the directory."""
        for p in self.path.iterdir():
            # The lock file stays: another process may be waiting on it.
            if p.is_file() and is_index_file(p.name) and p.name != LOCK_FILE:
                p.unlink()

    def _open(self, create: bool) -> Any:
        path = self.path
        with decoding(path):  # a table of contents that cannot be read
            exists = whoosh_index.exists_in(str(path), indexname=INDEX_NAME)
        if exists:
            problem = self.schema_problem()
            if problem:
                error = IndexDamaged if self.meta_damage() else IndexVersionMismatch
                raise error(f"{problem}; {rebuild_hint(path)}")
            with decoding(path):  # damaged segment files and the like
                return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
        if path.exists() and not path.is_dir():
            raise IndexUnusable(f"{path} is a file, not an index directory")
        files = sorted(p.name for p in path.iterdir()
                       if not p.name.startswith(".") and p.name != LOCK_FILE) if path.is_dir() else []
        ours = [name for name in files if is_index_file(name)]
        if ours:  # pieces of an index, but no table of contents to read them by
            raise IndexDamaged(f"{path}: the index is damaged and cannot be read (its table of contents "
                               f"is missing; found {', '.join(ours[:3])}); {rebuild_hint(path, from_index=False)}")
        if files:
            raise (IndexUnusable if create else IndexNotFound)(
                f"{path} holds other files ({', '.join(files[:3])}{'…' if len(files) > 3 else ''}) "
                f"and no index; choose an empty or new directory")
        if not create:
            raise IndexNotFound(f"no index at {path}; build one with: vnsearch index --index-dir {path} PATH…")
        path.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
        (path / META_FILE).write_text(json.dumps({VERSION_KEY: FORMAT_VERSION}) + "\n", "utf-8")
        return ix

    def read_meta(self) -> dict[str, Any]:
        """``vnsearch.json`` (the format version), or {} if it cannot be read."""
        try:
            meta = json.loads((self.path / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def meta_damage(self) -> str | None:
        """What is wrong with ``vnsearch.json`` itself (missing, garbled, no version), or None.

        Damage, not another version: only a readable whole number is a
        version. A file this process may not read raises the permission error.
        """
        try:
            text = (self.path / META_FILE).read_text("utf-8")
        except FileNotFoundError:
            return f"its {META_FILE} is missing"
        except PermissionError as exc:
            raise not_permitted(self.path, exc) from exc
        except (OSError, UnicodeDecodeError) as exc:
            return f"its {META_FILE} cannot be read ({type(exc).__name__}: {exc})"
        try:
            meta = json.loads(text)
        except ValueError:
            return f"its {META_FILE} is not valid JSON"
        version = meta.get(VERSION_KEY) if isinstance(meta, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            return f"its {META_FILE} holds no format version"
        return None

    def schema_problem(self) -> str | None:
        """Why this vnsearch cannot read the index's format, or None."""
        damage = self.meta_damage()
        if damage:
            return f"{self.path}: the index is damaged and cannot be read ({damage})"
        meta = self.read_meta()
        if meta.get(VERSION_KEY) not in READABLE_VERSIONS:
            return (f"{self.path} was written by another version of vnsearch "
                    f"(format {meta.get(VERSION_KEY)!r}, this one reads "
                    f"{' and '.join(str(v) for v in sorted(READABLE_VERSIONS))})")
        return None

    def close(self) -> None:
        self._ix.close()

    # -- reading ---------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A new snapshot of the latest commit (the caller holds its one reference)."""
        with decoding(self.path):
            reading = Reading(self._ix)
        return Snapshot(reading, self.path)

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def segment_ids(self) -> set[str]:
        """The ids of the segments of the latest commit (to tell a run's own segments later)."""
        with decoding(self.path):
            return {s.segment_id() for s in self._ix._segments()}

    def segments(self) -> list[tuple[str, int]]:
        """Each segment of the latest commit as (id, live documents), in index order."""
        with decoding(self.path):
            return [(str(s.segment_id()), int(s.doc_count())) for s in self._ix._segments()]

    # -- writing -----------------------------------------------------------------

    def wait_for(self, attempt: Callable[[], Any]) -> Any:
        """``attempt()`` until it returns something, for at most ``self.wait`` seconds."""
        return wait_for(attempt, self.path, self.wait, self.on_wait)

    def writer(self, **kwargs: Any) -> Any:
        """The index's writer, once the write lock is ours (see ``wait``)."""
        def attempt() -> Any:
            try:
                return self._ix.writer(codec=CompactCodec(), **kwargs)
            except LockError:
                return None
        return self.wait_for(attempt)

    @staticmethod
    def commit(writer: Any, final: bool = True, older: Collection[str] | None = None) -> None:
        """Commit *writer* with the merge policy (see :func:`vnsearch.store.merge.merge_policy`)."""
        writer.commit(mergetype=merge_policy(final=final, older=older))

    @staticmethod
    def cancel(writer: Any) -> None:
        """``writer.cancel()``, and the files it had opened for its segment deleted.

        Whoosh creates a writer's segment files when the writer opens and leaves
        them when it is cancelled, for the next commit to delete: a re-run that
        finds nothing changed would leave three empty files behind.
        """
        if getattr(writer, "is_closed", False):
            return
        segment = getattr(writer, "newsegment", None)
        writer.cancel()
        if segment is not None:
            for name in segment.list_files(writer.storage):
                try:
                    writer.storage.delete_file(name)
                except OSError:
                    pass

    def merge(self, older: Collection[str] | None = None) -> bool:
        """Merge small segments (see :func:`vnsearch.store.merge.choose`); True if any were."""
        with decoding(self.path):
            segments = self._ix._segments()
        live, chosen = plan(segments, older)
        if not chosen and len(live) == len(segments):
            return False  # nothing to merge, no empty segment to drop: no writer, no commit
        writer = self.writer()
        try:
            self.commit(writer, final=True, older=older)
        except BaseException:
            self.cancel(writer)
            raise
        return True

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id; how many were found. Nothing found: no commit."""
        writer = self.writer()
        count = 0
        try:
            for article_id in ids:
                with decoding(self.path):  # finding the id reads the segments: damage is said as such
                    count += writer.delete_by_term("id", article_id)
        except BaseException:
            self.cancel(writer)
            raise
        if count:
            self.commit(writer, final=True)
        else:  # nothing found: the index stays as it was, files and all
            self.cancel(writer)
        return int(count)

    def clear(self) -> None:
        """Remove every article (the directory stays an index)."""
        self.writer().commit(mergetype=CLEAR)

    # -- checking -----------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found in the index; an empty list means it is sound.

        Reads everything a search can touch: the schema version, every stored
        document (each must have an id, and no id may appear twice), the
        document count against the ids, and the id terms.
        """
        problems = []
        schema = self.schema_problem()
        if schema:
            problems.append(schema)
        try:
            with decoding(self.path):
                searcher = self._ix.searcher()
            try:
                with decoding(self.path):
                    problems += _check_reader(searcher)
            finally:
                searcher.close()
        except IndexDamaged as exc:
            cause = exc.__cause__
            problems.append(damage_text(cause) if cause is not None else str(exc))
        return problems


def _check_reader(searcher: Any) -> list[str]:
    problems = []
    reader = searcher.reader()
    seen: dict[str, int] = {}
    stored = 0
    for docnum in reader.all_doc_ids():
        stored += 1
        fields = reader.stored_fields(docnum)
        article_id = fields.get("id")
        if not article_id:
            problems.append(f"document #{docnum} has no id")
            continue
        seen[article_id] = seen.get(article_id, 0) + 1
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        problems.append(f"{len(twice)} id(s) stored more than once: {', '.join(twice[:5])}")
    count = searcher.doc_count()
    if count != stored:
        problems.append(f"the index counts {count} documents but {stored} can be read")
    if count != sum(seen.values()):
        problems.append(f"the index counts {count} documents but holds {sum(seen.values())} ids")
    terms = sum(1 for _ in reader.lexicon("id"))
    if terms < len(seen):
        problems.append(f"{len(seen) - terms} stored id(s) cannot be found by id")
    return problems


__all__ += ["DECODE_ERRORS", "damaged"]
