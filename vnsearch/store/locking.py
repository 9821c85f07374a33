"""The index's write lock: a record of who holds it, so a dead holder's lock is taken over.

Whoosh locks the index with ``flock`` on ``MAIN_WRITELOCK`` held for the
whole write. A ``flock`` belongs to the open file, not to the process, so
every process forked while it is held holds it too: the segmentation
workers of ``vnsearch index`` kept the index locked for good once their
parent was killed (issue 14). Here the lock is instead a record in that
file, written and read under a ``flock`` held for a few microseconds only:

* the holder's pid, its start time (``/proc/PID/stat``), the boot id, the
  host name and PID namespace, and a random token of the :class:`WriteLock`
  that took it;
* a lock whose holder is not alive (no such process, a zombie, another
  process under the same pid since, a reboot since) is *stale* and is taken
  over, atomically since reading and writing the record happen under the
  ``flock``;
* a lock held by a live process, this one included (two engines on one
  directory), is never taken; a holder on another host or in another
  container cannot be checked and counts as alive.

A fork inherits nothing that holds the lock, so workers cannot keep it.
The file itself is never deleted: a process waiting for it holds it open.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Holder", "WriteLock", "holder_of"]

_MUTEX_TRIES = 50  # × 2 ms: how long a busy flock is retried (another process reading or writing the record)


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as recorded in the lock file."""

    pid: int
    start: int | None  # clock ticks after boot (field 22 of /proc/PID/stat), where there is a /proc
    boot: str | None
    host: str
    token: str
    since: float
    pidns: str | None = None  # the PID namespace (a container has its own): pids of another cannot be checked

    def alive(self) -> bool:
        """Whether the holder may still be running (when in doubt: yes)."""
        import socket  # (writers and lock checks only: not imported by every process)

        if self.host != socket.gethostname() or (self.pidns and self.pidns != _pid_namespace()):
            return True  # another machine's or container's process (a shared file system): cannot be checked
        boot = _boot_id()
        if self.boot and boot and self.boot != boot:
            return False  # the machine has restarted since
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        stat = _proc_stat(self.pid)
        if stat is None:
            return True  # no /proc: the pid exists, which is all one can tell
        state, start = stat
        if state in ("Z", "X"):
            return False  # killed, not yet reaped by its parent
        return self.start is None or start == self.start

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}, since {time.strftime('%H:%M:%S', time.localtime(self.since))}"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) of a process, from ``/proc``; None without one."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ")".
    fields = text[text.rfind(")") + 2:].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text("ascii").strip() or None
    except OSError:
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _me(token: str) -> Holder:
    import socket

    stat = _proc_stat(os.getpid())
    return Holder(os.getpid(), stat[1] if stat else None, _boot_id(), socket.gethostname(), token, time.time(),
                  _pid_namespace())


def _parse(data: bytes) -> Holder | None:
    """The holder a lock file records; None for an empty (free) lock.

    A record that cannot be read (a write cut short by a crash, an old
    vnsearch's empty file) counts as no holder: the flock this module reads
    it under is what keeps two writers from writing it at once.
    """
    try:
        raw = json.loads(data.decode("utf-8")) if data.strip() else None
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    try:
        return Holder(int(raw["pid"]), None if raw.get("start") is None else int(raw["start"]),
                      raw.get("boot") or None, str(raw.get("host", "")), str(raw["token"]), float(raw.get("since", 0)),
                      raw.get("pidns") or None)
    except (KeyError, TypeError, ValueError):
        return None


class _Mutex:
    """The lock file open and ``flock``-ed for the moment it takes to read or write the record."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        self.create = create
        self.fd = -1

    def __enter__(self) -> _Mutex | None:
        flags = os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if self.create else 0)
        self.fd = os.open(self.path, flags, 0o666)
        for _ in range(_MUTEX_TRIES):
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            time.sleep(0.002)
        # Held for longer than a record takes: an older vnsearch (or Whoosh) holding it for its whole write.
        return None

    def __exit__(self, *exc: Any) -> None:
        os.close(self.fd)  # lets the flock go
        self.fd = -1

    def read(self) -> Holder | None:
        os.lseek(self.fd, 0, os.SEEK_SET)
        return _parse(os.read(self.fd, 4096))

    def write(self, holder: Holder | None) -> None:
        data = b"" if holder is None else json.dumps({
            "pid": holder.pid, "start": holder.start, "boot": holder.boot, "host": holder.host,
            "token": holder.token, "since": holder.since, "pidns": holder.pidns}).encode("utf-8") + b"\n"
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.write(self.fd, data)
        os.fsync(self.fd)


def holder_of(path: Path) -> Holder | None:
    """The live holder of the lock file at *path*, or None (free, or held by a dead process).

    Only reads: a missing lock file is not created (``check`` must not write).
    """
    try:
        with _Mutex(path, create=False) as mutex:
            if mutex is None:
                return None
            holder = mutex.read()
    except OSError:
        return None
    return holder if holder is not None and holder.alive() else None


class WriteLock:
    """One process's claim on an index's write lock (the lock file's path given).

    Has Whoosh's lock interface (``acquire(blocking=False)``, ``release()``),
    so a Whoosh writer releases it when it commits or is cancelled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.token = ""
        self.stale: Holder | None = None  # the dead holder whose lock the last acquire took over
        self.busy: Holder | None = None  # the live holder the last failed acquire found

    @property
    def held(self) -> bool:
        return bool(self.token)

    def acquire(self, blocking: bool = False) -> bool:
        """Take the lock if it is free or its holder is dead; False if a live process holds it."""
        if self.token:
            return False  # one claim at a time, as a flock on one file would be
        import secrets

        token = secrets.token_hex(8)
        with _Mutex(self.path) as mutex:
            if mutex is None:
                return False
            holder = mutex.read()
            if holder is not None and holder.alive():
                self.busy = holder
                return False
            mutex.write(_me(token))
        self.stale, self.busy, self.token = holder, None, token
        return True

    def release(self) -> None:
        """Let the lock go, if this claim still holds it (a lock taken over from us stays with its taker)."""
        if not self.token:
            return
        token, self.token = self.token, ""
        try:
            with _Mutex(self.path, create=False) as mutex:
                if mutex is not None:
                    holder = mutex.read()
                    if holder is not None and holder.token == token:
                        mutex.write(None)
        except FileNotFoundError:
            pass  # the directory went away with its index
