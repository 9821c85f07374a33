"""Reading Whoosh posting lists in bulk, as numpy arrays.

Whoosh's matchers walk postings one at a time in Python, which is what makes
stock Whoosh slow on common words. vnsearch's codec stores postings in blocks
of plain arrays (see :func:`vnsearch.store.codec.pack_block`); reading a block at a
time straight into numpy and scoring with numpy keeps a query to a few
milliseconds. Positions are cut out of their blocks lazily, and decoded only for the
documents whose phrase or proximity we check.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from vnsearch.store.codec import PackedValues, block_arrays
from vnsearch.store.schema import ZONE_OFFSET, CompactPositions

__all__ = ["Postings", "Values", "EMPTY", "decode_positions", "decode_many", "read_postings", "field_lengths", "Segment", "segments_of"]

decode_positions = CompactPositions().decode_positions
LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)  # byte -> length


@dataclass
class Postings:
    """One term's postings in one field: global doc numbers, frequencies, positions."""

    docs: np.ndarray  # int64, sorted
    freqs: np.ndarray  # float32
    values: Sequence[bytes]  # encoded positions, parallel to docs


EMPTY = Postings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), ())


@dataclass
class Segment:
    """A leaf reader of the index and the offset of its first document."""

    reader: object
    base: int
    doc_count: int  # including deleted documents
    deleted: np.ndarray | None  # global doc numbers of deleted documents


def segments_of(reader) -> list[Segment]:
    """The leaf segments of *reader* (none for an index with no documents yet)."""
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    result = []
    for leaf, base in leaves:
        if not hasattr(leaf, "_terms"):  # Whoosh's EmptyReader
            continue
        deleted = None
        if leaf.has_deletions():
            deleted = np.fromiter(sorted(leaf.deleted_docs_set), dtype=np.int64) + base
        result.append(Segment(leaf, base, leaf.doc_count_all(), deleted))
    return result


