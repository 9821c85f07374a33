"""The write lock's record of its holder: a dead holder's lock is taken over, a live one's never (issue 14)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vnsearch import SearchEngine
from vnsearch.errors import IndexBusy
from vnsearch.store.directory import LOCK_FILE
from vnsearch.store.locking import WriteLock, _proc_stat, holder_of

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def record(path: Path, pid: int, start: int | None = None, **extra: object) -> None:
    """A lock file as a holder with *pid* would have written it."""
    if start is None:
        stat = _proc_stat(pid)
        start = stat[1] if stat else 0
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    data = {"pid": pid, "start": start, "boot": boot, "host": socket.gethostname(), "token": "t0",
            "since": time.time(), **extra}
    path.write_text(json.dumps(data))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_free_lock_is_taken_and_let_go(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    lock = WriteLock(lock_file)
    assert lock.acquire() and lock.held and lock.stale is None
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    assert holder_of(lock_file).pid == os.getpid()
    other = WriteLock(lock_file)  # another engine of this process: a live holder, so no
    assert not other.acquire() and other.busy.pid == os.getpid()
    lock.release()
    assert lock_file.read_bytes() == b"" and holder_of(lock_file) is None
    assert other.acquire()
    other.release()


def test_a_dead_holders_lock_is_taken_over(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    pid = dead_pid()
    record(lock_file, pid, start=123)
    assert holder_of(lock_file) is None
    lock = WriteLock(lock_file)
    assert lock.acquire() and lock.stale.pid == pid
    lock.release()


def test_a_pid_used_by_another_process_since_is_not_the_holder(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    start = _proc_stat(os.getpid())[1]
    record(lock_file, os.getpid(), start=start - 1)  # this pid, but a process started at another time
    lock = WriteLock(lock_file)
    assert lock.acquire() and lock.stale.pid == os.getpid()
    lock.release()


def test_a_reboot_since_frees_the_lock(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    record(lock_file, os.getpid(), boot="another-boot")
    assert WriteLock(lock_file).acquire()


def test_a_killed_holder_not_yet_reaped_is_dead(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while _proc_stat(proc.pid)[0] != "Z" and time.monotonic() < deadline:  # exited, not waited for: a zombie
        time.sleep(0.02)
    record(lock_file, proc.pid)
    assert WriteLock(lock_file).acquire()
    proc.wait()


def test_a_live_holders_lock_is_never_taken(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record(lock_file, proc.pid)
        lock = WriteLock(lock_file)
        assert not lock.acquire() and lock.busy.pid == proc.pid
        assert holder_of(lock_file).pid == proc.pid
    finally:
        proc.kill()
        proc.wait()
    assert lock.acquire() and lock.stale.pid == proc.pid  # now it is dead
    lock.release()


def test_a_holder_elsewhere_cannot_be_checked_and_counts_as_alive(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    record(lock_file, dead_pid(), host="another-machine")
    assert not WriteLock(lock_file).acquire()
    record(lock_file, dead_pid(), pidns="pid:[1]")  # another container's pids
    assert not WriteLock(lock_file).acquire()


def test_letting_go_leaves_a_lock_that_was_taken_over(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    lock = WriteLock(lock_file)
    assert lock.acquire()
    record(lock_file, os.getpid(), token="someone-else")
    lock.release()
    assert json.loads(lock_file.read_text())["token"] == "someone-else"


def test_an_unreadable_record_is_no_holder(tmp_path):
    lock_file = tmp_path / LOCK_FILE
    lock_file.write_bytes(b'{"pid": 1, "tok')  # a write cut short
    assert WriteLock(lock_file).acquire()


def test_busy_message_names_the_holder(tmp_path):
    index = tmp_path / "ix"
    with SearchEngine(index) as engine:
        writer = engine._store.writer()
        try:
            other = SearchEngine(index, wait=0.2)
            with pytest.raises(IndexBusy, match=f"another process \\(process {os.getpid()} on "):
                other.delete(["x"])
            other.close()
        finally:
            engine._store.cancel(writer)
