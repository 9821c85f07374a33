"""Reading Whoosh posting lists in bulk, as numpy arrays.

Whoosh's matchers walk postings one at a time in Python, which is what makes
stock Whoosh slow on common words. The W3 codec stores postings in blocks of
pickled arrays; reading a block at a time and scoring with numpy keeps a query
to a few milliseconds. Positions are decoded lazily, only for the handful of
documents whose proximity we check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

from .schema import CompactPositions

__all__ = ["Postings", "EMPTY", "decode_positions", "read_postings", "field_lengths", "Segment", "segments_of"]

decode_positions = CompactPositions().decode_positions
_LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)


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


def _read_leaf(leaf, fieldname: str, btext: bytes):
    fmt = leaf.schema[fieldname].format
    matcher = leaf._terms.matcher(fieldname, btext, fmt)
    if not isinstance(matcher, W3LeafMatcher):
        # Short lists are stored inline with the term (see vnsearch.codec): walk
        # them posting by posting.
        ids, freqs, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            freqs.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        if not any(values):
            values = []  # a field without positions: as a block of it reads (no values)
        return np.asarray(ids, dtype=np.int64), np.asarray(freqs, dtype=np.float32), values
    ids_parts: list[np.ndarray] = []
    freq_parts: list[np.ndarray] = []
    values: list[bytes] = []
    while True:
        if matcher._data is None:
            matcher._read_data()
        # The block's ids, weights and values as W3 stores them, decoded with
        # numpy rather than Whoosh's per-posting generators (_read_ids,
        # _read_weights): ids as deltas unless byte ids, weights None (all
        # 1.0), one float (all alike) or one per posting.
        raw_ids, raw_weights, raw_values = matcher._data[0], matcher._data[1], matcher._data[2]
        ids = np.asarray(raw_ids, dtype=np.int64)
        if not matcher._byteids:
            ids = np.cumsum(ids)
        ids_parts.append(ids)
        if raw_weights is None:
            freq_parts.append(np.ones(len(ids), dtype=np.float32))
        elif isinstance(raw_weights, float):
            freq_parts.append(np.full(len(ids), raw_weights, dtype=np.float32))
        else:
            freq_parts.append(np.asarray(raw_weights, dtype=np.float32))
        if raw_values is not None:
            values.extend(raw_values)
        if matcher._lastblock:
            break
        matcher._next_block()
    return np.concatenate(ids_parts), np.concatenate(freq_parts), values


def read_postings(segments: Sequence[Segment], fieldname: str, term: str) -> Postings:
    """All live postings of *term* in *fieldname*, across segments."""
    btext = term.encode("utf-8")
    docs_parts, freq_parts, values = [], [], []
    for seg in segments:
        if (fieldname, btext) not in seg.reader._terms:
            continue
        ids, freqs, vals = _read_leaf(seg.reader, fieldname, btext)
        ids = ids + seg.base
        if seg.deleted is not None:
            keep = ~np.isin(ids, seg.deleted)
            ids, freqs = ids[keep], freqs[keep]
            vals = [v for v, k in zip(vals, keep) if k] if vals else vals
        docs_parts.append(ids)
        freq_parts.append(freqs)
        values.extend(vals)
    if not docs_parts:
        return EMPTY
    if len(docs_parts) == 1:
        return Postings(docs_parts[0], freq_parts[0], values)
    return Postings(np.concatenate(docs_parts), np.concatenate(freq_parts), values)


def field_lengths(segments: Sequence[Segment], fieldname: str, total: int) -> np.ndarray:
    """Every document's length in *fieldname* (Whoosh stores it as one byte)."""
    out = np.zeros(total, dtype=np.float32)
    for seg in segments:
        perdoc = seg.reader._perdoc
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            continue
        count = min(column._count, seg.doc_count)  # trailing zero lengths are not written
        codes = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
        out[seg.base: seg.base + count] = _LENGTH_TABLE[codes]
    return out