class Values(Sequence[bytes]):
    """A posting list's encoded positions, parallel to its documents.

    Kept as the blocks they were read in (see :class:`vnsearch.store.codec.PackedValues`):
    a block's positions are cut up (inflated first, in an index that deflated
    them) the first time one of them is asked for, so reading a list for its
    documents and weights costs nothing for them.
    """

    __slots__ = ("_chunks", "_starts", "_index", "_flat")

    def __init__(self, chunks: Sequence[Sequence[bytes]] = (), index: np.ndarray | None = None) -> None:
        self._chunks = list(chunks)
        self._starts = [0]
        for chunk in self._chunks:
            self._starts.append(self._starts[-1] + len(chunk))
        self._index = index
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else self._starts[-1]

    def __getitem__(self, i: int) -> bytes:
        if self._index is not None:
            i = int(self._index[i])
        elif i < 0:
            i += self._starts[-1]
        b = bisect_right(self._starts, i) - 1
        return self._chunks[b][i - self._starts[b]]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def decode(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``decode_many([self[i] for i in indices])``, the values gathered with numpy, not one by one.

        Proximity and phrase checks decode thousands of values per query;
        fetching each as a bytes object cost more than decoding them all. The
        first call lays every block's values end to end in one array (kept
        with the list in the ranker's cache), so later calls are a gather.
        """
        raw = np.asarray(indices, dtype=np.int64)
        if not raw.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self._index is not None:
            raw = self._index[raw]
        if self._flat is None:
            datas, starts, ends, base = [], [], [], 0
            for chunk in self._chunks:
                data, offsets = value_arrays(chunk)
                datas.append(data)
                starts.append(offsets[:-1] + base)
                ends.append(offsets[1:] + base)
                base += data.size
            self._flat = (datas[0] if len(datas) == 1 else np.concatenate(datas),
                          np.concatenate(starts), np.concatenate(ends))
        data, starts, ends = self._flat
        begin = starts[raw]
        lengths = ends[raw] - begin
        total = np.cumsum(lengths)
        picks = np.repeat(begin - (total - lengths), lengths) + np.arange(int(total[-1]), dtype=np.int64)
        return decode_buffer(lengths, data[picks])

    def take(self, keep: np.ndarray) -> Values:
        """The values at the positions where *keep* (a bool mask) is true."""
        where = np.flatnonzero(keep)
        index = self._index[where] if self._index is not None else where
        return Values(self._chunks, index)

    @staticmethod
    def concat(parts: Sequence[Values]) -> Values:
        if len(parts) == 1:
            return parts[0]
        chunks, indexes, offset = [], [], 0
        for part in parts:
            chunks.extend(part._chunks)
            raw = part._starts[-1]
            indexes.append((part._index if part._index is not None else np.arange(raw)) + offset)
            offset += raw
        index = None
        if any(part._index is not None for part in parts):
            index = np.concatenate(indexes)
        return Values(chunks, index)


NO_VALUES = Values()


def decode_many(values: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Every position of every value, as (owner, position): owner is the value's index.

    :class:`vnsearch.store.schema.CompactPositions` decoded with numpy, for the
    phrase check over thousands of candidates at once: the varints are
    summed from their 7-bit groups, then a zero (a zone marker) makes the
    next number the new zone's head (position in zone << 2 | zones skipped),
    and every other number is a gap: positions are running sums restarted at
    each head and each value.
    """
    if not values:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return decode_buffer(lengths, np.frombuffer(b"".join(values), dtype=np.uint8))


def value_arrays(chunk: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """A block's values as one uint8 array and each value's offset in it (one more at the end).

    A packed block's values come as they are stored (behind their lengths, so
    the first offset is not 0); a plain sequence (inlined postings, W3's
    pickled blocks) is joined, None counting as no bytes.
    """
    if isinstance(chunk, PackedValues):
        return chunk.arrays()
    lengths = np.fromiter((len(v) if v else 0 for v in chunk), dtype=np.int64, count=len(chunk))
    offsets = np.zeros(len(chunk) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.frombuffer(b"".join(v or b"" for v in chunk), dtype=np.uint8), offsets


def decode_buffer(lengths: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`decode_many` of values given as their lengths and their bytes end to end (uint8)."""
    if not lengths.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    buf = data.astype(np.int64)
    first_byte = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=first_byte[1:])
    owner = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    if buf.max() < 0x80:  # every varint one byte (short gaps, early zone heads)
        numbers, starts = buf, first_byte
    else:
        begins = np.ones(len(buf), dtype=bool)
        begins[1:] = buf[:-1] < 0x80  # a varint begins after a byte without the high bit
        begin_at = np.flatnonzero(begins)
        shift = 7 * (np.arange(len(buf)) - begin_at[np.cumsum(begins) - 1])
        numbers = np.add.reduceat((buf & 0x7F) << shift, begin_at)
        owner = owner[begin_at]
        starts = np.searchsorted(begin_at, first_byte)
    marker = numbers == 0
    head = np.zeros(len(numbers), dtype=bool)
    head[1:] = marker[:-1]
    step = np.where(head, numbers >> 2, numbers)
    step[starts] -= 1  # a value's first position is its gap from -1
    restart = head.copy()
    restart[starts] = True
    total = np.cumsum(step)
    first = np.flatnonzero(restart)
    within = total - (total[first] - step[first])[np.cumsum(restart) - 1]
    skipped = np.where(head, numbers & 3, 0)
    zones = np.cumsum(skipped)
    zones -= (zones[starts] - skipped[starts])[owner]
    keep = ~marker
    return owner[keep], (zones * ZONE_OFFSET + within)[keep]


def leaf_blocks(terms, terminfo) -> Iterator[tuple[int, np.ndarray, np.ndarray | float | None, Sequence[bytes] | None]]:
    """One segment's blocks of a list not inlined: (count, gaps, weights, values) as block_arrays gives them."""
    postfile = terms._postfile
    # (The extent's length is unusable: W3TermInfo.from_bytes leaves it a
    # tuple. The last block says it is the last.)
    pos = terminfo.extent()[0] + 4  # after the W3 header tag
    while True:
        # W3's block framing: a length (negative for the last block), the
        # pickled block info, then the data.
        size = postfile.get_int(pos)
        postfile.seek(pos + 4)
        count, _, _, compression = postfile.read_pickle()[:4]
        data_at = postfile.tell()
        pos += 4 + abs(size)
        data = postfile.get(data_at, pos - data_at)
        if compression:
            data = zlib.decompress(data)
        yield (count, *block_arrays(data))
        if size < 0:
            break


def _read_leaf(terms, terminfo):
    """One segment's postings of a term, from its term info: ids, freqs, values."""
    if terminfo.is_inlined():
        # Short lists are stored inline with the term (see vnsearch.store.codec).
        ids, freqs, values = terminfo.inlined_postings()
        values = [v or b"" for v in values] if values and any(values) else ()
        return (np.asarray(ids, dtype=np.int64), np.asarray(freqs, dtype=np.float32),
                Values([values]) if values else NO_VALUES)
    ids_parts: list[np.ndarray] = []
    freq_parts: list[np.ndarray] = []
    chunks: list = []
    for count, gaps, weights, values in leaf_blocks(terms, terminfo):
        ids_parts.append(np.cumsum(gaps, dtype=np.int64))
        freq_parts.append(block_weights(count, weights))
        if values is not None:
            chunks.append(values)
    ids = ids_parts[0] if len(ids_parts) == 1 else np.concatenate(ids_parts)
    freqs = freq_parts[0] if len(freq_parts) == 1 else np.concatenate(freq_parts)
    return ids, freqs, Values(chunks) if chunks else NO_VALUES


def block_weights(count: int, weights: np.ndarray | float | None) -> np.ndarray:
    """A block's weights as float32, one per posting (block_arrays abbreviates them)."""
    if weights is None:
        return np.ones(count, dtype=np.float32)
    if isinstance(weights, float):
        return np.full(count, weights, dtype=np.float32)
    return weights.astype(np.float32)


def read_postings(segments: Sequence[Segment], fieldname: str, term: str) -> Postings:
    """All live postings of *term* in *fieldname*, across segments."""
    btext = term.encode("utf-8")
    docs_parts, freq_parts, value_parts = [], [], []
    for seg in segments:
        terms = seg.reader._terms
        try:
            terminfo = terms.term_info(fieldname, btext)
        except TermNotFound:
            continue
        ids, freqs, vals = _read_leaf(terms, terminfo)
        ids = ids + seg.base
        if seg.deleted is not None:
            keep = ~np.isin(ids, seg.deleted)
            ids, freqs = ids[keep], freqs[keep]
            vals = vals.take(keep) if len(vals) else vals
        docs_parts.append(ids)
        freq_parts.append(freqs)
        if len(vals):
            value_parts.append(vals)
    if not docs_parts:
        return EMPTY
    values = Values.concat(value_parts) if value_parts else NO_VALUES
    if len(docs_parts) == 1:
        return Postings(docs_parts[0], freq_parts[0], values)
    return Postings(np.concatenate(docs_parts), np.concatenate(freq_parts), values)


def length_bytes(perdoc, fieldname: str, count: int) -> np.ndarray:
    """Each of *count* documents' length byte in *fieldname*, as Whoosh stores it (0 where none is written)."""
    out = np.zeros(count, dtype=np.uint8)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is not None:
        written = min(column._count, count)  # trailing zero lengths are not written
        out[:written] = np.frombuffer(column._dbfile.get(column._basepos, written), dtype=np.uint8)
    return out


def field_lengths(segments: Sequence[Segment], fieldname: str, total: int) -> np.ndarray:
    """Every document's length in *fieldname* (Whoosh stores it as one byte)."""
    out = np.zeros(total, dtype=np.float32)
    for seg in segments:
        out[seg.base: seg.base + seg.doc_count] = LENGTH_TABLE[length_bytes(seg.reader._perdoc, fieldname,
                                                                            seg.doc_count)]
    return out
