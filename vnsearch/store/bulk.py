"""Writing a segment's pre-encoded postings per term, with numpy, instead of one posting at a time.

Why: the single parent process of an indexing run writes every posting the
workers produce. Whoosh's posting pool keeps each as a Python tuple, sorts
them all (a Python sort of half a million tuples per thousand articles) and
hands them to the codec one ``add`` call each, with a length look-up per
posting: that was about half of the parent's time, and on two cores the
parent's time is time the workers do not segment.

:class:`PostingBuffer` keeps the postings of the pre-analysed fields
(:class:`~vnsearch.store.schema.EncodedTerms`) as columns instead: the terms
turned into integers by one dictionary look-up each (C speed), weights,
document numbers and position bytes as numpy arrays. When the segment is
flushed, each field is sorted by (term, document) with numpy and every
term's list is written whole by :func:`vnsearch.store.merge._write_list`, the
writer the segment merge uses, so a flushed segment holds the same bytes as
Whoosh's path writes (``tests/test_bulk.py`` compares them). Postings that
reach Whoosh's own pool for these fields anyway (a replaced article, a
merge of Whoosh's) are taken over from it at the flush.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

import numpy as np
from whoosh.system import pack_ushort

from vnsearch.store.postings import length_bytes

__all__ = ["PostingBuffer", "flush_segment"]

# Postings held as Python objects before they are turned into arrays: bounds
# the buffer's memory between flushes (a run with one commit for everything).
COMPACT_EVERY = 400_000


class _FieldBuffer:
    """One field's postings of the segment being written."""

    __slots__ = ("pending_terms", "pending_docs", "pending_counts", "pending_weights", "pending_values",
                 "pending", "chunks")

    def __init__(self) -> None:
        self.pending_terms: list[bytes] = []
        self.pending_docs: list[int] = []
        self.pending_counts: list[int] = []
        self.pending_weights: list[float] = []
        self.pending_values: list[bytes] = []
        self.pending = 0
        # (term ids, documents, weights, value lengths, value bytes) of compacted postings
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []


