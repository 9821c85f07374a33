"""The sorted key directory the impacts and positions files share: lookups, a sample, a field's span.

Both files end with the same kind of directory: their lists' keys
(:func:`~vnsearch.store.format.impact_key`: field, a 0 byte, the term) in
sorted order, end to end, and each key's end offset. Read in place from the
mapped file, a key is a slice of it; one class does every lookup so the two
files find a list the same way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

__all__ = ["SortedKeys"]


class SortedKeys:
    """*n* sorted keys end to end in *keys* (a buffer), key *i* ending at ``ends[i]``."""

    __slots__ = ("ends", "keys", "n")

    def __init__(self, ends: Any, keys: Any, n: int) -> None:
        self.ends = ends  # an integer array of n end offsets
        self.keys = keys  # bytes or a memoryview of the mapped file
        self.n = n

    def _start(self, i: int) -> int:
        return int(self.ends[i - 1]) if i else 0

    def key(self, i: int) -> bytes:
        return bytes(self.keys[self._start(i): int(self.ends[i])])

    def bisect_left(self, key: bytes) -> int:
        """Where *key* goes among all the keys: a bisection in Python, each key sliced only when compared."""
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.key(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def index(self, key: bytes) -> int:
        """The index of *key*, or -1, by :meth:`bisect_left` (no sample needed)."""
        i = self.bisect_left(key)
        return i if i < self.n and self.key(i) == key else -1

    def sample(self, stride: int) -> list[bytes]:
        """Every *stride*-th key, as bytes (for :meth:`index_in_sample`)."""
        stops = self.ends[::stride].tolist()
        starts = [0, *self.ends[stride - 1:-1:stride].tolist()]
        return [bytes(self.keys[a:b]) for a, b in zip(starts, stops)]

    def index_in_sample(self, key: bytes, sample: list[bytes], stride: int) -> int:
        """The index of *key*, or -1: a bisection of *sample* (in C), then of the one stride it falls in.

        The stride's keys are copied once, then compared as slices of that
        copy: cheaper than slicing the mapped file at every step.
        """
        block = bisect_right(sample, key) - 1
        if block < 0:
            return -1  # before the first key
        lo = block * stride
        bounds = self.ends[lo: min(lo + stride, self.n)].tolist()  # each key's end, in the stride
        first = self._start(lo)
        keys = bytes(self.keys[first: bounds[-1]])  # the stride's keys end to end
        a, b = 0, len(bounds)
        while a < b:  # bisect_left over the stride's keys
            mid = (a + b) // 2
            if keys[(bounds[mid - 1] if mid else first) - first: bounds[mid] - first] < key:
                a = mid + 1
            else:
                b = mid
        if a < len(bounds) and keys[(bounds[a - 1] if a else first) - first: bounds[a] - first] == key:
            return lo + a
        return -1

    def span(self, prefix: bytes) -> tuple[Any, int]:
        """The keys starting with *prefix* (a field's: its name and the 0 byte) end to end, in place, and how many."""
        a = self.bisect_left(prefix)
        b = self.bisect_left(prefix[:-1] + bytes((prefix[-1] + 1,)))  # the first key past them
        return self.keys[self._start(a): self._start(b)], b - a

    def split(self) -> Iterator[tuple[str, bytes, int]]:
        """Every key as (field name, term bytes, index), in order."""
        start = 0
        for i in range(self.n):
            end = int(self.ends[i])
            fieldname, _, tbytes = bytes(self.keys[start:end]).partition(b"\x00")
            start = end
            yield fieldname.decode("utf-8"), tbytes, i
