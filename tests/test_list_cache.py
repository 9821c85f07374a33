"""The ranker's postings cache: recency within a budget, a list let in only past lists asked for no more often."""

from __future__ import annotations

import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.search import cache as cache_module
from vnsearch.search.cache import ListCache


def _cache(budget: int) -> ListCache[str, str]:
    return ListCache(budget, len)  # a value's cost: its length


def _ask(cache: ListCache[str, str], key: str, value: str) -> str:
    """What the ranker does: the kept value, else the value read and offered."""
    got = cache.get(key)
    if got is None:
        got = value
        cache.offer(key, got)
    return got


def test_values_that_fit_are_kept_and_the_least_recently_used_go_first() -> None:
    c = _cache(10)
    for key in "abc":
        _ask(c, key, key * 3)
    assert c.keys() == ["a", "b", "c"] and c.used == 9
    assert c.get("a") == "aaa"  # now the most recent
    assert c.keys() == ["b", "c", "a"]
    _ask(c, "d", "ddd")  # asked for once, as b: b goes
    assert c.keys() == ["c", "a", "d"] and c.used == 9


def test_a_value_asked_for_once_does_not_push_out_one_asked_for_often() -> None:
    c = _cache(6)
    for _ in range(3):
        _ask(c, "common", "cccccc")
    assert c.keys() == ["common"]
    for key in "xyz":  # a run of one-off lists: each read, none kept
        assert _ask(c, key, key * 4) == key * 4
        assert c.keys() == ["common"]
    assert c.get("common") == "cccccc"
    assert not c.offer("huge", "h" * 7)  # over the whole budget: never kept


def test_a_value_asked_for_as_often_takes_the_place() -> None:
    c = _cache(6)
    _ask(c, "old", "oooooo")
    _ask(c, "new", "nnnnnn")  # once each: the newer goes in
    assert c.keys() == ["new"]
    assert c.used == 6


def test_counts_are_halved_every_so_many_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "AGE_EVERY", 10)
    c = _cache(4)
    for _ in range(5):
        _ask(c, "was common", "wwww")
    for _ in range(5):
        c.get("other")  # ten requests: every count halved (5 -> 2, 5 -> 2)
    assert c._counts == {"was common": 2, "other": 2}
    _ask(c, "other", "oooo")  # 3 now, over 2: it takes the place
    assert c.keys() == ["other"]


def test_clear_forgets_values_and_counts() -> None:
    c = _cache(4)
    _ask(c, "a", "aa")
    c.clear()
    assert c.keys() == [] and c.used == 0 and not c._counts and len(c) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(1, 5)), max_size=80), st.integers(1, 12))
def test_the_budget_holds_and_what_is_kept_is_what_was_offered(asks: list[tuple[str, int]], budget: int) -> None:
    c = _cache(budget)
    sizes: dict[str, int] = {}
    for key, size in asks:
        size = sizes.setdefault(key, size)  # a key's value never changes (a snapshot's list)
        assert _ask(c, key, key * size) == key * size
        assert c.used == sum(sizes[k] for k in c.keys()) <= budget
        assert len(set(c.keys())) == len(c)


def test_threads_share_one_cache() -> None:
    c = _cache(50)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(2000):
                key = rng.choice("abcdefghij")
                assert _ask(c, key, key * (ord(key) % 7 + 1)) == key * (ord(key) % 7 + 1)
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert c.used == sum(len(k * (ord(k) % 7 + 1)) for k in c.keys()) <= 50
