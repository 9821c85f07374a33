"""A segment's impacts file (format 10): the ranker's posting lists as plain arrays.

Why: ranking a query reads the documents and weights of every syllable on
every tier, ~200k postings a query on the whole corpus; from Whoosh's
``.pst`` each list costs a term-table lookup (inflating a block of the
table) and, per block of 1,024 postings, a frame, a checksum and an
inflated head, in Python. That was half the ranking's time. The impacts
file (layout: :func:`vnsearch.store.format.pack_impacts`,
:func:`~vnsearch.store.format.impacts_directory`) keeps the same lists as
gaps and weights end to end behind a sorted directory: a lookup is a
binary search and a list one slice, one checksum and one cumulative sum.
Positions are not repeated there: they are read from ``.pst`` only when a
phrase or the proximity step asks for them (:class:`LazyValues`).

Written next to Whoosh's files by the codec's field writer (both for
segments Whoosh writes and for those :mod:`vnsearch.store.merge` writes),
read by :func:`vnsearch.store.postings.read_postings`; a segment without
one (formats 7 to 9) is read as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vnsearch.store.files import segment_file_buffer
from vnsearch.store.format import (
    IMPACT_FIELDS,
    IMPACTS_EXT,
    IMPACTS_MAGIC,
    SMALL_IMPACTS,
    impact_key,
    impacts_directory,
    pack_impacts,
    pack_impacts_many,
    pack_impacts_small,
    read_impacts_trailer,
    unpack_impacts,
)
from vnsearch.store.keys import SortedKeys

__all__ = ["ImpactsWriter", "ImpactsBatch", "Impacts", "open_impacts", "IMPACT_FIELDS", "IMPACTS_EXT"]

# Keys of a directory between two kept in Impacts' sample: a lookup bisects the sample, then one stride.
SAMPLE_STRIDE = 32
# Lookups of a directory before its sample is built (a query makes 100 to 300).
SAMPLE_AFTER = 400
# Keys whose place in the directory (or absence) Impacts remembers before it starts afresh (~150 bytes each:
# ~2.5 MB a segment; a query looks up 100 to 300).
FOUND_KEYS = 16_384


class ImpactsWriter:
    """Collects a segment's lists of :data:`IMPACT_FIELDS` as they are written, then the directory."""

    def __init__(self, file: Any) -> None:
        self._file = file
        file.write(IMPACTS_MAGIC)
        self._at = len(IMPACTS_MAGIC)
        self._keys: list[bytes] = []
        self._starts: list[int] = []
        self._counts: list[int] = []
        self._flags: list[int] = []

    def add(self, fieldname: str, tbytes: bytes, ids: Sequence[int] | np.ndarray,
            weights: Sequence[float] | np.ndarray, has_values: bool) -> None:
        """One term's list: ascending segment document numbers and their weights.

        Lists must come in key order (:func:`impact_key`: field, then term), as
        the segment writers write them: a reader finds a list's end at the next
        key's start, so a list out of order is refused here rather than read
        back as another's bytes (a checksum failure, taken for damage).
        """
        key = impact_key(fieldname, tbytes)
        if self._keys and key <= self._keys[-1]:
            raise ValueError(f"impacts list {key!r} added after {self._keys[-1]!r}: lists must come in key order")
        packed = None
        if len(ids) <= SMALL_IMPACTS:  # most lists: plain Python, the same bytes
            packed = pack_impacts_small(ids.tolist() if isinstance(ids, np.ndarray) else list(ids),
                                        weights.tolist() if isinstance(weights, np.ndarray) else list(weights))
        if packed is None:
            packed = pack_impacts(np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32))
        flags, data = packed
        self._keys.append(key)
        self._starts.append(self._at)
        self._counts.append(len(ids))
        self._flags.append(flags | (0x10 if has_values else 0))
        self._file.write(data)
        self._at += len(data)

    def add_many(self, fieldname: str, terms: Sequence[bytes], edges: Sequence[int] | np.ndarray,
                 ids: Sequence[int] | np.ndarray, weights: Sequence[float] | np.ndarray,
                 has_values: Sequence[bool] | np.ndarray) -> None:
        """Many terms' lists of one field, in key order: term *k*'s are ``ids[edges[k]:edges[k + 1]]``.

        The same bytes as :meth:`add` for each (:func:`pack_impacts_many`);
        lists it leaves alone (unusual ids or weights) are added one by one.
        """
        if not len(terms):
            return
        edges = np.asarray(edges, dtype=np.int64)
        packed = pack_impacts_many(edges, np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32))
        if packed is None:
            bounds = edges.tolist()
            for k, tbytes in enumerate(terms):
                self.add(fieldname, tbytes, ids[bounds[k]: bounds[k + 1]], weights[bounds[k]: bounds[k + 1]],
                         bool(has_values[k]))
            return
        prefix = impact_key(fieldname, b"")
        keys = [prefix + t for t in terms]
        if any(map(bytes.__ge__, keys[:-1], keys[1:])) or (self._keys and keys[0] <= self._keys[-1]):
            raise ValueError(f"impacts lists of {fieldname!r} added out of key order")
        flags, ends, data = packed
        values = np.asarray(has_values, dtype=bool)
        self._keys.extend(keys)
        self._starts.append(self._at)
        self._starts.extend((ends[:-1] + self._at).tolist())
        self._counts.extend(np.diff(edges).tolist())
        self._flags.extend((flags | np.where(values, 0x10, 0)).tolist())
        self._file.write(data)
        self._at += len(data)

    def close(self) -> None:
        self._file.write(impacts_directory(self._keys, self._starts, self._at, self._counts, self._flags, self._at))
        self._file.close()


