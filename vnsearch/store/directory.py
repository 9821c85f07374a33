"""An index directory's lifecycle: open, create, rebuild, write lock, commit, merge, delete, check.

:class:`IndexStore` is everything the engine asks of the files: it opens or
creates the index (checking the format version in ``vnsearch.json``), hands
out read-only :class:`~vnsearch.store.snapshot.Snapshot` objects, and takes
the write lock for writers, waiting for another process's writer to finish.
The write lock is :mod:`vnsearch.store.locking`'s (not Whoosh's flock): a lock held for too long
becomes :class:`~vnsearch.errors.IndexBusy`.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from whoosh.index import TOC

from vnsearch.errors import IndexBusy, IndexDamaged, IndexNotFound, IndexUnusable, IndexVersionMismatch
from vnsearch.store import legacy  # noqa: F401 - old indexes name old module paths
from vnsearch.store.codec import CheckedCodec
from vnsearch.store.damage import DECODE_ERRORS, damaged, decoding, not_permitted, rebuild_hint
from vnsearch.store.files import ChecksumStorage
from vnsearch.store.format import FORMAT_VERSION, READABLE_VERSIONS, VERSION_KEY
from vnsearch.store.locking import WriteLock, holder_of
from vnsearch.store.schema import make_schema
from vnsearch.store.snapshot import Reading, Snapshot

# Merging (vnsearch.store.merge, with the indexing code it needs), checking
# (vnsearch.store.verify) and Whoosh's writer are imported by the methods that
# use them: opening an index to search it needs none of them.

__all__ = ["IndexStore", "INDEX_NAME", "META_FILE", "LOCK_FILE", "wait_for", "write_lock", "is_index_file",
           "orphan_files", "ORPHANS"]

META_FILE = "vnsearch.json"
INDEX_NAME = "MAIN"
LOCK_FILE = INDEX_NAME + "_WRITELOCK"
_POLL = 0.1  # seconds between attempts at the write lock
_TEMP_DIR = INDEX_NAME + ".tmp"  # a writer's posting pool spills here (Whoosh's temp storage)
_TOC = TOC._pattern(INDEX_NAME)  # _MAIN_<generation>.toc
_TOC_TEMP = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\.")  # a table of contents being written (then renamed)
_SEGMENT_FILE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.[A-Za-z0-9_.]+$")  # MAIN_<segment id>.<kind>


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
            holder = holder_of(path / LOCK_FILE)
            who = f" ({holder.describe()})" if holder else ""
            raise IndexBusy(f"{path}: another process{who} kept writing to the index for more than "
                            f"{wait:g} s; try again when it finishes, or wait longer")
        time.sleep(_POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic())))
        got = attempt()
        if got is not None:
            return got


@contextmanager
def write_lock(path: Path, wait: float | None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the index's write lock without opening a writer (rebuilding, reindexing), waiting as :func:`wait_for`."""
    path.mkdir(parents=True, exist_ok=True)
    lock = WriteLock(path / LOCK_FILE)
    wait_for(lambda: lock if lock.acquire(blocking=False) else None, path, wait, on_wait)
    try:
        yield
    finally:
        lock.release()


def is_index_file(name: str) -> bool:
    """True for a file of the index (so a rebuild may delete it); the lock file included."""
    return name == META_FILE or name.startswith((INDEX_NAME + "_", "_" + INDEX_NAME + "_"))


def orphan_files(path: Path, generation: int, segment_ids: Collection[str]) -> list[str]:
    """Files of the index that commit *generation* (of *segment_ids*) does not use, sorted.

    What a write that failed or was killed leaves: the segment files it had
    begun (a merge's too), a table of contents never renamed into place, the
    posting pool's spill folder; and the tables of contents of older
    commits. Whoosh deletes these when a commit succeeds, never after a
    failure. Names of no kind the index writes are not listed.
    """
    found = []
    for entry in path.iterdir():
        name = entry.name
        if name == _TEMP_DIR and entry.is_dir():
            found.append(name)
            continue
        toc = _TOC.match(name)
        segment = _SEGMENT_FILE.match(name)
        if (toc and int(toc.group(1)) != generation) or _TOC_TEMP.match(name) or (
                segment and name != LOCK_FILE and segment.group(1) not in segment_ids):
            found.append(name)
    return sorted(found)


_T = TypeVar("_T")


