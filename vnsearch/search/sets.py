"""Set operations on sorted arrays of unique document numbers (posting lists' ids).

Why not ``np.intersect1d``: even told ``assume_unique=True`` it concatenates
its two arrays and sorts them again, O((m + n) log(m + n)) per call, while
posting lists are sorted already. Reading a query (co-occurrence
corrections, title checks) intersects thousands of them; a binary search of
the shorter list's ids in the longer one is O(m log n) and a fraction of
the time, with the very same result.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["intersect_sorted", "intersect_count", "intersect_all", "Among"]

# Among.count gathers from a mask when the other list is at most this many times longer than the ids
# (else it binary-searches the shorter list's ids in the longer, as intersect_count does).
MASK_RATIO = 16
# _found matches through a mask two lists of at least this many ids (the shorter), neither MASK_RATIO times
# the longer (below, the binary searches cost less than the mask's making).
MASK_FROM = 512


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ids in both *a* and *b* (each sorted ascending, without repeats), sorted.

    What ``np.intersect1d(a, b, assume_unique=True)`` returns for such arrays
    (the same values; the dtype of the shorter array).
    """
    if a.size > b.size:
        a, b = b, a
    if not a.size:
        return a[:0]
    common: np.ndarray = a[_found(a, b)]
    return common


def intersect_count(a: np.ndarray, b: np.ndarray) -> int:
    """How many ids *a* and *b* (sorted, unique) share: ``intersect_sorted(a, b).size``, nothing gathered."""
    if a.size > b.size:
        a, b = b, a
    if not a.size:
        return 0
    return int(np.count_nonzero(_found(a, b)))


def _found(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each id of *a* (not empty, no longer than *b*), whether *b* holds it (a binary search).

    Reading a query asks this tens of thousands of times, mostly of short
    arrays: the ndarray methods, not their numpy functions (a few microseconds
    of wrapping each), and one clipped ``take`` for a position past the end
    (compared with the last id, which is below it) instead of patching them.
    Two long lists of about the same length (two common words' documents)
    are matched through a mask of the ids up to the lower of their last ones
    instead: thousands of binary searches cost several times that.
    """
    if a.size >= MASK_FROM and b.size <= MASK_RATIO * a.size and a[0] >= 0 and b[0] >= 0:
        top = int(min(a[-1], b[-1])) + 1  # no id above both lists' last is in both
        mask = np.zeros(top, dtype=bool)
        mask[b[:b.searchsorted(top)]] = True
        below = int(a.searchsorted(top))
        found = np.zeros(a.size, dtype=bool)
        found[:below] = mask[a[:below]]
        return found
    at = b.searchsorted(a)
    held: np.ndarray = b.take(at, mode="clip") == a
    return held


def intersect_all(arrays: Iterable[np.ndarray]) -> np.ndarray | None:
    """The ids in every one of *arrays* (sorted, unique), shortest first, stopping at none left.

    None when *arrays* is empty.
    """
    ordered = sorted(arrays, key=lambda d: d.size)
    if not ordered:
        return None
    acc = ordered[0]
    for d in ordered[1:]:
        if not acc.size:
            break
        acc = intersect_sorted(acc, d)
    return acc


class Among:
    """Sorted unique ids that many other lists are counted against: ``intersect_count(other, ids)`` each.

    Reading a query counts each candidate correction's documents among those
    holding the rest of the query: the same ids, tens of other lists. Where
    both are long (a two-word query's rest is one word's documents), binary
    searches of thousands of ids in thousands cost tenfold a gather from a
    mask of the ids over the doc numbers (*size*: above any id), made once
    on first need. The count is the same either way.
    """

    def __init__(self, ids: np.ndarray, size: int) -> None:
        self.ids = ids
        self._size = size
        self._mask: np.ndarray | None = None

    def common(self, other: np.ndarray) -> np.ndarray:
        """The ids of *other* (sorted, unique) among these, sorted: ``intersect_sorted(other, ids)``'s values."""
        ids = self.ids
        if not ids.size or not other.size:
            return other[:0]
        if not self._maskable(other):
            return intersect_sorted(other, ids)
        found: np.ndarray = other[self._masked()[other]]
        return found

    def _maskable(self, other: np.ndarray) -> bool:
        """Whether *other* (not empty) is matched through the mask: not much the longer, every id within it."""
        ids = self.ids
        return other.size <= MASK_RATIO * ids.size and 0 <= other[0] and other[-1] < self._size \
            and 0 <= ids[0] and ids[-1] < self._size

    def _masked(self) -> np.ndarray:
        mask = self._mask
        if mask is None:
            mask = self._mask = np.zeros(self._size, dtype=bool)
            mask[self.ids] = True
        return mask

    def count(self, other: np.ndarray) -> int:
        """How many ids *other* (sorted, unique) shares with these."""
        ids = self.ids
        if not ids.size or not other.size:
            return 0
        if not self._maskable(other):
            return intersect_count(other, ids)
        return int(np.count_nonzero(self._masked()[other]))
