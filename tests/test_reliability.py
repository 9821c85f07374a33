"""Nothing lost, nothing broken: concurrent writers, damaged indexes, `vnsearch check`.

Writers in other processes are real subprocesses running the CLI against the
same index directory; the write lock is Whoosh's, held here by opening a
writer, so the waiting is deterministic rather than a race.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnsearch import SearchEngine
from vnsearch.cli import main
from vnsearch.errors import IndexBusy, IndexUnusable
from vnsearch.store.format import READABLE_VERSIONS

ROOT = Path(__file__).resolve().parents[1]
WAITING = "waiting for another process writing to the index…"


@pytest.fixture(autouse=True)
def _no_ambient_index(monkeypatch):
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def articles(prefix: str, n: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "title": f"Tin {prefix} số {i}",
             "body": f"Hà Nội mưa lớn, bài {prefix} thứ {i}.", "date": f"2026-01-0{i + 1}"}
            for i in range(n)]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def cli_process(*args) -> subprocess.Popen:
    """The CLI of this worktree in another process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("VNSEARCH_INDEX", None)
    return subprocess.Popen([sys.executable, "-m", "vnsearch.cli", *map(str, args)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(proc: subprocess.Popen, line: str, timeout: float = 60) -> None:
    """Read proc's stderr until *line* (the process is then waiting for the lock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = proc.stderr.readline()
        if got.rstrip("\n") == line:
            return
        if not got and proc.poll() is not None:
            break
    raise AssertionError(f"{line!r} not printed; exit {proc.poll()}")


@pytest.fixture
def small_index(tmp_path) -> Path:
    path = tmp_path / "ix"
    with SearchEngine(path) as engine:
        assert engine.add_articles(articles("base", 2), jobs=1) == 2
    return path


# -- concurrent writers -----------------------------------------------------------------------

def test_two_processes_index_at_once_and_nothing_is_lost(small_index, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", articles("alpha", 3))
    b = write_jsonl(tmp_path / "b.jsonl", articles("beta", 3))
    holder = SearchEngine(small_index)
    writer = holder._store.writer()  # this process holds the write lock
    try:
        procs = [cli_process("index", "-d", small_index, "-j", "1", "--wait", "120", f) for f in (a, b)]
        for proc in procs:
            wait_for_line(proc, WAITING)
        # Searches answer while another process holds the writer.
        searcher = cli_process("search", "-d", small_index, "--json", "mưa")
        out, err = searcher.communicate(timeout=60)
        assert searcher.returncode == 0, err
        assert sorted(json.loads(line)["id"] for line in out.splitlines()) == ["base-0", "base-1"]
        with SearchEngine(small_index, create=False) as reader:
            assert len(reader) == 2 and reader.search("mưa lớn")
    finally:
        writer.cancel()  # release the lock: both writers go, one after the other
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "3 added" in out and "Traceback" not in err
    holder.close()
    with SearchEngine(small_index, create=False) as engine:
        ids = list(engine.ids())
        expected = {f"{p}-{i}" for p, n in (("base", 2), ("alpha", 3), ("beta", 3)) for i in range(n)}
        assert len(ids) == len(set(ids)) == len(engine) == 8
        assert set(ids) == expected
        assert engine.check() == []


def test_library_write_waits_then_gives_up(small_index):
    holder = SearchEngine(small_index)
    writer = holder._store.writer()
    waited = []
    try:
        engine = SearchEngine(small_index, wait=0.3, on_wait=lambda: waited.append(1))
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="another process"):
            engine.add_articles(articles("late", 1), jobs=1)
        assert 0.25 <= time.monotonic() - started < 5
        with pytest.raises(IndexBusy):
            engine.delete(["base-0"])
        assert waited == [1, 1]
        assert len(engine) == 2 and engine.search("mưa")  # reading never waits
    finally:
        writer.cancel()
        holder.close()
    assert engine.delete(["base-0"]) == 1  # the lock is free again: no waiting
    assert waited == [1, 1]
    engine.clear()
    assert len(engine) == 0 and engine.check() == []
    engine.close()


def test_library_write_waits_for_the_lock(small_index):
    import threading

    holder = SearchEngine(small_index)
    writer = holder._store.writer()
    waited = threading.Event()
    timer = threading.Timer(0.5, writer.cancel)
    timer.start()
    with SearchEngine(small_index, wait=None, on_wait=waited.set) as engine:
        assert engine.add_articles(articles("after", 1), jobs=1) == 1
        assert waited.is_set()
        assert sorted(engine.ids()) == ["after-0", "base-0", "base-1"]
    timer.join()
    holder.close()


def test_cli_index_wait_timeout_is_a_clean_error(small_index, tmp_path):
    data = write_jsonl(tmp_path / "late.jsonl", articles("late", 1))
    holder = SearchEngine(small_index)
    writer = holder._store.writer()
    try:
        result = run("index", "-d", small_index, "-j", "1", "--wait", "0.2", data)
        delete = run("delete", "-d", small_index, "--wait", "0", "base-0")
    finally:
        writer.cancel()
        holder.close()
    for res in (result, delete):
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        lines = res.stderr.strip().splitlines()
        assert lines[0] == WAITING
        assert len(lines) == 2 and lines[1].startswith("error: ") and "another process" in lines[1], lines
    with SearchEngine(small_index, create=False) as engine:
        assert sorted(engine.ids()) == ["base-0", "base-1"]


# -- damaged and foreign index directories ----------------------------------------------------

def assert_rebuild_error(result) -> str:
    """Exit 2, one "error:" line naming ``vnsearch index --rebuild``, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "vnsearch index --rebuild" in lines[0], lines[0]
    return lines[0]


READERS = [["search", "mưa"], ["stats"], ["check"], ["show", "base-0"]]


def truncated_seg(src: Path, dest: Path, fraction: float) -> Path:
    shutil.copytree(src, dest)
    seg = next(dest.glob("*.seg"))
    with open(seg, "r+b") as fh:
        fh.truncate(int(seg.stat().st_size * fraction))
    return dest


@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.95])
def test_truncated_segment_file(small_index, tmp_path, fraction):
    damaged = truncated_seg(small_index, tmp_path / "damaged", fraction)
    for args in READERS:
        line = assert_rebuild_error(run(args[0], "-d", damaged, *args[1:]))
        assert "damaged" in line and str(damaged) in line
    # The library raises the same, whether at open or at the first read.
    with pytest.raises(IndexUnusable, match="--rebuild"):
        with SearchEngine(damaged, create=False) as engine:
            engine.search("mưa")