def settled(storage: Any, attempt: Callable[[], _T], tries: int = 100) -> _T:
    """``attempt()``, made again while another writer's commits replace what it opened.

    Opening the latest commit lists the directory for the newest table of
    contents, then opens it. A writer committing in between deletes that
    table (Whoosh removes the older commits' tables once the new one is in
    place, and a merge the segments it merged), and the open fails with
    FileNotFoundError though nothing is damaged: a ``vnsearch search`` run
    while ``vnsearch index`` committed was told to rebuild its index. So
    when a file is missing and a newer commit has appeared meanwhile, the
    attempt is made again, on the newer commit. A file of the latest commit
    missing with no newer commit is damage, for the caller's
    :func:`~vnsearch.store.damage.decoding` to report.
    """
    for _ in range(tries - 1):
        before = TOC._latest_generation(storage, INDEX_NAME)
        try:
            return attempt()
        except FileNotFoundError:
            if TOC._latest_generation(storage, INDEX_NAME) == before:
                raise
    return attempt()


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
        # Format 9's tables of contents end with a checksum; older ones may not.
        storage = ChecksumStorage(str(path), require_footer=self.read_meta().get(VERSION_KEY) not in (7, 8))
        with decoding(path):  # a table of contents that cannot be read
            exists = path.is_dir() and settled(storage, lambda: storage.index_exists(INDEX_NAME))
        if exists:
            problem = self.schema_problem()
            if problem:
                error = IndexDamaged if self.meta_damage() else IndexVersionMismatch
                raise error(f"{problem}; {rebuild_hint(path)}")
            with decoding(path):  # damaged segment files and the like
                return settled(storage, lambda: storage.open_index(INDEX_NAME))
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
        ix = storage.create_index(make_schema(), indexname=INDEX_NAME)
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
                    f"(format {meta.get(VERSION_KEY)!r}, this one reads {_versions(READABLE_VERSIONS)})")
        return None

    def close(self) -> None:
        self._ix.close()

    # -- reading ---------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A new snapshot of the latest commit (the caller holds its one reference)."""
        with decoding(self.path):
            reading = settled(self._ix.storage, lambda: Reading(self._ix))
        return Snapshot(reading, self.path)

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def segment_ids(self) -> set[str]:
        """The ids of the segments of the latest commit (to tell a run's own segments later)."""
        with decoding(self.path):
            return settled(self._ix.storage, lambda: {s.segment_id() for s in self._ix._segments()})

    def segments(self) -> list[tuple[str, int]]:
        """Each segment of the latest commit as (id, live documents), in index order."""
        with decoding(self.path):
            return settled(self._ix.storage,
                           lambda: [(str(s.segment_id()), int(s.doc_count())) for s in self._ix._segments()])

    # -- writing -----------------------------------------------------------------

    def wait_for(self, attempt: Callable[[], Any]) -> Any:
        """``attempt()`` until it returns something, for at most ``self.wait`` seconds."""
        return wait_for(attempt, self.path, self.wait, self.on_wait)

    def writer(self, **kwargs: Any) -> Any:
        """The index's writer, once the write lock is ours (see ``wait``).

        Before the writer starts, whatever an earlier write that failed or
        was killed left behind is deleted (see :meth:`orphans`): a disk
        filled by a failed run is freed by the next writer, even a delete.
        """
        lock = WriteLock(self.path / LOCK_FILE)
        self.wait_for(lambda: lock if lock.acquire(blocking=False) else None)
        try:
            self.remove_orphans()
            # _lk=False: Whoosh's own lock is a flock every forked worker would
            # inherit (see vnsearch.store.locking); it releases ours instead.
            writer = self._ix.writer(codec=CheckedCodec(), _lk=False, **kwargs)
        except BaseException:
            lock.release()
            raise
        writer.writelock = lock
        return writer

    def orphans(self) -> list[str]:
        """Files of the index the latest commit does not use (see :func:`orphan_files`)."""
        with decoding(self.path):
            generation, ids = settled(self._ix.storage, lambda: (
                TOC._latest_generation(self._ix.storage, INDEX_NAME),
                {s.segment_id() for s in self._ix._segments()}))
        return orphan_files(self.path, generation, ids)

    def remove_orphans(self) -> list[str]:
        """Delete :meth:`orphans` (only under the write lock: a writer's files are orphans until it commits)."""
        names = self.orphans()
        for name in names:
            target = self.path / name
            try:
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            except FileNotFoundError:
                pass
        return names

    def commit(self, writer: Any, final: bool = True, older: Collection[str] | None = None,
               mergetype: Any = None) -> None:
        """Commit *writer* with the merge policy (see :func:`vnsearch.store.merge.merge_policy`).

        A commit that fails (a full disk) is cancelled: its partial files are
        deleted and the lock let go (see :meth:`cancel`).

        An index of an older format that this version has written to holds
        segments of format 9 (with checksums, which an older vnsearch cannot
        read): it is marked as format 9, whose readers read both.
        """
        from vnsearch.store.merge import merge_policy

        try:
            writer.commit(mergetype=mergetype or merge_policy(final=final, older=older))
        except BaseException:
            self.cancel(writer)
            raise
        meta = Path(writer.storage.folder) / META_FILE
        try:
            version = json.loads(meta.read_text("utf-8")).get(VERSION_KEY)
        except (OSError, ValueError, AttributeError):
            return
        if version in READABLE_VERSIONS and version != FORMAT_VERSION:
            meta.write_text(json.dumps({VERSION_KEY: FORMAT_VERSION}) + "\n", "utf-8")

    def cancel(self, writer: Any) -> None:
        """``writer.cancel()``, every file the failed write left deleted, then the lock let go.

        Whoosh leaves a cancelled writer's segment files (and a failed
        commit's, a merge's among them) for the next commit to delete; a
        disk filled by a run that failed would stay full, and a re-run that
        finds nothing changed would leave three empty files behind. Cleaning
        happens under the lock, before it goes: until then no other writer
        can have files in the making.
        """
        if getattr(writer, "is_closed", False):
            return
        lock = getattr(writer, "writelock", None)
        writer.writelock = None  # Whoosh would let it go before the cleaning
        try:
            writer.cancel()
        except BaseException:
            writer.is_closed = True  # closing the segment failed too (the disk is still full)
            raise
        finally:
            try:
                self.remove_orphans()
            except (OSError, IndexDamaged):
                pass  # the next writer tries again
            finally:
                if lock is not None:
                    lock.release()

    def merge(self, older: Collection[str] | None = None) -> bool:
        """Merge small segments (see :func:`vnsearch.store.merge.choose`); True if any were."""
        from vnsearch.store.merge import plan

        with decoding(self.path):
            segments = settled(self._ix.storage, self._ix._segments)
        live, chosen = plan(segments, older)
        if not chosen and len(live) == len(segments):
            return False  # nothing to merge, no empty segment to drop: no writer, no commit
        self.commit(self.writer(), final=True, older=older)
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
        from whoosh.writing import CLEAR

        self.commit(self.writer(), mergetype=CLEAR)

    # -- checking -----------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found in the index; an empty list means it is sound (see :func:`vnsearch.store.checking.check`)."""
        from vnsearch.store.checking import check

        problems, self.unchecked_segments = check(self)
        return problems

    def check_notes(self) -> list[str]:
        """What the last :meth:`check` could not verify (not damage): segments written without checksums."""
        if not getattr(self, "unchecked_segments", 0):
            return []
        from vnsearch.store.verify import NO_CHECKSUMS

        version = self.read_meta().get(VERSION_KEY)
        return [NO_CHECKSUMS.format(version=version if version in (7, 8) else "8", path=self.path)
                + f" ({self.unchecked_segments} segment(s))"]

    @property
    def storage(self) -> Any:
        """Whoosh's storage of the index directory (the segments' files are read through it)."""
        return self._ix.storage

    def searcher(self) -> Any:
        """Whoosh's searcher of the latest commit, for :func:`vnsearch.store.checking.check` (the caller closes it)."""
        with decoding(self.path):
            return settled(self._ix.storage, self._ix.searcher)


ORPHANS = "files no commit uses"
"""How :meth:`IndexStore.check` begins the problem of a failed write's files (not damage: no rebuild needed)."""


__all__ += ["DECODE_ERRORS", "damaged"]


def _versions(versions: frozenset[int]) -> str:
    """``formats 7 to 11`` (a run), ``formats 7 and 9``, ``format 7``: as a message says them."""
    ordered = sorted(versions)
    if len(ordered) == 1:
        return f"format {ordered[0]}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"formats {ordered[0]} to {ordered[-1]}"
    return "formats " + ", ".join(map(str, ordered[:-1])) + f" and {ordered[-1]}"
