"""A segment's positions file (format 11): each list's positions in blocks behind a directory.

Why: the proximity step and phrase checks decode the positions of a few
hundred candidates of lists that run to every document of the archive.
Up to format 10 a list's positions sat in its ``.pst`` frames of 1,024
postings: the whole list was read, every frame checksummed, and its values
laid end to end before the candidates' bytes could be gathered. Here
(layout: :func:`vnsearch.store.format.pack_position_list`) a list is cut
in blocks of :data:`~vnsearch.store.format.POSITION_BLOCK` postings, each
with its own checksum, behind a head giving every block's end: a read
verifies and gathers only the blocks its postings fall in, all at once with
numpy, so its cost follows the candidates, not the list.

Lists written as blocks in ``.pst`` (more than the inline limit of postings)
of a field with positions (``text_f``) keep none there in format 11; an
inlined list keeps its few values in its term info, as before. Written by
the codec's field writer (:class:`PositionsWriter`, for every writer path:
Whoosh's, :mod:`~vnsearch.store.bulk`'s and :mod:`~vnsearch.store.merge`'s),
read by :mod:`vnsearch.store.postings` and checked whole by ``vnsearch check``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from vnsearch.store.files import segment_file_buffer
from vnsearch.store.format import (
    POSITION_BLOCK,
    POSITION_WIDTHS,
    POSITIONS_EXT,
    POSITIONS_MAGIC,
    ChecksumError,
    crc32,
    decode_buffer,
    impact_key,
    pack_position_list,
    position_list_head_size,
    positions_directory,
    read_position_list_head,
    read_positions_directory,
)
from vnsearch.store.keys import SortedKeys

__all__ = ["PositionsWriter", "Positions", "BlockValues", "JoinedValues", "open_positions", "POSITIONS_EXT"]

Int64s = npt.NDArray[np.int64]
_EMPTY = np.zeros(0, dtype=np.int64)
_NO_BYTES = np.zeros(0, dtype=np.uint8)
SAMPLE_STRIDE = 32  # keys of the directory between two kept in a file's sample (see Positions._find)



def _distinct(values: Int64s) -> Int64s:
    """``np.unique(values)``, without it: its first call imports ``numpy.ma`` (~10 ms a cold search)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]

class PositionsWriter:
    """Collects a segment's positions lists as they are written (in key order), then the directory."""

    def __init__(self, file: Any) -> None:
        self._file = file
        file.write(POSITIONS_MAGIC)
        self._at = len(POSITIONS_MAGIC)
        self._keys: list[bytes] = []
        self._starts: list[int] = []
        self._counts: list[int] = []

    def add(self, fieldname: str, tbytes: bytes, lengths: Sequence[int] | Int64s, data: bytes) -> None:
        """One term's positions: each posting's value length, and the values end to end.

        Lists must come in key order (field, then term), as the segment
        writers write them; one out of order is refused (a reader finds a
        list by bisecting the keys).
        """
        key = impact_key(fieldname, tbytes)
        if self._keys and key <= self._keys[-1]:
            raise ValueError(f"positions list {key!r} added after {self._keys[-1]!r}: lists must come in key order")
        if not len(lengths):
            raise ValueError(f"positions list {key!r} is empty")
        packed = pack_position_list(lengths, data)
        self._keys.append(key)
        self._starts.append(self._at)
        self._counts.append(len(lengths))
        self._file.write(packed)
        self._at += len(packed)

    def add_values(self, fieldname: str, tbytes: bytes, values: Sequence[bytes]) -> None:
        """:meth:`add` of the values as bytes objects (Whoosh's posting writer keeps them so)."""
        self.add(fieldname, tbytes, [len(v) for v in values], b"".join(values))

    def close(self) -> None:
        self._file.write(positions_directory(self._keys, self._starts, self._at, self._counts, self._at))
        self._file.close()


