"""Opening an index while another writer commits is not damage.

Opening the latest commit lists the directory for the newest table of
contents, then opens it; a commit in between deletes it. That used to be
reported as "the index is damaged ... rebuild it" to a ``vnsearch search``
run while ``vnsearch index`` committed (seen once as a failure of
``test_threads``' stress test). The tests below make the commit land in
exactly that gap, then check that a truly missing table is still damage.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_threads import OURS, article
from vnsearch import IndexDamaged, SearchEngine
from vnsearch.store.directory import IndexStore
from vnsearch.store.files import ChecksumStorage

TOC_NAME = re.compile(r"^_MAIN_[0-9]+\.toc$")


@pytest.fixture()
def index(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "ix"
    with SearchEngine(path) as engine:
        engine.add_articles([article("a", i, OURS) for i in range(3)], jobs=1)
    yield path


def commit_in_the_gap(monkeypatch: pytest.MonkeyPatch, commit: Callable[[], object]) -> list[str]:
    """Make *commit* run once, just before the next table of contents is opened; the names it was run for."""
    original = ChecksumStorage.open_file
    fired: list[str] = []

    def open_file(self: ChecksumStorage, name: str, *args: Any, **kwargs: Any) -> Any:
        if TOC_NAME.match(name) and not fired:
            fired.append(name)
            commit()  # deletes *name*: Whoosh keeps only the newest table
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(ChecksumStorage, "open_file", open_file)
    return fired


def test_opening_while_a_commit_replaces_the_table_of_contents(index: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    writer = SearchEngine(index)
    fired = commit_in_the_gap(monkeypatch, lambda: writer.add_articles([article("b", 0, OURS)], jobs=1))
    store = IndexStore(index, create=False)
    try:
        assert fired and not (index / fired[0]).exists()  # the table it had found was gone
        assert store.segments() and sum(n for _, n in store.segments()) == 4  # the newer commit
    finally:
        store.close()
        writer.close()


def test_a_snapshot_taken_while_a_commit_replaces_the_table_of_contents(index: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    writer = SearchEngine(index)
    reader = SearchEngine(index, create=False)
    try:
        assert len(reader) == 3
        writer.add_articles([article("c", 0, OURS)], jobs=1)  # the reader's snapshot is now stale
        fired = commit_in_the_gap(monkeypatch, lambda: writer.add_articles([article("c", 1, OURS)], jobs=1))
        assert reader.search(OURS, limit=10).total == 5
        assert fired
    finally:
        reader.close()
        writer.close()


def test_a_table_of_contents_missing_with_no_newer_commit_is_still_damage(index: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    original = ChecksumStorage.open_file

    def open_file(self: ChecksumStorage, name: str, *args: Any, **kwargs: Any) -> Any:
        if TOC_NAME.match(name):
            raise FileNotFoundError(2, "No such file or directory", name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(ChecksumStorage, "open_file", open_file)
    with pytest.raises(IndexDamaged, match="damaged"):
        IndexStore(index, create=False)


def test_engines_opened_by_threads_while_commits_land(index: Path) -> None:
    """The race itself, unprovoked: it failed within the first few commits before the fix."""
    done = threading.Event()
    failures: list[BaseException] = []
    opened = [0]

    def opener() -> None:
        while not done.is_set():
            try:
                with SearchEngine(index, create=False) as engine:
                    assert engine.search(OURS, limit=1).total >= 3
                opened[0] += 1
            except BaseException as exc:  # reported below
                failures.append(exc)
                done.set()

    threads = [threading.Thread(target=opener) for _ in range(3)]
    for t in threads:
        t.start()
    started = time.monotonic()
    try:
        with SearchEngine(index) as writer:
            for i in range(25):
                if done.is_set() or time.monotonic() - started > 20:
                    break
                writer.add_articles([article("d", i, OURS)], jobs=1)
    finally:
        done.set()
        for t in threads:
            t.join(30)
    assert not failures, failures[0]
    assert opened[0] > 0