class ImpactsBatch:
    """One field's lists gathered for :meth:`ImpactsWriter.add_many`, handed over every *every* postings.

    The merge writes a field's terms one at a time; gathering their lists
    lets them be packed together (bounded, so memory stays small however
    large the field).
    """

    def __init__(self, writer: ImpactsWriter, fieldname: str, every: int = 200_000) -> None:
        self._writer = writer
        self._fieldname = fieldname
        self._every = every
        self._terms: list[bytes] = []
        self._edges: list[int] = [0]
        self._ids: list[int] = []
        self._weights: list[float] = []
        self._values: list[bool] = []

    def add(self, tbytes: bytes, ids: Sequence[int] | np.ndarray, weights: Sequence[float] | np.ndarray,
            has_values: bool) -> None:
        """One term's list (see :meth:`ImpactsWriter.add`)."""
        self._terms.append(tbytes)
        self._ids.extend(ids.tolist() if isinstance(ids, np.ndarray) else ids)
        self._weights.extend(weights.tolist() if isinstance(weights, np.ndarray) else weights)
        self._edges.append(len(self._ids))
        self._values.append(has_values)
        if len(self._ids) >= self._every:
            self.flush()

    def flush(self) -> None:
        """Hand what is gathered to the writer."""
        if self._terms:
            self._writer.add_many(self._fieldname, self._terms, np.array(self._edges, dtype=np.int64),
                                  np.array(self._ids, dtype=np.int64), np.array(self._weights, dtype=np.float32),
                                  self._values)
        self._terms, self._edges, self._ids, self._weights, self._values = [], [0], [], [], []


