"""One engine shared by threads, while this and another process write: no errors, consistent answers.

Also: a bug is a bug (a TypeError raised in scoring reaches the caller as
itself), and a snapshot still being read is never closed under its reader.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vnsearch import IndexDamaged, SearchEngine
from vnsearch.search.query import parse_query
from vnsearch.search.ranking import Ranker

ROOT = Path(__file__).resolve().parents[1]

# Made-up syllables: one marks the other process's articles, one this process's.
THEIRS = "quyxbac"
OURS = "wozzle"
WORDS = ("mưa lớn gây ngập nhiều tuyến phố hà nội người dân giao thông "
         "chính phủ kinh tế tăng trưởng doanh nghiệp xuất khẩu bóng đá đội tuyển").split()


def article(prefix: str, i: int, marker: str) -> dict[str, str]:
    """A short Vietnamese article (fast to segment) holding *marker*."""
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(14)]
    return {"id": f"{prefix}-{i:05d}", "title": f"{' '.join(words[:5])} {marker}",
            "body": f"{' '.join(words)} {marker} số {i}.", "date": f"2024-01-{i % 28 + 1:02d}"}


CHILD = """
import sys
from tests.test_threads import THEIRS, article
from vnsearch import SearchEngine
n, every = int(sys.argv[2]), int(sys.argv[3])
with SearchEngine(sys.argv[1], wait=None) as engine:
    engine.index_articles((article("p", i, THEIRS) for i in range(n)), jobs=1, commit_every=every)
"""


def stress(index: Path, threads: int = 8, articles: int = 1000, commit_every: int = 100,
           min_seconds: float = 3.0, max_seconds: float = 50.0) -> dict[str, float]:
    """Run the shared-engine stress; returns figures. Raises AssertionError on any inconsistency."""
    with SearchEngine(index) as engine:
        engine.add_articles([article("seed", i, OURS) for i in range(5)], jobs=1)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(index), str(articles), str(commit_every)],
                                 cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        done = threading.Event()
        errors: list[BaseException] = []
        answered = [0] * threads
        ours_written = [0]

        def searcher(k: int) -> None:
            last_theirs = 0
            last_len_floor = 0
            queries = [THEIRS, f"{THEIRS} mưa", OURS, "hà nội", "bóng đá đội tuyển", "kinh te"]
            n = 0
            try:
                while not done.is_set():
                    q = queries[(n + k) % len(queries)]
                    n += 1
                    results = engine.search(q, limit=10, collapse=(n % 2 == 0))
                    assert len(results) <= 10 and results.total <= results.matched
                    if q == THEIRS:
                        # Only ever added: never fewer than this thread saw before.
                        assert results.total >= last_theirs, (results.total, last_theirs)
                        last_theirs = results.total
                        for hit in results:
                            assert hit.id.startswith("p-") and engine.get(hit.id) is not None
                        assert last_theirs <= len(engine) + 0
                    for hit in results:
                        if hit.id.startswith("p-"):  # never deleted: resolvable on any later snapshot
                            assert hit.id in engine
                    size = len(engine)
                    # Their articles only grow and ours never fall below the five seeds.
                    assert size >= max(last_len_floor, 5), (size, last_len_floor)
                    last_len_floor = last_theirs + 5
                    if n % 5 == 0:
                        got = engine.similar("seed-00000", limit=3)
                        assert all(h.id != "seed-00000" for h in got)
                        assert results.suggestion is None or isinstance(results.suggestion, str)
                    answered[k] += 1
            except BaseException as exc:
                errors.append(exc)
                done.set()

        def writer() -> None:
            i = 0
            try:
                while not done.is_set():
                    batch = [article("w", i + j, OURS) for j in range(3)]
                    engine.add_articles(batch, jobs=1)
                    assert engine.delete([batch[0]["id"], batch[1]["id"]]) == 2
                    ours_written[0] += 1
                    i += 3
            except BaseException as exc:
                errors.append(exc)
                done.set()

        workers = [threading.Thread(target=searcher, args=(k,)) for k in range(threads)]
        workers.append(threading.Thread(target=writer))
        for w in workers:
            w.start()
        while not done.is_set():
            elapsed = time.monotonic() - start
            if (child.poll() is not None and elapsed >= min_seconds) or elapsed >= max_seconds:
                break
            time.sleep(0.05)
        done.set()
        for w in workers:
            w.join(60)
        child_error = ""
        if child.poll() is None:
            child.kill()
            child_error = "the indexing process did not finish in time"
        else:
            _, err = child.communicate()
            if child.returncode:
                child_error = err
        duration = time.monotonic() - start
        if errors:
            raise errors[0]
        assert not child_error, child_error
        theirs = engine.search(THEIRS, limit=0, suggest=False, collapse=False).total
        problems = engine.check()
        assert theirs == articles, theirs
        assert problems == [], problems
        return {"queries": sum(answered), "errors": len(errors), "seconds": round(duration, 1),
                "writer_rounds": ours_written[0], "articles": len(engine)}


def test_eight_threads_share_one_engine_while_two_writers_write(tmp_path: Path) -> None:
    figures = stress(tmp_path / "ix")
    assert figures["queries"] > 0 and figures["writer_rounds"] > 0


# -- a bug is a bug ----------------------------------------------------------------------


@pytest.fixture()
def small(tmp_path: Path) -> Iterator[SearchEngine]:
    with SearchEngine(tmp_path / "ix") as engine:
        engine.add_articles([article("a", i, OURS) for i in range(6)], jobs=1)
        yield engine


def test_a_type_error_inside_scoring_reaches_the_caller_as_itself(small: SearchEngine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Ranker, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a bug in scoring")

    monkeypatch.setattr(Ranker, "syllable", broken)
    with pytest.raises(TypeError, match="a bug in scoring") as info:
        small.search("mưa lớn")
    assert not isinstance(info.value, IndexDamaged)


def test_a_key_error_inside_hit_building_is_not_damage(small: SearchEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from vnsearch.search import collect

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr(collect, "build_hit", broken)
    with pytest.raises(KeyError) as info:
        small.search("mưa lớn")
    assert not isinstance(info.value, IndexDamaged)


def test_misuse_is_not_damage(small: SearchEngine) -> None:
    for call in (lambda: small.get(None), lambda: None in small, lambda: small.similar(None)):  # type: ignore[arg-type,operator]
        with pytest.raises(TypeError) as info:
            call()
        assert not isinstance(info.value, IndexDamaged)


# -- snapshots ----------------------------------------------------------------------------


def test_a_snapshot_in_use_outlives_a_newer_commit(small: SearchEngine) -> None:
    with small._reading() as view:
        before = view.snapshot.doc_count
        small.add_articles([article("b", 0, OURS)], jobs=1)
        assert len(small) == before + 1  # the engine moved on...
        assert not view.snapshot.closed  # ...without closing what this call reads
        assert view.snapshot.doc_count == before
        hits = view.ranker.rank(parse_query(OURS), limit=20)
        assert all(view.snapshot.stored(int(d))["id"] for d in hits.docs)
    assert view.snapshot.closed  # the last holder let go


def test_a_lazy_suggestion_survives_a_newer_commit(small: SearchEngine) -> None:
    results = small.search("mua lon")
    small.add_articles([article("c", 0, OURS)], jobs=1)
    small.delete(["a-00000"])
    len(small)  # the engine's snapshot is now a newer one; the search's is closed
    assert results.suggestion == "mưa lớn"