def test_rebuild_recovers_a_damaged_index(small_index, tmp_path):
    damaged = truncated_seg(small_index, tmp_path / "damaged", 0.5)
    data = write_jsonl(tmp_path / "a.jsonl", articles("alpha", 1))
    result = run("index", "--rebuild", "-d", damaged, "-j", "1", data)
    assert result.exit_code == 0, result.output
    assert run("check", "-d", damaged).exit_code == 0
    with SearchEngine(damaged, create=False) as engine:
        assert list(engine.ids()) == ["alpha-0"]


def test_garbled_table_of_contents(small_index, tmp_path):
    damaged = Path(shutil.copytree(small_index, tmp_path / "damaged"))
    next(damaged.glob("_MAIN_*.toc")).write_bytes(b"not a whoosh index at all" * 4)
    for args in READERS:
        assert_rebuild_error(run(args[0], "-d", damaged, *args[1:]))


def test_missing_table_of_contents(small_index, tmp_path):
    damaged = Path(shutil.copytree(small_index, tmp_path / "damaged"))
    next(damaged.glob("_MAIN_*.toc")).unlink()
    for args in READERS:
        assert "table of contents" in assert_rebuild_error(run(args[0], "-d", damaged, *args[1:]))


def test_other_schema_version(small_index, tmp_path):
    other = Path(shutil.copytree(small_index, tmp_path / "other"))
    (other / "vnsearch.json").write_text('{"schema_version": 999}\n', encoding="utf-8")
    for args in READERS:
        assert "another version" in assert_rebuild_error(run(args[0], "-d", other, *args[1:]))
    low, high = min(READABLE_VERSIONS), max(READABLE_VERSIONS)
    assert f"(format 999, this one reads formats {low} to {high})" in run("search", "-d", other, "x").output


def test_empty_directory_is_no_index(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in READERS:
        result = run(args[0], "-d", empty, *args[1:])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert result.stderr.startswith("error: no index at") and result.stderr.count("\n") == 1


def test_directory_of_other_files(tmp_path):
    """Not an index and never one: say so; --rebuild would not help (it only removes index files)."""
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (foreign / "notes.txt").write_text("hello", encoding="utf-8")
    for args in READERS + [["index", "--rebuild", str(foreign)]]:
        result = run(args[0], "-d", foreign, *args[1:])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert "holds other files" in lines[0] and "cat.jpg" in lines[0]
    assert sorted(p.name for p in foreign.iterdir()) == ["cat.jpg", "notes.txt"]


def test_check_reports_duplicate_ids(small_index):
    with SearchEngine(small_index) as engine:
        assert engine.check() == []
        writer = engine._store.writer()
        writer.add_document(id="base-0", title="trùng", body="bản sao")  # bypasses the replace logic
        writer.commit()
        problems = engine.check()
    assert len(problems) == 1 and "base-0" in problems[0] and "more than once" in problems[0]
    line = assert_rebuild_error(run("check", "-d", small_index))
    assert "more than once" in line


def test_check_ok(small_index):
    result = run("check", "-d", small_index)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK:") and "2 articles" in result.stdout


def test_rebuild_waits_for_a_writer_and_keeps_its_lock_file(small_index):
    holder = SearchEngine(small_index)
    writer = holder._store.writer()
    try:
        with pytest.raises(IndexBusy):
            SearchEngine(small_index, rebuild=True, wait=0.2)
        with SearchEngine(small_index, create=False) as engine:
            assert sorted(engine.ids()) == ["base-0", "base-1"]  # untouched while it was written
    finally:
        writer.cancel()
        holder.close()
    with SearchEngine(small_index, rebuild=True, wait=0.2) as engine:
        assert len(engine) == 0 and engine.check() == []
        assert engine.add_articles(articles("new", 1), jobs=1) == 1