class PostingBuffer:
    """The pre-encoded postings of one segment, kept as columns until the flush.

    Terms are numbered by a dictionary per field (ids from a counter: a
    term seen again keeps its first id), so a segment's memory is its
    distinct terms plus a few numbers per posting.
    """

    def __init__(self) -> None:
        self._fields: dict[str, _FieldBuffer] = {}
        self._vocab: dict[str, dict[bytes, int]] = {}
        self._next: dict[str, int] = {}

    def fieldnames(self) -> list[str]:
        return [name for name, buf in self._fields.items() if buf.pending or buf.chunks]

    def __contains__(self, fieldname: object) -> bool:
        return fieldname in self._fields

    def add(self, fieldname: str, docnum: int, postings: list[tuple[bytes, int, float, bytes]]) -> None:
        """One document's postings of *fieldname* (``(term bytes, count, weight, value bytes)``, any order)."""
        if not postings:
            return
        buf = self._fields.get(fieldname)
        if buf is None:
            buf = self._fields[fieldname] = _FieldBuffer()
            self._vocab[fieldname] = {}
            self._next[fieldname] = 0
        terms, _, weights, values = zip(*postings)
        buf.pending_terms.extend(terms)
        buf.pending_docs.append(docnum)
        buf.pending_counts.append(len(terms))
        buf.pending_weights.extend(weights)
        buf.pending_values.extend(values)
        buf.pending += len(terms)
        if buf.pending >= COMPACT_EVERY:
            self._compact(fieldname)

    def add_items(self, fieldname: str, items: Iterable[tuple[Any, bytes, int, float, bytes | None]]) -> None:
        """Postings as Whoosh's pool yields them (``(fieldname, term, document, weight, value)``)."""
        for docnum, group in itertools.groupby(sorted(items, key=itemgetter(2)), key=itemgetter(2)):
            self.add(fieldname, docnum, [(t, 0, w, v or b"") for _, t, _, w, v in group])

    def _compact(self, fieldname: str) -> None:
        buf = self._fields[fieldname]
        if not buf.pending:
            return
        n = buf.pending
        vocab = self._vocab[fieldname]
        start = self._next[fieldname]
        ids = np.fromiter(map(vocab.setdefault, buf.pending_terms, itertools.count(start)), dtype=np.int64,
                          count=n)
        self._next[fieldname] = start + n
        docs = np.repeat(np.asarray(buf.pending_docs, dtype=np.int64), buf.pending_counts)
        # Doubles as given: Whoosh's posting writer keeps them as float32 (an array of
        # "f") but its blocks' largest weights as given (see sorted_lists).
        weights = np.asarray(buf.pending_weights, dtype=np.float64)
        vlens = np.fromiter(map(len, buf.pending_values), dtype=np.int64, count=n)
        vdata = np.frombuffer(b"".join(buf.pending_values), dtype=np.uint8)
        buf.chunks.append((ids, docs, weights, vlens, vdata))
        buf.pending_terms = []
        buf.pending_docs = []
        buf.pending_counts = []
        buf.pending_weights = []
        buf.pending_values = []
        buf.pending = 0

    def sorted_lists(self, fieldname: str, with_values: bool
                     ) -> Iterator[tuple[bytes, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """Each term of *fieldname* in byte order: (term, documents, weights, value lengths, value bytes)."""
        self._compact(fieldname)
        buf = self._fields.pop(fieldname)
        vocab = self._vocab.pop(fieldname)
        total = self._next.pop(fieldname)
        chunks = buf.chunks
        ids = np.concatenate([c[0] for c in chunks])
        docs = np.concatenate([c[1] for c in chunks])
        weights = np.concatenate([c[2] for c in chunks])
        keys = sorted(vocab)
        rank = np.zeros(total, dtype=np.int64)
        rank[np.fromiter(map(vocab.__getitem__, keys), dtype=np.int64, count=len(keys))] = np.arange(len(keys))
        ranks = rank[ids]
        order = np.lexsort((docs, ranks))
        ranks, docs, weights = ranks[order], docs[order], weights[order]
        vlens: np.ndarray | None = None
        vdata: np.ndarray | None = None
        voffsets: np.ndarray | None = None
        if with_values:
            lens = np.concatenate([c[3] for c in chunks])
            data = np.concatenate([c[4] for c in chunks])
            starts = np.zeros(len(lens), dtype=np.int64)
            np.cumsum(lens[:-1], out=starts[1:])
            vlens = lens[order]
            voffsets = np.zeros(len(vlens) + 1, dtype=np.int64)
            np.cumsum(vlens, out=voffsets[1:])
            total_bytes = int(voffsets[-1])
            picks = np.repeat(starts[order] - voffsets[:-1], vlens) + np.arange(total_bytes, dtype=np.int64)
            vdata = data[picks]
        del chunks[:], ids, order
        bounds = np.flatnonzero(np.diff(ranks)) + 1
        edges = np.concatenate(([0], bounds, [len(ranks)])).tolist()
        firsts = ranks[edges[:-1]].tolist() if len(ranks) else []
        for k, term_rank in enumerate(firsts):
            a, b = edges[k], edges[k + 1]
            if with_values:
                assert vlens is not None and vdata is not None and voffsets is not None
                yield (keys[term_rank], docs[a:b], weights[a:b], vlens[a:b],
                       vdata[int(voffsets[a]): int(voffsets[b])])
            else:
                yield keys[term_rank], docs[a:b], weights[a:b], None, None


def flush_segment(writer: Any, buffer: PostingBuffer) -> None:
    """``SegmentWriter._flush_segment`` with *buffer*'s fields written per term.

    The other fields' postings (ids, facet keys, dates: one or two per
    article) take Whoosh's path from its pool; every field goes to the
    codec's field writer in name order, as Whoosh's would.
    """
    from vnsearch.store.merge import _write_list  # merge imports indexing, which imports this module

    writer.perdocwriter.close()
    codec = writer.codec
    pdr = writer.per_document_reader() if codec.length_stats else None
    schema = writer.schema
    fieldwriter = writer.fieldwriter
    doccount = writer.docnum
    by_field: dict[str, list[tuple[Any, bytes, int, float, bytes | None]]] = {}
    for fieldname, group in itertools.groupby(writer.pool.iter_postings(), key=itemgetter(0)):
        items = list(group)
        if fieldname in buffer:
            buffer.add_items(fieldname, items)
        else:
            by_field[fieldname] = items
    names = sorted(set(by_field) | set(buffer.fieldnames()))
    try:
        for fieldname in names:
            if fieldname in by_field:
                fieldwriter.add_postings(schema, pdr, iter(by_field.pop(fieldname)))
                continue
            field = schema[fieldname]
            with_values = field.format.fixed_value_size() != 0
            lengths = length_bytes(pdr, fieldname, doccount) if pdr is not None else None
            fieldwriter.start_field(fieldname, field)
            prefix = pack_ushort(fieldwriter._fieldid)
            postfile, table = fieldwriter._postfile, fieldwriter._tindex
            limit = codec.block_limit
            for tbytes, docs, weights, vlens, vdata in buffer.sorted_lists(fieldname, with_values):
                # As Whoosh's posting writer: weights kept as float32, the largest of a block as given.
                weights32 = weights.astype(np.float32)
                info = _write_list(codec, postfile, [(docs, weights32, vlens, vdata)], with_values, lengths,
                                   weight=_whoosh_weight(weights32, limit), maxweights=weights)
                table.add(prefix + tbytes, info.to_bytes())
            fieldwriter.finish_field()
        fieldwriter.close()
    finally:
        if pdr is not None:
            pdr.close()


def _whoosh_weight(weights: np.ndarray, limit: int) -> float:
    """A term's total weight summed as Whoosh's term info sums it: each block's in order, then the blocks'.

    The term table stores it as a float32, but the sums of doubles are
    rounded first: a sum in another order could round to another float32.
    """
    if len(weights) <= limit:
        return float(sum(weights.tolist()))
    total = 0.0
    for a in range(0, len(weights), limit):
        total += sum(weights[a:a + limit].tolist())
    return total
