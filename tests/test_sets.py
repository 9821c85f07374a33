"""The sorted-set helpers give what numpy's set functions give, on sorted unique id arrays."""

from __future__ import annotations

import numpy as np
import pytest

from vnsearch.search.sets import Among, intersect_all, intersect_count, intersect_sorted


def _random_ids(rng: np.random.Generator, size: int, top: int) -> np.ndarray:
    return np.sort(rng.choice(top, size=min(size, top), replace=False)).astype(np.int64)


@pytest.mark.parametrize("seed", range(40))
def test_intersections_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    top = int(rng.integers(1, 5000))
    a = _random_ids(rng, int(rng.integers(0, 3000)), top)
    b = _random_ids(rng, int(rng.integers(0, 3000)), top)
    want = np.intersect1d(a, b, assume_unique=True)
    for x, y in ((a, b), (b, a)):
        got = intersect_sorted(x, y)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        assert intersect_count(x, y) == want.size


def test_edges() -> None:
    empty = np.zeros(0, dtype=np.int64)
    ids = np.array([0, 3, 9], dtype=np.int64)
    assert intersect_sorted(empty, ids).size == 0 and intersect_sorted(ids, empty).size == 0
    assert intersect_sorted(empty, empty).dtype == np.int64
    assert intersect_count(ids, empty) == 0
    # Every id past the other's end, or before its start.
    assert intersect_sorted(ids, np.array([10, 11], dtype=np.int64)).size == 0
    assert intersect_sorted(np.array([-5, -1], dtype=np.int64), ids).size == 0
    assert intersect_sorted(ids, ids).tolist() == [0, 3, 9]
    assert intersect_sorted(ids, np.array([9], dtype=np.int64)).tolist() == [9]


@pytest.mark.parametrize("seed", range(10))
def test_intersect_all_matches_chained_numpy(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    lists = [_random_ids(rng, int(rng.integers(0, 800)), 1000) for _ in range(int(rng.integers(1, 8)))]
    want = lists[0]
    for d in lists[1:]:
        want = np.intersect1d(want, d, assume_unique=True)
    got = intersect_all(lists)
    assert got is not None and np.array_equal(got, want)
    assert intersect_all([]) is None


@pytest.mark.parametrize("seed", range(40))
def test_among_counts_as_intersect_count(seed: int) -> None:
    """By mask or by binary search, whichever it picks, and with a size too small for some ids (searched then)."""
    rng = np.random.default_rng(seed)
    top = int(rng.integers(1, 3000))
    ids = _random_ids(rng, int(rng.integers(0, 1500)), top)
    for size in (top, top + 7, max(top - 50, 0), 0):
        among = Among(ids, size)
        for _ in range(6):
            other = _random_ids(rng, int(rng.integers(0, 3000)), top)
            other = other.astype(np.int32) if rng.integers(2) else other
            want = np.intersect1d(ids, other)
            assert among.count(other) == intersect_count(other, ids) == want.size
            assert among.common(other).tolist() == want.tolist()


@pytest.mark.parametrize("seed", range(20))
def test_long_lists_of_like_length_match_through_a_mask_as_by_search(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    top = int(rng.integers(600, 40000))
    a = _random_ids(rng, int(rng.integers(512, 5000)), top)
    b = _random_ids(rng, int(rng.integers(a.size, 4 * a.size + 1)), top)
    want = np.intersect1d(a, b, assume_unique=True)
    for x, y in ((a, b), (b, a), (a, a[: a.size // 2 + 1]), (a, b - int(b[0]))):
        w = np.intersect1d(x, y, assume_unique=True)
        assert intersect_sorted(x, y).tolist() == w.tolist() and intersect_count(x, y) == w.size
    assert intersect_count(a, b) == want.size
