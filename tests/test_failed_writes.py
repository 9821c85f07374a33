"""A write that fails (a full disk) or is killed (in its final merge) leaves nothing behind for long (issue 14).

The disk is simulated: every file the index writes goes through a proxy
that raises ``OSError(ENOSPC)`` once the index directory would grow past a
set capacity, as a full file system would; the real disk is never filled.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.filedb.filestore import FileStorage

from vnsearch import SearchEngine
from vnsearch.cli import main
from vnsearch.store.directory import LOCK_FILE, ORPHANS

ROOT = Path(__file__).resolve().parents[1]


def articles(start: int, stop: int) -> list[dict[str, str]]:
    return [{"id": f"a{i:04d}", "title": f"Tin số {i}",
             "body": f"Hà Nội mưa lớn, bài thứ {i} về thời tiết, giao thông và giá vàng hôm nay."}
            for i in range(start, stop)]


def used(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


class _FullDisk:
    """A file of the index whose writes fail with ENOSPC past the directory's capacity."""

    def __init__(self, file, root: Path, capacity: list[int]) -> None:
        self._file, self._root, self._capacity = file, root, capacity

    def write(self, data) -> int:
        if used(self._root) + len(data) > self._capacity[0]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


@pytest.fixture
def disk(monkeypatch):
    """``disk(root, bytes)`` limits what the index at *root* may hold from then on."""
    capacity = [1 << 62]
    roots: list[Path] = []
    create = FileStorage.create_file

    def create_file(self, name, *args, **kwargs):
        f = create(self, name, *args, **kwargs)
        if roots and Path(self.folder).resolve().is_relative_to(roots[0].resolve()):
            f.file = _FullDisk(f.file, roots[0], capacity)
            f.is_real = False  # every write through write(), none by fileno
        return f

    monkeypatch.setattr(FileStorage, "create_file", create_file)

    def limit(root: Path, size: int) -> None:
        roots[:] = [root]
        capacity[0] = size
    return limit


def test_a_full_disk_fails_the_write_and_its_files_go_so_the_next_writes_work(tmp_path, disk):
    index = tmp_path / "ix"
    with SearchEngine(index) as engine:
        engine.add_articles(articles(0, 100), jobs=1)
        before = used(index)
        disk(index, before + 30_000)  # room for a delete's commit, not for 400 articles
        with pytest.raises(OSError) as failed:
            engine.add_articles(articles(100, 500), jobs=1, commit_every=None)
        assert failed.value.errno == errno.ENOSPC
        # Committed articles survive; the failed run's files are gone, the lock is free.
        assert sorted(engine.ids()) == [a["id"] for a in articles(0, 100)]
        assert engine.check() == [] and engine._store.orphans() == []
        assert used(index) <= before + 2_000
        assert (index / LOCK_FILE).read_bytes() == b""
        # The disk is as full as before: later writes work, a delete first.
        assert engine.delete(["a0001"]) == 1
        engine.add_articles(articles(200, 203), jobs=1)
        assert len(engine) == 102 and engine.check() == []


def test_a_full_disk_in_the_final_merge(tmp_path, disk, monkeypatch):
    from vnsearch.store import merge

    index = tmp_path / "ix"
    merging = merge.merge_segments

    def merge_on_a_full_disk(*args, **kwargs):
        disk(index, used(index) + 5_000)  # the disk fills up as the merged segment is written
        return merging(*args, **kwargs)

    with SearchEngine(index) as engine:
        engine.add_articles(articles(0, 50), jobs=1)
        monkeypatch.setattr(merge, "merge_segments", merge_on_a_full_disk)
        with pytest.raises(OSError) as failed:
            engine.add_articles(articles(50, 170), jobs=1, commit_every=40)
        assert failed.value.errno == errno.ENOSPC
        assert len(engine) == 170 and len(engine._store.segments()) == 4  # every commit kept, unmerged
        assert engine.check() == [] and engine._store.orphans() == []
        monkeypatch.setattr(merge, "merge_segments", merging)
        disk(index, 1 << 62)
        summary = engine.index_articles(articles(0, 170), jobs=1)  # nothing new: the merge is done now
        assert (summary.added, summary.unchanged) == (0, 170)
        assert len(engine._store.segments()) == 1
        assert len(engine) == 170 and engine.check() == [] and engine._store.orphans() == []


def test_check_reports_files_no_commit_uses_and_the_next_writer_deletes_them(tmp_path):
    index = tmp_path / "ix"
    with SearchEngine(index) as engine:
        engine.add_articles(articles(0, 20), jobs=1)
        store = engine._store
        # A writer that dies (its lock let go as a dead holder's is, its files left).
        writer = store.writer()
        for doc in articles(20, 40):
            writer.add_document(id=doc["id"], title=doc["title"])
        writer.writelock.release()
        left = store.orphans()
        assert left and all(name.startswith("MAIN") for name in left)
        (problem,) = engine.check()
        assert problem.startswith(ORPHANS) and "the next write to the index deletes them" in problem
    res = CliRunner().invoke(main, ["check", "-d", str(index)])
    assert res.exit_code == 2 and ORPHANS in res.stderr and "rebuild" not in res.stderr
    with SearchEngine(index) as engine:
        assert engine.delete(["no-such-id"]) == 0  # even a write that finds nothing to do
        assert engine._store.orphans() == [] and engine.check() == [] and len(engine) == 20


KILLED_IN_MERGE = """
import os, signal, sys
from vnsearch import SearchEngine
from vnsearch.store import merge

original = merge.merge_segments

def merge_then_die(*args, **kwargs):
    segment = original(*args, **kwargs)  # the merged segment's files are written...
    os.kill(os.getpid(), signal.SIGKILL)  # ...and the run is killed before its table of contents
    return segment

merge.merge_segments = merge_then_die
records = [{"id": f"a{i:04d}", "title": f"Tin số {i}", "body": f"Hà Nội mưa lớn, bài thứ {i}."} for i in range(200)]
with SearchEngine(sys.argv[1]) as engine:
    engine.add_articles(records, jobs=1, commit_every=50)
"""


def test_a_rerun_after_an_interrupted_final_merge_finishes_it(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(KILLED_IN_MERGE, "utf-8")
    index = tmp_path / "ix"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(script), str(index)], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-500:]
    records = [{"id": f"a{i:04d}", "title": f"Tin số {i}", "body": f"Hà Nội mưa lớn, bài thứ {i}."}
               for i in range(200)]
    with SearchEngine(index) as engine:
        assert len(engine._store.segments()) == 4 and engine._store.orphans()  # four commits, a merge's files
        size = engine._store.size_on_disk()
        summary = engine.index_articles(records, jobs=1, commit_every=50)  # unchanged input
        assert (summary.added, summary.unchanged) == (0, 200)
        assert len(engine._store.segments()) == 1 and engine._store.orphans() == []
        assert engine._store.size_on_disk() < size * 0.7
        assert len(engine) == 200 and engine.check() == [] and engine.search("mưa lớn").total == 200
