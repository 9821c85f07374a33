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

import functools
import itertools
from array import array
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_ushort

from vnsearch.store.codec import CompactTermInfo, write_block
from vnsearch.store.format import (
    IMPACT_FIELDS,
    LENGTH_TABLE,
    TERM_INFO_HEAD,
    inline_postings_bytes,
    pack_block,
)
from vnsearch.store.postings import length_bytes
from vnsearch.store.schema import EncodedTerms

__all__ = ["PostingBuffer", "flush_segment"]

# Postings held as Python objects before they are turned into arrays: bounds
# the buffer's memory between flushes (a run with one commit for everything).
COMPACT_EVERY = 400_000


class _FieldBuffer:
    """One field's postings of the segment being written."""

    __slots__ = ("terms", "docs", "counts", "weights", "values", "value_lengths", "pending", "chunks")

    def __init__(self) -> None:
        self.terms: list[bytes] = []
        self.docs: list[int] = []
        self.counts: list[int] = []
        self.weights = array("d")
        self.values = bytearray()
        self.value_lengths = array("I")
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

    def _field(self, fieldname: str) -> _FieldBuffer:
        buf = self._fields.get(fieldname)
        if buf is None:
            buf = self._fields[fieldname] = _FieldBuffer()
            self._vocab[fieldname] = {}
            self._next[fieldname] = 0
        return buf

    def add(self, fieldname: str, docnum: int, postings: EncodedTerms) -> None:
        """One document's postings of *fieldname* (terms in any order)."""
        n = len(postings)
        if not n:
            return
        buf = self._field(fieldname)
        buf.terms.extend(postings.terms)
        buf.docs.append(docnum)
        buf.counts.append(n)
        buf.weights.extend(postings.weights)
        buf.values += postings.value_bytes
        buf.value_lengths.extend(postings.value_lengths)
        buf.pending += n
        if buf.pending >= COMPACT_EVERY:
            self._compact(fieldname)

    def add_items(self, fieldname: str, items: Iterable[tuple[Any, bytes, int, float, bytes | None]]) -> None:
        """Postings as Whoosh's pool yields them (``(fieldname, term, document, weight, value)``)."""
        buf = self._field(fieldname)
        for docnum, group in itertools.groupby(sorted(items, key=itemgetter(2)), key=itemgetter(2)):
            postings = list(group)
            buf.terms.extend(t for _, t, _, _, _ in postings)
            buf.docs.append(docnum)
            buf.counts.append(len(postings))
            buf.weights.extend(w for _, _, _, w, _ in postings)
            for _, _, _, _, v in postings:
                buf.values += v or b""
                buf.value_lengths.append(len(v or b""))
            buf.pending += len(postings)
        self._compact(fieldname)

    def _compact(self, fieldname: str) -> None:
        buf = self._fields[fieldname]
        if not buf.pending:
            return
        n = buf.pending
        vocab = self._vocab[fieldname]
        start = self._next[fieldname]
        ids = np.fromiter(map(vocab.setdefault, buf.terms, itertools.count(start)), dtype=np.int64, count=n)
        self._next[fieldname] = start + n
        docs = np.repeat(np.asarray(buf.docs, dtype=np.int64), buf.counts)
        # Doubles as given: Whoosh's posting writer keeps them as float32 (an array of
        # "f") but its blocks' largest weights as given (see _write_field).
        weights = np.frombuffer(buf.weights, dtype=np.float64).copy()
        vlens = np.frombuffer(buf.value_lengths, dtype=f"u{buf.value_lengths.itemsize}").astype(np.int64)
        vdata = np.frombuffer(buf.values, dtype=np.uint8)
        buf.chunks.append((ids, docs, weights, vlens, vdata))
        buf.terms = []
        buf.docs = []
        buf.counts = []
        buf.weights = array("d")
        buf.values = bytearray()
        buf.value_lengths = array("I")
        buf.pending = 0

    def sorted_field(self, fieldname: str, with_values: bool) -> _Sorted:
        """*fieldname*'s postings sorted by (term bytes, document), and the buffer let go of them."""
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
            picks = np.repeat(starts[order] - voffsets[:-1], vlens) + np.arange(int(voffsets[-1]), dtype=np.int64)
            vdata = data[picks]
        del chunks[:]
        edges = np.flatnonzero(np.diff(ranks)) + 1
        edges = np.concatenate(([0], edges, [len(ranks)])).astype(np.int64)
        # Each term once, in byte order (ranks are dense: every term has postings).
        return _Sorted(keys, edges, docs, weights, vlens, vdata, voffsets)


