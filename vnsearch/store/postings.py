"""Reading Whoosh posting lists in bulk, as numpy arrays.

Whoosh's matchers walk postings one at a time in Python, which is what makes
stock Whoosh slow on common words. vnsearch's codec stores postings in blocks
of plain arrays (see :func:`vnsearch.store.format.pack_block`); reading a block at a
time straight into numpy and scoring with numpy keeps a query to a few
milliseconds. Positions are cut out of their blocks lazily, and decoded only for the
documents whose phrase or proximity we check.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import TermNotFound

from vnsearch.store.format import (
    IMPACT_FIELDS,
    LENGTH_TABLE,
    PackedValues,
    block_arrays,
    block_frames,
    block_values,
    decode_buffer,
    decode_many,
    decode_positions,
)
from vnsearch.store.impacts import Impacts, open_impacts
from vnsearch.store.positions import BlockValues, JoinedValues, Positions, open_positions

__all__ = ["Postings", "Values", "EMPTY", "decode_positions", "decode_many", "decode_buffer", "read_postings",
           "field_lengths", "Segment", "segments_of", "LENGTH_TABLE"]



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

    reader: Any  # whoosh.reading.SegmentReader (untyped)
    base: int
    doc_count: int  # including deleted documents
    deleted: np.ndarray | None  # global doc numbers of deleted documents
    impacts: Impacts | None = None  # format 10: its impacts file (vnsearch.store.impacts)
    positions: Positions | None = None  # format 11: its positions file (vnsearch.store.positions)


def segments_of(reader: Any) -> list[Segment]:
    """The leaf segments of *reader* (none for an index with no documents yet)."""
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    result = []
    for leaf, base in leaves:
        if not hasattr(leaf, "_terms"):  # Whoosh's EmptyReader
            continue
        deleted = None
        if leaf.has_deletions():
            deleted = np.fromiter(sorted(leaf.deleted_docs_set), dtype=np.int64) + base
        result.append(Segment(leaf, base, leaf.doc_count_all(), deleted, open_impacts(leaf._storage, leaf.segment()),
                              open_positions(leaf._storage, leaf.segment())))
    return result


class Values(Sequence[bytes]):
    """A posting list's encoded positions, parallel to its documents.

    Kept as the blocks they were read in (see :class:`vnsearch.store.format.PackedValues`):
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
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else self._starts[-1]

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if self._index is not None:
            i = int(self._index[i])
        elif i < 0:
            i += self._starts[-1]
        b = bisect_right(self._starts, i) - 1
        return self._chunks[b][i - self._starts[b]]

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    def decode(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``decode_many([self[i] for i in indices])``, the values gathered with numpy, not one by one.

        Proximity and phrase checks decode thousands of values per query;
        fetching each as a bytes object cost more than decoding them all. The
        first call lays every block's values end to end in one array (kept
        with the list in the ranker's cache), so later calls are a gather.
        """
        lengths, data = self.gather(indices)
        return decode_buffer(lengths, data)

    def gather(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The values of *indices*: their lengths and their bytes end to end (what :meth:`decode` decodes)."""
        raw = np.asarray(indices, dtype=np.int64)
        if not raw.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
        if self._index is not None:
            raw = self._index[raw]
        data, value_starts, value_lengths, chunk_firsts, chunk_shifts = self._layout()
        if chunk_shifts.size == 1:
            begin = value_starts[raw] + chunk_shifts[0]
        else:
            begin = value_starts[raw] + chunk_shifts[np.searchsorted(chunk_firsts, raw, side="right") - 1]
        lengths = value_lengths[raw]
        total = np.cumsum(lengths)
        if not total[-1]:
            return lengths, np.zeros(0, dtype=np.uint8)
        picks = np.repeat(begin - (total - lengths), lengths) + np.arange(int(total[-1]), dtype=np.int64)
        return lengths, data[picks]

    def _layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every block's values laid end to end, to gather any of them in one go (built once, then kept).

        (bytes as uint8, each value's start, each value's length, each block's
        first value, each block's shift): value *i* of block *b* starts at
        ``starts[i] + shifts[b]``. Packed blocks are joined as stored, their
        lengths summed in one pass over the whole list, so the cost is a few
        numpy calls per list, not per block (cutting each of a common
        syllable's 30 blocks up was most of the cost of its positions).
        """
        got = self._flat
        if got is not None:
            return got
        packed = [c.packed() if isinstance(c, PackedValues) else None for c in self._chunks]
        if all(p is not None for p in packed):
            kept = [p for p in packed if p is not None and p[1].size]
            if not kept:
                empty = np.zeros(0, dtype=np.int64)
                got = (np.zeros(0, dtype=np.uint8), empty, empty, np.zeros(1, dtype=np.int64),
                       np.zeros(1, dtype=np.int64))
            else:
                counts = np.array([p[1].size for p in kept], dtype=np.int64)
                sizes = np.array([len(p[0]) for p in kept], dtype=np.int64)
                heads = np.array([p[1].nbytes for p in kept], dtype=np.int64)
                lengths = np.concatenate([p[1] for p in kept], dtype=np.int64)
                starts = np.zeros(lengths.size, dtype=np.int64)
                np.cumsum(lengths[:-1], out=starts[1:])
                firsts = np.zeros(len(kept), dtype=np.int64)
                np.cumsum(counts[:-1], out=firsts[1:])
                bases = np.zeros(len(kept), dtype=np.int64)
                np.cumsum(sizes[:-1], out=bases[1:])
                data = np.frombuffer(b"".join(p[0] for p in kept), dtype=np.uint8)
                got = (data, starts, lengths, firsts, bases + heads - starts[firsts])
        else:  # inlined postings, W3's pickled blocks, deflated values: each block cut up
            datas: list[np.ndarray] = []
            begins: list[np.ndarray] = []
            ends: list[np.ndarray] = []
            base = 0
            for chunk in self._chunks:
                data, offsets = value_arrays(chunk)
                datas.append(data)
                begins.append(offsets[:-1] + base)
                ends.append(offsets[1:] + base)
                base += data.size
            all_begins = np.concatenate(begins)
            got = (datas[0] if len(datas) == 1 else np.concatenate(datas), all_begins,
                   np.concatenate(ends) - all_begins, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
        self._flat = got
        return got

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


def leaf_blocks(terms: Any, terminfo: Any
                ) -> Iterator[tuple[int, np.ndarray, np.ndarray | float | None, Sequence[bytes] | None]]:
    """One segment's blocks of a list not inlined: (count, gaps, weights, values) as block_arrays gives them."""
    checked = getattr(terms._codec, "checksums", False)
    for count, data in block_frames(terms._postfile, terminfo.extent()[0], checked):
        yield (count, *block_arrays(data))


def _read_leaf(terms: Any, terminfo: Any) -> tuple[np.ndarray, np.ndarray, Values]:
    """One segment's postings of a term, from its term info: ids, freqs, values."""
    if terminfo.is_inlined():
        # Short lists are stored inline with the term (see vnsearch.store.codec).
        ids, freqs, values = terminfo.inlined_postings()
        values = [v or b"" for v in values] if values and any(values) else ()
        return (np.asarray(ids, dtype=np.int64), np.asarray(freqs, dtype=np.float32),
                Values([values]) if values else NO_VALUES)
    ids_parts: list[np.ndarray] = []
    freq_parts: list[np.ndarray] = []
    chunks: list[Sequence[bytes]] = []
    for count, gaps, weights, values in leaf_blocks(terms, terminfo):
        ids_parts.append(np.cumsum(gaps, dtype=np.int64))
        freq_parts.append(block_weights(count, weights))
        if values is not None:
            chunks.append(values)
    ids = ids_parts[0] if len(ids_parts) == 1 else np.concatenate(ids_parts)
    freqs = freq_parts[0] if len(freq_parts) == 1 else np.concatenate(freq_parts)
    return ids, freqs, Values(chunks) if chunks else NO_VALUES


def _leaf_values(terms: Any, terminfo: Any) -> Values:
    """One segment's values of a term (as :func:`_read_leaf` gives them), its blocks' heads left deflated."""
    if terminfo.is_inlined():
        return _read_leaf(terms, terminfo)[2]
    checked = getattr(terms._codec, "checksums", False)
    chunks = []
    for _, data in block_frames(terms._postfile, terminfo.extent()[0], checked):
        values = block_values(data)
        if values is not None:
            chunks.append(values)
    return Values(chunks) if chunks else NO_VALUES


def block_weights(count: int, weights: np.ndarray | float | None) -> np.ndarray:
    """A block's weights as float32, one per posting (block_arrays abbreviates them)."""
    if weights is None:
        return np.ones(count, dtype=np.float32)
    if isinstance(weights, float):
        return np.full(count, weights, dtype=np.float32)
    return weights.astype(np.float32)


def read_postings(segments: Sequence[Segment], fieldname: str, term: str) -> Postings:
    """All live postings of *term* in *fieldname*, across segments.

    From a segment's impacts file where it has one (format 10, the ranker's
    fields): documents and weights as arrays, positions read from ``.pst``
    only if asked for (:class:`LazyValues`); else from Whoosh's blocks.
    """
    btext = term.encode("utf-8")
    docs_parts: list[np.ndarray] = []
    freq_parts: list[np.ndarray] = []
    value_parts: list[Values | BlockValues | _LazyPart] = []
    lazy = False
    for seg in segments:
        if seg.impacts is not None and fieldname in IMPACT_FIELDS:
            got = seg.impacts.read(fieldname, btext)
            if got is None:
                continue
            ids, freqs, has_values = got
            if seg.base:  # a fresh array already: the first segment's numbers need no copy
                ids = ids + seg.base
            keep = None
            if seg.deleted is not None:
                keep = ~np.isin(ids, seg.deleted)
                ids, freqs = ids[keep], freqs[keep]
            if has_values and len(ids):
                value_parts.append(_LazyPart(seg, fieldname, btext, keep, len(ids)))
                lazy = True
        else:
            terms = seg.reader._terms
            try:
                terminfo = terms.term_info(fieldname, btext)
            except TermNotFound:
                continue
            vals: Values | BlockValues
            ids, freqs, vals = _read_leaf(terms, terminfo)
            if seg.positions is not None and not terminfo.is_inlined() and not len(vals):
                # Format 11: a list written as blocks has its positions in the positions file.
                apart = seg.positions.values(fieldname, btext)
                if apart is not None:
                    if len(apart) != len(ids):
                        raise ValueError(f"{fieldname}:{term!r} has {len(apart)} positions, {len(ids)} postings")
                    vals = apart
            ids = ids + seg.base
            if seg.deleted is not None:
                keep = ~np.isin(ids, seg.deleted)
                ids, freqs = ids[keep], freqs[keep]
                vals = vals.take(keep) if len(vals) else vals
            if len(vals):
                value_parts.append(vals)
        docs_parts.append(ids)
        freq_parts.append(freqs)
    if not docs_parts:
        return EMPTY
    values: Sequence[bytes]
    if lazy:
        values = LazyValues(value_parts)
    elif all(isinstance(v, Values) for v in value_parts):
        values = Values.concat([v for v in value_parts if isinstance(v, Values)]) if value_parts else NO_VALUES
    else:
        eager = [v for v in value_parts if not isinstance(v, _LazyPart)]  # format 11's, or several formats'
        values = JoinedValues(eager) if len(eager) > 1 else eager[0]
    if len(docs_parts) == 1:
        return Postings(docs_parts[0], freq_parts[0], values)
    return Postings(np.concatenate(docs_parts), np.concatenate(freq_parts), values)


@dataclass
class _LazyPart:
    """One segment's positions of a list read from its impacts file: read when first asked for.

    From the segment's positions file (format 11) when the list is there, else
    (an inlined list, a segment of format 10) from its term info or ``.pst``.
    """

    seg: Segment
    fieldname: str
    btext: bytes
    keep: np.ndarray | None  # live postings, where the segment has deletions
    count: int  # live postings

    def load(self) -> Values | BlockValues:
        vals: Values | BlockValues | None = None
        if self.seg.positions is not None:  # format 11: a list written as blocks has its positions there
            vals = self.seg.positions.values(self.fieldname, self.btext)
        if vals is None:  # an inlined list, or a segment of format 10
            terms = self.seg.reader._terms
            vals = _leaf_values(terms, terms.term_info(self.fieldname, self.btext))
        if self.keep is not None and len(vals):
            vals = vals.take(self.keep)
        if len(vals) != self.count:
            raise ValueError(f"{self.fieldname}:{self.btext!r} has {len(vals)} positions, "
                             f"{self.count} postings in the impacts file")
        return vals


class LazyValues(Sequence[bytes]):
    """A list's positions, read from the segments' positions files (or ``.pst``) on first use.

    The impacts file gives a list's documents and weights; most lists a query
    reads are only scored, so their positions are not read at all. Those of
    the syllables a phrase or the proximity step checks are read the first
    time :meth:`decode` or an item is asked for: in format 11 only the blocks
    of the postings asked for (:class:`~vnsearch.store.positions.BlockValues`).
    """

    __slots__ = ("_parts", "_count", "_loaded")

    def __init__(self, parts: Sequence[Values | BlockValues | _LazyPart]) -> None:
        self._parts = list(parts)
        self._count = sum(p.count if isinstance(p, _LazyPart) else len(p) for p in self._parts)
        self._loaded: Values | BlockValues | JoinedValues | None = None

    def _values(self) -> Values | BlockValues | JoinedValues:
        got = self._loaded
        if got is None:
            loaded = [p.load() if isinstance(p, _LazyPart) else p for p in self._parts]
            if len(loaded) == 1:
                got = loaded[0]
            elif all(isinstance(p, Values) for p in loaded):
                got = Values.concat([p for p in loaded if isinstance(p, Values)])
            else:  # format 11: parts read from positions files, or of segments of several formats
                got = JoinedValues(loaded)
            self._loaded = got
        return got

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        return self._values()[i]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._values())

    def decode(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`Values.decode`."""
        return self._values().decode(indices)

    def gather(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`Values.gather`."""
        return self._values().gather(indices)


def length_bytes(perdoc: Any, fieldname: str, count: int) -> np.ndarray:
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