class Positions:
    """A segment's positions file, read in place (its directory verified on first use)."""

    def __init__(self, data: Any) -> None:
        self._data = data  # bytes or a memoryview of the mapped segment file
        self._directory: tuple[Int64s, Int64s, Int64s, memoryview, int] | None = None
        self._sorted: SortedKeys | None = None
        self._sample: list[bytes] | None = None
        # Per block of every list (numbered across the file): 1 once its checksum has passed. The file is
        # mapped and never rewritten, so a block verified once is the same bytes when its list is read again
        # (the ranker's cache lets lists go; a damaged block never passes, so it fails on every read).
        self._verified: npt.NDArray[np.uint8] | None = None
        self._first_blocks: Int64s | None = None

    def _dir(self) -> tuple[Int64s, Int64s, Int64s, memoryview, int]:
        got = self._directory
        if got is None:
            got = self._directory = read_positions_directory(self._data)
        return got

    def _keys(self) -> SortedKeys:
        got = self._sorted
        if got is None:
            ends, _, _, keys, n = self._dir()
            got = self._sorted = SortedKeys(ends, keys, n)
        return got

    def _find(self, key: bytes) -> int:
        """The index of *key* in the directory, or -1: a bisection of the sample, then of one stride."""
        sample = self._sample
        if sample is None:  # every SAMPLE_STRIDE-th key, built on first use: ~1 ms for the whole corpus
            sample = self._sample = self._keys().sample(SAMPLE_STRIDE)
        return self._keys().index_in_sample(key, sample, SAMPLE_STRIDE)

    def values(self, fieldname: str, tbytes: bytes) -> BlockValues | None:
        """The positions of *tbytes* in *fieldname*, or None if this file has no list of it."""
        i = self._find(impact_key(fieldname, tbytes))
        return None if i < 0 else self._list(i)

    def _list(self, i: int) -> BlockValues:
        _, starts, counts, _, _ = self._dir()
        first = self._first_blocks
        if first is None:  # each list's first block in the file's numbering: ~1 ms for the whole corpus
            blocks = -(-counts // POSITION_BLOCK)
            first = np.zeros(len(blocks) + 1, dtype=np.int64)
            np.cumsum(blocks, out=first[1:])
            self._verified = np.zeros(int(first[-1]), dtype=np.uint8)
            self._first_blocks = first
        verified = self._verified
        assert verified is not None
        at = int(first[i])
        return BlockValues(memoryview(self._data)[int(starts[i]): int(starts[i + 1])], int(counts[i]),
                           verified=verified[at: int(first[i + 1])])

    def items(self) -> Iterator[tuple[str, bytes, BlockValues]]:
        """Every list: (field name, term bytes, its positions), for ``vnsearch check`` and the merge."""
        for fieldname, tbytes, i in self._keys().split():
            yield fieldname, tbytes, self._list(i)


def open_positions(storage: Any, segment: Any) -> Positions | None:
    """The positions file of *segment* in *storage*, or None if it has none (formats 7 to 10)."""
    buf = segment_file_buffer(storage, segment, POSITIONS_EXT)
    return None if buf is None else Positions(buf)


class _ListState:
    """What a list's reads have learnt of it, shared by its views (:meth:`BlockValues.take`).

    Per block whether it is verified and laid out; per posting of a laid-out
    block (a row of :data:`POSITION_BLOCK` per block) its value's start in the
    list's bytes and its length. A block is laid out once, so the lists a
    query's proximity step reads again (the ranker keeps them) cost a gather,
    as format 10's did once laid end to end.
    """

    __slots__ = ("width", "ends", "crcs", "begins", "bounds", "sums", "laid", "starts", "lengths", "verified")

    def __init__(self, raw: memoryview, count: int, verified: npt.NDArray[np.uint8] | None = None) -> None:
        self.width, self.ends, self.crcs = read_position_list_head(raw, count)
        self.bounds: list[int] = [0, *self.ends.tolist()]  # each block's start and end, after the head
        self.begins = np.zeros(len(self.ends), dtype=np.int64)
        self.begins[1:] = self.ends[:-1]
        self.sums: list[int] = self.crcs.tolist()
        nb = len(self.ends)
        self.laid = np.zeros(nb, dtype=bool)
        self.starts = np.empty((nb, POSITION_BLOCK), dtype=np.int64)
        self.lengths = np.empty((nb, POSITION_BLOCK), dtype=np.int64)
        # Per block, 1 once verified: the file's memo of this list's blocks (Positions), which outlives
        # this state, or this list's own.
        self.verified = verified if verified is not None and len(verified) == nb else np.zeros(nb, dtype=np.uint8)


_ROW = np.arange(POSITION_BLOCK, dtype=np.int64)


class BlockValues(Sequence[bytes]):
    """One list of a positions file: its postings' encoded positions, read a block at a time.

    A block is verified (its CRC-32) and laid out (each value's start and
    length) the first time one of its postings is read, then remembered;
    :meth:`decode` gathers the asked postings' bytes from their blocks with
    numpy and decodes them in one go.
    """

    __slots__ = ("_raw", "_count", "_base", "_state", "_index", "_bytes")

    def __init__(self, raw: memoryview, count: int, index: Int64s | None = None,
                 state: _ListState | None = None, verified: npt.NDArray[np.uint8] | None = None) -> None:
        self._raw = raw
        self._count = count
        self._state = state if state is not None else _ListState(raw, count, verified)
        self._base = position_list_head_size(count)
        self._index = index  # the live postings' indices, where some were left out (deletions)
        self._bytes = np.frombuffer(raw, dtype=np.uint8)

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else self._count

    def _lay(self, blocks: Int64s) -> None:
        """Verify and lay out the blocks of *blocks* (sorted, distinct, none laid out yet)."""
        state, base, raw = self._state, self._base, self._raw
        bounds, sums, verified = state.bounds, state.sums, state.verified
        unverified = blocks[verified[blocks] == 0]
        for b in unverified.tolist():
            if zlib.crc32(raw[base + bounds[b]: base + bounds[b + 1]]) != sums[b]:
                raise ChecksumError("a block of the positions file fails its checksum")
        verified[unverified] = 1
        starts = state.begins[blocks]
        starts += base  # each block's first byte in the list
        size = 1 << state.width
        data = self._bytes
        tail = int(blocks[-1]) == len(state.ends) - 1  # the last block, whose row is not full
        last = self._count - (len(state.ends) - 1) * POSITION_BLOCK  # postings in the last block
        # Every block holds POSITION_BLOCK postings but the last: its row is read past its count (within the
        # list: its lengths, then at least as many bytes of values), and the surplus masked off.
        at = _ROW * size + starts[:, None]
        if int(starts[-1]) + POSITION_BLOCK * size > data.size:
            np.minimum(at, data.size - size, out=at)
        lengths = data[at].astype(np.int64)
        for j in range(1, size):
            lengths |= data[np.minimum(at + j, data.size - 1)].astype(np.int64) << (8 * j)
        if tail:
            lengths[-1, last:] = 0
        # Each value's start: the running sum of the lengths before it, from the end of its block's lengths.
        running = np.empty((len(blocks), POSITION_BLOCK + 1), dtype=np.int64)
        running[:, 0] = starts
        running[:, 0] += POSITION_BLOCK * size
        if tail:
            running[-1, 0] -= (POSITION_BLOCK - last) * size
        running[:, 1:] = lengths
        np.cumsum(running, axis=1, out=running)
        if (running[:, -1] != base + state.ends[blocks]).any():
            raise ValueError("a block of the positions file holds more or less than its length")
        state.starts[blocks] = running[:, :-1]
        state.lengths[blocks] = lengths
        state.laid[blocks] = True

    def _locate(self, raw_indices: Int64s) -> tuple[Int64s, Int64s]:
        """(start in the list's bytes, length) of each posting of *raw_indices* (its blocks verified)."""
        if raw_indices.size and not 0 <= int(raw_indices.min()) <= int(raw_indices.max()) < self._count:
            raise IndexError("posting index out of range")
        state = self._state
        blk = raw_indices // POSITION_BLOCK
        laid = state.laid[blk]
        if not laid.all():
            self._lay(_distinct(blk[~laid]))
        # Posting i sits in row i // POSITION_BLOCK, column i % POSITION_BLOCK: flat index i.
        return state.starts.reshape(-1)[raw_indices], state.lengths.reshape(-1)[raw_indices]

    def decode(self, indices: Sequence[int] | Int64s) -> tuple[Int64s, Int64s]:
        """``decode_many([self[i] for i in indices])``: (owner, position), touching only the postings' blocks."""
        lengths, data = self.gather(indices)
        return decode_buffer(lengths, data)

    def gather(self, indices: Sequence[int] | Int64s) -> tuple[Int64s, npt.NDArray[np.uint8]]:
        """The values of *indices*: their lengths and their bytes end to end, as :func:`decode_buffer` takes them.

        What :meth:`decode` decodes; the proximity step gathers every
        syllable's values first and decodes them all in one call.
        """
        raw = np.asarray(indices, dtype=np.int64)
        if not raw.size:
            return _EMPTY, _NO_BYTES
        if self._index is not None:
            raw = self._index[raw]
        begin, lengths = self._locate(raw)
        total = np.cumsum(lengths)
        size = int(total[-1])
        if not size:
            return lengths, _NO_BYTES
        total -= lengths  # each value's first byte in the result
        begin -= total
        picks = np.repeat(begin, lengths)
        picks += np.arange(size, dtype=np.int64)
        return lengths, self._bytes[picks]

    def arrays(self) -> tuple[Int64s, npt.NDArray[np.uint8]]:
        """Every live posting's value length and the values end to end (every block verified): for the merge."""
        if self._index is None and self._count <= POSITION_BLOCK:  # one block (most lists): read as it lies
            state, base = self._state, self._base
            end = base + state.bounds[1]
            if crc32(self._raw[base:end]) != state.sums[0]:
                raise ChecksumError("a block of the positions file fails its checksum")
            dtype = np.dtype(POSITION_WIDTHS[state.width])
            lengths = np.frombuffer(self._raw, dtype=dtype, count=self._count, offset=base).astype(np.int64)
            at = base + self._count * dtype.itemsize
            if at + int(lengths.sum()) != end:
                raise ValueError("a block of the positions file holds more or less than its length")
            return lengths, self._bytes[at:end]
        raw = self._index if self._index is not None else np.arange(self._count, dtype=np.int64)
        if not raw.size:
            return _EMPTY, np.zeros(0, dtype=np.uint8)
        begin, lengths = self._locate(raw)
        total = np.cumsum(lengths)
        if not total[-1]:
            return lengths, np.zeros(0, dtype=np.uint8)
        picks = np.repeat(begin - (total - lengths), lengths) + np.arange(int(total[-1]), dtype=np.int64)
        return lengths, self._bytes[picks]

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("posting index out of range")
        i %= n
        raw = self._index[i: i + 1] if self._index is not None else np.array([i], dtype=np.int64)
        begin, lengths = self._locate(raw)
        return bytes(self._raw[int(begin[0]): int(begin[0]) + int(lengths[0])])

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    def take(self, keep: npt.NDArray[np.bool_]) -> BlockValues:
        """The values at the positions where *keep* (a bool mask) is true."""
        where = np.flatnonzero(keep)
        index = self._index[where] if self._index is not None else where
        return BlockValues(self._raw, self._count, index, self._state)


class JoinedValues(Sequence[bytes]):
    """Several lists' values end to end (a term's parts in several segments), decoded part by part."""

    __slots__ = ("_parts", "_starts")

    def __init__(self, parts: Sequence[Any]) -> None:
        self._parts = list(parts)  # each a Sequence[bytes] with decode (Values, BlockValues)
        self._starts = np.zeros(len(self._parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in self._parts], out=self._starts[1:])

    def __len__(self) -> int:
        return int(self._starts[-1])

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("posting index out of range")
        i %= n
        p = int(np.searchsorted(self._starts, i, side="right")) - 1
        value: bytes = self._parts[p][i - int(self._starts[p])]
        return value

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    def gather(self, indices: Sequence[int] | Int64s) -> tuple[Int64s, npt.NDArray[np.uint8]]:
        """As :meth:`BlockValues.gather`: each part gathers its own postings, then the values are put in order."""
        raw = np.asarray(indices, dtype=np.int64)
        if not raw.size:
            return _EMPTY, _NO_BYTES
        part = np.searchsorted(self._starts, raw, side="right") - 1
        parts = _distinct(part).tolist()
        if len(parts) == 1:
            p = parts[0]
            lengths, data = self._parts[p].gather(raw - self._starts[p])
            return lengths, data
        mine, lengths_of, data_of = [], [], []
        for p in parts:
            which = np.flatnonzero(part == p)
            lengths, data = self._parts[p].gather(raw[which] - self._starts[p])
            mine.append(which)
            lengths_of.append(lengths)
            data_of.append(data)
        # The values as the parts gave them (part by part), then each moved to its place in *indices*.
        order = np.empty(raw.size, dtype=np.int64)
        order[np.concatenate(mine)] = np.arange(raw.size, dtype=np.int64)
        grouped = np.concatenate(lengths_of)
        data = np.concatenate(data_of)
        first = np.cumsum(grouped) - grouped
        lengths = grouped[order]
        total = np.cumsum(lengths)
        size = int(total[-1]) if total.size else 0
        if not size:
            return lengths, _NO_BYTES
        picks = np.repeat(first[order] - (total - lengths), lengths) + np.arange(size, dtype=np.int64)
        return lengths, data[picks]

    def decode(self, indices: Sequence[int] | Int64s) -> tuple[Int64s, Int64s]:
        """As :meth:`BlockValues.decode`: the parts' values gathered in the order asked, decoded in one call."""
        lengths, data = self.gather(indices)
        return decode_buffer(lengths, data)