class Impacts:
    """A segment's impacts file, read in place (its directory verified on first use)."""

    def __init__(self, data: Any) -> None:
        self._data = data  # bytes or a memoryview of the mapped segment file
        self._directory: tuple[Any, ...] | None = None
        self._sorted: SortedKeys | None = None  # the directory's keys (see _find)
        self._sample: list[bytes] | None = None  # every SAMPLE_STRIDE-th key (see _find)
        self._lookups = 0
        self._found: dict[bytes, int] = {}  # key -> its index, or -1 (see _find)
        self._verified: bytearray | None = None  # per list: 1 once its checksum has passed (see read)

    def _dir(self) -> tuple[Any, ...]:
        got = self._directory
        if got is None:
            got = self._directory = read_impacts_trailer(self._data)
        return got

    def _keys(self) -> SortedKeys:
        got = self._sorted
        if got is None:
            ends, _, _, _, keys, n = self._dir()
            got = self._sorted = SortedKeys(ends, keys, n)
        return got

    def _sampled(self) -> list[bytes]:
        """Every :data:`SAMPLE_STRIDE`-th key of the directory, as bytes (built on first use, then kept).

        A list is found by a bisection of this sample in C, then of one
        stride of the directory in Python: five steps instead of nineteen on
        the whole corpus (359k keys, 11k sampled: ~0.6 MB, 3-4 ms of CPU to build once per snapshot).
        """
        got = self._sample
        if got is None:
            got = self._sample = self._keys().sample(SAMPLE_STRIDE)
        return got

    def _find(self, key: bytes) -> int:
        """The index of *key* in the directory, or -1 (remembered: a query asks a key's count, then its list,
        and the next queries ask for their common syllables and their absent tones again).

        The first :data:`SAMPLE_AFTER` lookups bisect the whole directory (a
        one-query process, the CLI, never pays for the sample); later ones
        the sample, then one stride.
        """
        found = self._found
        got = found.get(key)
        if got is None:
            got = self._search(key)
            if len(found) >= FOUND_KEYS:
                found.clear()
            found[key] = got
        return got

    def _search(self, key: bytes) -> int:
        """:meth:`_find` without the memo."""
        sample = self._sample
        if sample is None:
            self._lookups += 1
            if self._lookups <= SAMPLE_AFTER:
                return self._keys().index(key)
            sample = self._sampled()
        return self._keys().index_in_sample(key, sample, SAMPLE_STRIDE)

    def read(self, fieldname: str, tbytes: bytes) -> tuple[np.ndarray, np.ndarray, bool] | None:
        """(segment document numbers, float32 weights, whether it has positions), or None if absent."""
        i = self._find(impact_key(fieldname, tbytes))
        if i < 0:
            return None
        _, starts, counts, flags, _, n = self._dir()
        flag = int(flags[i])
        # A list's checksum is verified on its first read only: the file is mapped and never rewritten, so a
        # list read again is the same bytes (a damaged one never passes, so it fails on every read).
        verified = self._verified
        if verified is None:
            verified = self._verified = bytearray(n)
        ids, weights = unpack_impacts(self._data[int(starts[i]): int(starts[i + 1])], flag, int(counts[i]),
                                      verify=not verified[i])
        verified[i] = 1
        return ids, weights, bool(flag & 0x10)

    def count(self, fieldname: str, tbytes: bytes) -> int:
        """How many postings *tbytes* has in *fieldname* (0: none)."""
        i = self._find(impact_key(fieldname, tbytes))
        return int(self._dir()[2][i]) if i >= 0 else 0

    def field_keys(self, fieldname: str) -> tuple[memoryview, int]:
        """The directory's keys of *fieldname* end to end, each its :func:`impact_key` (field, 0 byte, term),
        in place (a view of the mapped file), and how many they are.

        The directory is the segment's sorted term table of these fields,
        uncompressed and mapped: a whole field's terms are one slice of it,
        where the term table inflates thousands of blocks (reading a short
        query's word pairs needs every word, not their postings).
        """
        return self._keys().span(impact_key(fieldname, b""))

    def items(self) -> list[tuple[str, bytes, int]]:
        """Every list: (field name, term bytes, index), for ``vnsearch check``."""
        return list(self._keys().split())


def open_impacts(storage: Any, segment: Any) -> Impacts | None:
    """The impacts file of *segment* in *storage* (a segment reader's), or None if it has none."""
    buf = segment_file_buffer(storage, segment, IMPACTS_EXT)
    return None if buf is None else Impacts(buf)
