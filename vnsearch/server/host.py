"""One process's access to the index: one shared engine, its calls run off the event loop.

A :class:`~vnsearch.SearchEngine` may be shared by any number of threads: each
read runs on one snapshot of the index from start to end, and writes take
turns inside the engine. So every request of a process uses the same engine,
in a worker thread (the event loop keeps accepting connections meanwhile);
searches run side by side and keep answering while a write commits, here or
in another process. With ``--workers N`` every process has its own engine.
"""

from __future__ import annotations

import os
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
        # A write waits `write_wait` s for the index's lock, then raises IndexBusy (503); reads never wait.
        # prepare: each snapshot's typo index is built in the background, not by the first request needing it.
        self._engine = SearchEngine(index_dir, create=False, wait=limits.write_wait, prepare=True,
                                    cluster=os.environ.get("VNSEARCH_CLUSTER") or None)  # serve --cluster

    async def read(self, call: Callable[[SearchEngine], T]) -> T:
        """``call(engine)`` in a worker thread; reads run in parallel."""
        return await to_thread.run_sync(call, self._engine)

    async def write(self, call: Callable[[SearchEngine], T]) -> T:
        """``call(engine)`` in a worker thread.

        Raises :class:`vnsearch.IndexBusy` when another writer (``vnsearch
        index``, another worker) holds the lock longer than ``write_wait``.
        """
        return await to_thread.run_sync(call, self._engine)

    def close(self) -> None:
        self._engine.close()
