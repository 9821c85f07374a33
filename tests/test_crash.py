"""Killed mid-write: SIGKILL an indexing process at random moments, then look at the index.

Whatever the moment, the index must open, pass ``check()``, hold exactly the
articles of the last commit that completed (a whole number of ``commit_every``
batches, in input order, or everything), answer searches, and a rerun must
finish the job with every article exactly once.

``VNSEARCH_CRASH_RUNS`` sets how many kills (default 20).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vnsearch import SearchEngine
from vnsearch.store.directory import ORPHANS

ROOT = Path(__file__).resolve().parents[1]
N, EVERY = 600, 50
RUNS = int(os.environ.get("VNSEARCH_CRASH_RUNS", "20"))

CHILD = f"""
import sys
from vnsearch import SearchEngine
articles = [{{"id": f"a{{i:04d}}", "title": f"Tin số {{i}}", "body": f"Hà Nội mưa lớn, bài thứ {{i}}."}}
            for i in range({N})]
from vnsearch.lang.analysis import Segmenter, analyze
analyze("Hà Nội mưa lớn", Segmenter.shared())  # the model loaded: what follows is all writing
with SearchEngine(sys.argv[1]) as engine:
    print("writing", flush=True)
    engine.add_articles(articles, jobs=1, commit_every={EVERY},
                        on_progress=lambda article: print("+", flush=True))
    print("done", flush=True)
"""

ALL = [f"a{i:04d}" for i in range(N)]


def articles() -> list[dict]:
    return [{"id": i, "title": f"Tin số {int(i[1:])}", "body": f"Hà Nội mưa lớn, bài thứ {int(i[1:])}."}
            for i in ALL]


def kill_after(script: Path, index: Path, delay: float, after: int | None) -> str:
    """Run the child; SIGKILL it *delay* s after it starts, or (``after`` not None)
    *delay* s after it reports ``after`` articles written: pacing the kills by the
    child's own progress spreads them over the whole write however busy the machine."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script), str(index)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = ""
    if after is not None:
        out = proc.stdout.readline()  # the index is open; add_articles starts now
        for _ in range(after):
            line = proc.stdout.readline()
            out += line
            if not line or line.startswith("done"):
                break
    proc.send_signal(signal.SIGKILL)
    rest, err = proc.communicate()
    assert proc.returncode in (0, -signal.SIGKILL), err
    return out + rest


def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD, "utf-8")
    rng = random.Random(6)
    # One kill in five while the child starts up and creates the index; the others
    # after a random number of articles written (spread over the whole input), jittered.
    early = [i % 5 == 0 for i in range(RUNS)]
    delays = [rng.uniform(0.0, 0.3) if e else rng.uniform(0.0, 0.01) for e in early]
    afters = [None if e else int(N * (i + rng.random()) / RUNS) for i, e in enumerate(early)]
    dirs = [tmp_path / f"ix{i}" for i in range(RUNS)]
    with ThreadPoolExecutor(2) as pool:
        outputs = list(pool.map(kill_after, [script] * RUNS, dirs, delays, afters))

    held_counts = []
    for index, delay, out in zip(dirs, delays, outputs):
        with SearchEngine(index) as engine:
            # Sound; at most the files the killed write had begun, which the next writer deletes.
            assert all(p.startswith(ORPHANS) for p in engine.check()), (delay, out)
            held = sorted(engine.ids())
            # Exactly the articles of the last completed commit: a prefix of whole batches, or all.
            assert held == ALL[:len(held)], (delay, held[:3])
            assert len(held) % EVERY == 0 or len(held) == N, (delay, len(held))
            if "\ndone" in out or out.startswith("done"):
                assert len(held) == N
            held_counts.append(len(held))
            if held:
                hits = engine.search("mưa lớn", limit=5)
                assert hits.total == len(held) and all(h.id in held for h in hits)
            summary = engine.index_articles(articles(), jobs=1, commit_every=EVERY)
            assert (summary.added, summary.unchanged, summary.replaced) == (N - len(held), len(held), 0)
            assert sorted(engine.ids()) == ALL and len(engine) == N
            assert engine.check() == [] and engine._store.orphans() == []
            assert engine.search("mưa lớn").total == N
    # The kills must have landed at different stages, not all before or after the work.
    print("articles held after each kill:", held_counts)
    assert len(set(held_counts)) >= 3, held_counts