class _Sorted:
    """One field's postings sorted by (term, document): term k's are ``edges[k]:edges[k+1]``."""

    __slots__ = ("terms", "edges", "docs", "weights", "vlens", "vdata", "voffsets")

    def __init__(self, terms: list[bytes], edges: np.ndarray, docs: np.ndarray, weights: np.ndarray,
                 vlens: np.ndarray | None, vdata: np.ndarray | None, voffsets: np.ndarray | None) -> None:
        self.terms = terms
        self.edges = edges
        self.docs = docs
        self.weights = weights
        self.vlens = vlens
        self.vdata = vdata
        self.voffsets = voffsets


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
            impacts = getattr(fieldwriter, "impacts", None)  # format 10: the ranked fields' lists again
            record = functools.partial(impacts.add_many, fieldname) \
                if impacts is not None and fieldname in IMPACT_FIELDS else None
            positions = getattr(fieldwriter, "positions", None)  # format 11: positions apart, in blocks
            keep = functools.partial(positions.add, fieldname) if positions is not None and with_values else None
            _write_field(codec, postfile, table, prefix, buffer.sorted_field(fieldname, with_values), lengths,
                         _write_list, record, keep)
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


def _write_field(codec: Any, postfile: Any, table: Any, prefix: bytes, field: _Sorted,
                 lengths: np.ndarray | None, write_list: Any, record: Any = None, keep: Any = None) -> None:
    """Every term of one field: short lists inlined in plain Python, longer ones by *write_list* (the merge's).

    *record* (format 10, a ranked field): called once with the terms, their
    lists' edges, the ids, the float32 weights and whether each list has
    values, for the impacts file (:meth:`~vnsearch.store.impacts.ImpactsWriter.add_many`).
    *keep* (format 11, a field with values): called with the term's bytes, its
    values' lengths and the values end to end, for each list not inlined,
    whose blocks then carry none (the positions file holds them).
    """
    limit, inline = codec.block_limit, codec.inline_limit
    docs, weights = field.docs, field.weights
    # As Whoosh's posting writer: weights kept as float32, the largest of a block as given.
    weights32 = weights.astype(np.float32)
    edges = field.edges.tolist()
    doc_list = docs.tolist()
    w32_list = weights32.tolist()
    len_list = lengths[docs].tolist() if lengths is not None and len(lengths) else None
    values: bytes | None = None
    voffsets: list[int] = []
    if field.vdata is not None and field.voffsets is not None:
        values = field.vdata.tobytes()
        voffsets = field.voffsets.tolist()
    vlens, vdata = field.vlens, field.vdata
    small = min(limit, _SMALL - 1)
    add = table.add
    if record is not None:
        if values is not None:
            bounds = field.voffsets[field.edges]  # type: ignore[index]
            with_values = bounds[1:] > bounds[:-1]
        else:
            with_values = np.zeros(len(field.terms), dtype=bool)
        record(field.terms, field.edges, docs, weights32, with_values)
    for k, tbytes in enumerate(field.terms):
        a, b = edges[k], edges[k + 1]
        if b - a > inline and keep is not None and values is not None and vlens is not None:
            keep(tbytes, vlens[a:b], values[voffsets[a]: voffsets[b]])
            vals_apart = True
        else:
            vals_apart = False
        if inline < b - a <= small:
            _write_small(codec, postfile, doc_list[a:b], w32_list[a:b], float(weights[a:b].max()),
                         [values[voffsets[i]: voffsets[i + 1]] for i in range(a, b)]
                         if values is not None and not vals_apart else None,
                         len_list[a:b] if len_list is not None else None, prefix + tbytes, add)
            continue
        if b - a > inline:
            info = write_list(codec, postfile, [(docs[a:b], weights32[a:b],
                                                 vlens[a:b] if vlens is not None else None,
                                                 vdata[voffsets[a]: voffsets[b]] if vdata is not None else None)],
                              values is not None and not vals_apart, lengths,
                              weight=_whoosh_weight(weights32[a:b], limit), maxweights=weights[a:b])
            add(prefix + tbytes, info.to_bytes())
            continue
        ids = doc_list[a:b]
        ws = w32_list[a:b]
        vals: tuple[bytes, ...] = ()
        if values is not None:
            vals = tuple(values[voffsets[i]: voffsets[i + 1]] for i in range(a, b))
            if not any(vals):
                vals = ()
        add(prefix + tbytes, inline_term_info(ids, ws, sum(ws), len_list[a:b] if len_list is not None else None, vals))


