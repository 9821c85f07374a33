"""One process's access to the index: a reading engine and a writing engine, each behind a lock.

Today a :class:`~vnsearch.SearchEngine` must not be used by two threads at
once, so the calls of each kind are serialised here and run in a worker
thread (the event loop keeps accepting connections meanwhile). Reads and
writes use separate engines, so a search never waits for a commit: the
reading engine picks up each new commit by itself. With ``--workers N``
every process has its own pair.

Once ``SearchEngine`` is safe to share across threads, ``_read_lock`` can go
and searches run in parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from anyio import to_thread

from vnsearch import SearchEngine
from vnsearch.server.limits import Limits

T = TypeVar("T")


class EngineHost:
    """Opens the index once per process and runs library calls off the event loop."""

    def __init__(self, index_dir: Path, limits: Limits) -> None:
        self.index_dir = index_dir
        self.limits = limits
        self._reader = SearchEngine(index_dir, create=False)
        self._writer: SearchEngine | None = None  # opened at the first write
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()

    async def read(self, call: Callable[[SearchEngine], T]) -> T:
        """``call(engine)`` in a worker thread, one reader at a time."""
        def run() -> T:
            with self._read_lock:
                return call(self._reader)
        return await to_thread.run_sync(run)

    async def write(self, call: Callable[[SearchEngine], T]) -> T:
        """``call(engine)`` on the writing engine, which waits ``write_wait`` s for the index lock.

        Raises :class:`vnsearch.IndexBusy` when another writer (``vnsearch
        index``, another worker) holds the lock longer than that.
        """
        def run() -> T:
            with self._write_lock:
                if self._writer is None:
                    self._writer = SearchEngine(self.index_dir, create=False, wait=self.limits.write_wait)
                return call(self._writer)
        return await to_thread.run_sync(run)

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