def test_commit_every_makes_each_batch_durable_as_it_goes(tmp_path):
    index = tmp_path / "ix"
    seen_by_reader = []
    with SearchEngine(index) as writer, SearchEngine(index) as reader:
        def progress(article):
            seen_by_reader.append(len(reader))  # another engine sees only commits

        def stream():
            yield from articles()[:95]
            raise KeyboardInterrupt  # the run is interrupted after 95 articles

        with pytest.raises(KeyboardInterrupt):
            writer.index_articles(stream(), jobs=1, commit_every=10, on_progress=progress)
        # A commit before the 11th, 21st, … 91st article; the last 5 were lost with the run.
        assert seen_by_reader == [10 * ((k - 1) // 10) for k in range(1, 96)]
        assert sorted(writer.ids()) == ALL[:90] and writer.check() == []
        assert writer.index_articles(articles()[:95], jobs=1, commit_every=10).added == 5
        assert sorted(writer.ids()) == ALL[:95]
        with pytest.raises(ValueError):
            writer.index_articles(articles()[:1], commit_every=0)


def test_ids_another_writer_adds_between_our_commits_are_replaced_not_doubled(tmp_path, monkeypatch):
    index = tmp_path / "ix"
    with SearchEngine(index) as one, SearchEngine(index) as other:
        calls = []
        take_lock = one._store.writer

        def writer_after_someone_else(**kw):
            calls.append(1)
            if len(calls) == 2:  # our first commit let the lock go: another writer gets in
                other.add_articles([articles()[5]], jobs=1)
            return take_lock(**kw)

        monkeypatch.setattr(one._store, "writer", writer_after_someone_else)
        summary = one.index_articles(articles()[:6], jobs=1, commit_every=3)
        assert len(calls) == 3  # a writer per commit, then one to merge the run's segments
        assert (summary.added, summary.replaced) == (5, 1)
        assert sorted(one.ids()) == ALL[:6] and len(one) == 6 and one.check() == []


# -- the main process killed alone: its workers must not outlive it, nor keep the index locked --------

BIG = 1500  # more than one commit of the CLI (1000), in batches the two workers share
WORKER_CHILD = f"""
import sys
from vnsearch import SearchEngine
articles = [{{"id": f"a{{i:04d}}", "title": f"Tin số {{i}}", "body": f"Hà Nội mưa lớn, bài thứ {{i}}."}}
            for i in range({N})]
with SearchEngine(sys.argv[1]) as engine:
    engine.add_articles(articles, jobs=2, commit_every={EVERY},
                        on_progress=lambda article: print("+", flush=True))
    print("done", flush=True)
"""


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """Each live process's pid and the fields of /proc/PID/stat after its name (state, ppid, pgid, …)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            yield int(entry.name), stat[stat.rfind(")") + 2:].split()


def group_members(pgid: int) -> list[int]:
    """The processes of a process group (a run started in its own session: the run's processes)."""
    return [pid for pid, fields in _proc_stats() if int(fields[2]) == pgid and fields[0] not in ("Z", "X")]


def children(pid: int) -> list[int]:
    return [child for child, fields in _proc_stats() if int(fields[1]) == pid]


def assert_none_survive(pgid: int, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = group_members(pgid)
    for pid in left:  # don't leave them behind for the other tests, then fail
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes of the killed run still alive: {left}"


def next_writer_finishes(index: Path, ids: list[str], every: int, records: list[dict]) -> None:
    """The index as the last commit left it; the next writer gets the lock at once and completes it."""
    with SearchEngine(index, wait=10) as engine:
        # Sound; at most the files the killed write had begun, which this writer deletes.
        assert all(p.startswith(ORPHANS) for p in engine.check())
        held = sorted(engine.ids())
        assert held == ids[:len(held)] and (len(held) % every == 0 or len(held) == len(ids)), held[-3:]
        started = time.monotonic()
        summary = engine.index_articles(records, jobs=1, commit_every=every)
        assert time.monotonic() - started < 60
        assert (summary.added, summary.unchanged) == (len(ids) - len(held), len(held))
        assert sorted(engine.ids()) == ids and len(engine) == len(ids)  # every article exactly once
        assert engine.check() == [] and engine._store.orphans() == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the run's processes")
@pytest.mark.parametrize("after", [5, 120, 330])
def test_sigkill_of_the_main_process_alone_leaves_no_worker_and_no_lock(tmp_path, after):
    script = tmp_path / "child.py"
    script.write_text(WORKER_CHILD, "utf-8")
    index = tmp_path / "ix"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script), str(index)], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(after):
            line = proc.stdout.readline()
            if not line or line.startswith("done"):
                break
        assert children(proc.pid), "the run had no worker processes to leave behind"
        proc.send_signal(signal.SIGKILL)  # the main process only, as the out-of-memory killer does
        proc.wait(timeout=60)  # not communicate(): workers left alive would hold its output open
        assert_none_survive(proc.pid)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    next_writer_finishes(index, ALL, EVERY, articles())


def big_index_run(tmp_path: Path, prefix: str) -> tuple[subprocess.Popen[str], Path, list[str], list[dict]]:
    """`vnsearch index -j 2` of BIG small articles in a session of its own, once its workers are running."""
    ids = [f"{prefix}{i:04d}" for i in range(BIG)]
    records = [{"id": i, "title": f"Tin số {n}", "body": f"Hà Nội mưa lớn, bài thứ {n}."} for n, i in enumerate(ids)]
    source = tmp_path / "big.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    index = tmp_path / "ix"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "vnsearch.cli", "index", "-q", "-j", "2", "-d", str(index),
                             str(source)], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, index, ids, records


def assert_stopped_as_by_ctrl_c(proc: subprocess.Popen[str], err: str, index: Path, code: int, said: str) -> None:
    """The run ended as Ctrl-C ends it: exit *code*, one line saying *said*, its partial files deleted, the lock
    let go (not merely stale)."""
    assert proc.returncode == code, err
    assert said in err and "Traceback" not in err, err
    assert (index / "MAIN_WRITELOCK").read_bytes() == b""
    with SearchEngine(index, create=False) as engine:
        assert engine._store.orphans() == [] and engine.check() == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the run's processes")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_vnsearch_index_killed_alone_leaves_no_worker_and_no_lock(tmp_path, sig):
    proc, index, ids, records = big_index_run(tmp_path, "b")
    try:
        assert children(proc.pid), "the run had no worker processes to leave behind"
        time.sleep(random.Random(sig).uniform(0.5, 3.0))  # the workers busy segmenting
        proc.send_signal(sig)
        proc.wait(timeout=120)
        assert_none_survive(proc.pid)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGTERM and proc.returncode != 0:
        assert_stopped_as_by_ctrl_c(proc, err, index, 128 + signal.SIGTERM, "terminated")
    next_writer_finishes(index, ids, 1000, records)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the run's processes")
def test_workers_stopped_alone_end_the_run_as_an_interrupt_without_a_traceback(tmp_path):
    """SIGINT to the workers only (not the run's process): one line, exit 130, what was committed kept."""
    proc, index, ids, records = big_index_run(tmp_path, "w")
    try:
        workers = children(proc.pid)
        assert workers, "the run had no worker processes"
        time.sleep(1.0)  # the workers busy segmenting
        for pid in workers:
            os.kill(pid, signal.SIGINT)
        proc.wait(timeout=120)
        assert_none_survive(proc.pid)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode != 0:  # (a fast machine may have finished first)
        assert_stopped_as_by_ctrl_c(proc, err, index, 130, "interrupted")
    next_writer_finishes(index, ids, 1000, records)