def inline_term_info(ids: list[int], weights: list[float], total: float, lbytes: list[int] | None,
                     vals: tuple[bytes, ...]) -> bytes:
    """An inlined list's term info: CompactTermInfo.to_bytes of what :func:`~vnsearch.store.merge._write_list`
    would set, without numpy.

    *weights* are float32 values and *total* their sum as the caller's path
    sums them; *lbytes* the documents' length bytes (the head keeps the
    smallest non-zero one and the largest); *vals* empty when no posting has one.
    """
    minbyte = maxbyte = 0
    if lbytes is not None:
        maxbyte = max(lbytes)
        nonzero = [x for x in lbytes if x]
        minbyte = min(nonzero) if nonzero else 0
    head = TERM_INFO_HEAD.pack(True, total, len(ids), minbyte, maxbyte, max(weights), ids[0], ids[-1])
    return head + inline_postings_bytes(tuple(ids), weights, vals)  # a tuple, as set_inlined keeps it


_SMALL = 64  # lists shorter than this (one block) are packed in plain Python, as pack_block does


def _write_small(codec: Any, postfile: Any, ids: list[int], weights: list[float], maxweight: float,
                 values: list[bytes] | None, lbytes: list[int] | None, key: bytes, add: Any,
                 total: float | None = None) -> None:
    """A list of one block, not inlined: what :func:`vnsearch.store.merge._write_list` writes, without numpy.

    *weights* are float32 values; *maxweight* the block's largest as given
    (Whoosh's posting writer records that one in the block's frame);
    *total* their sum when not summed as Whoosh does (in order, as doubles).
    """
    n = len(ids)
    minlength, maxlength = None, 0
    minbyte = maxbyte = 0  # the frame's: of all postings, zeros included (as _write_list)
    if lbytes is not None:
        minbyte, maxbyte = min(lbytes), max(lbytes)
        if maxbyte:
            minlength = int(LENGTH_TABLE[min(x for x in lbytes if x)])
            maxlength = int(LENGTH_TABLE[maxbyte])
    weight = sum(weights) if total is None else total
    info = CompactTermInfo(weight=weight, df=n, minlength=minlength, maxlength=maxlength,
                           maxweight=max(weights), minid=ids[0], maxid=ids[-1])
    start = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    block = pack_block(ids, weights, values, codec.deflate_level)
    write_block(postfile, block, n, ids[-1], maxweight, 0, minbyte, maxbyte, True, codec.checksums)
    info.set_extent(start, postfile.tell() - start)
    add(key, info.to_bytes())
