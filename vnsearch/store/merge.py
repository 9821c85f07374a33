"""Merging index segments by whole posting lists, as arrays.

Why: every commit of a bulk load writes a segment, and a query pays for
each segment it reads (a term lookup per query syllable per segment, then a
read of each part of each list): on the whole corpus, 17 segments cost a
query ~10 of its 35 ms. Whoosh's own merge re-adds every posting of the
merged segments to its posting pool, one Python tuple each, sorted and
spilled to disk: ~3.9 ms per article, which an indexing run cannot afford.

Here a merge reads each term's list from each segment a block at a time
into numpy (ids, weights, and the positions left as the bytes they are),
renumbers the documents, and writes the list again in blocks of the codec's
size; the documents' stored fields are copied as the bytes they are.
Nothing is decoded per posting, so merging costs a fraction of indexing.

:func:`merge_policy` is a Whoosh ``mergetype``: which segments to merge at
a commit, and the merge itself.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from itertools import groupby
from typing import Any

import numpy as np
from whoosh import columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, _lenfield
from whoosh.reading import SegmentReader
from whoosh.system import pack_ushort

from vnsearch.store.bulk import _SMALL, _write_small, inline_term_info
from vnsearch.store.codec import STORED, CheckedCodec, CompactCodec, CompactTermInfo, write_block
from vnsearch.store.format import (
    IMPACT_FIELDS,
    LENGTH_TABLE,
    checked_stored,
    pack_arrays,
    pack_stored,
)
from vnsearch.store.impacts import ImpactsBatch
from vnsearch.store.indexing import _plain_schema
from vnsearch.store.positions import BlockValues, open_positions
from vnsearch.store.postings import block_weights, leaf_blocks, length_bytes, value_arrays

__all__ = ["merge_segments", "merge_policy", "choose", "plan", "MAX_SEGMENTS"]

# Segments an index may hold between the commits of one run before the
# smallest are merged (64,000 articles at a commit per 1,000); a run's last
# commit merges as :func:`choose` says.
MAX_SEGMENTS = 64
_LENGTHS = LENGTH_TABLE.astype(np.int64)  # byte -> length, for exact sums
_F32 = struct.Struct("<f")
_PLAIN_INLINE = True  # short lists merged by _inline_merged (tests compare it with the numpy path)
# One block of one segment's list, renumbered: ids, weights, value lengths and value bytes (None without values).
_Part = tuple[np.ndarray, np.ndarray, "np.ndarray | None", "np.ndarray | None"]


def choose(counts: Sequence[int], fresh: Collection[int] = ()) -> list[int]:
    """Which segments (by index into *counts*, their live documents) to merge.

    The *fresh* ones (those an indexing run wrote: a run merges what it
    wrote), then the smallest of the others, then each next larger one while
    the ones taken so far hold at least half as many documents: a bulk
    load's equal segments all merge into one, while a few articles added to
    a large index merge only with the other small segments. Each document
    is thus rewritten about log2(n) times over the life of an index, never
    once per commit.
    """
    taken = sorted(fresh)
    total = sum(counts[i] for i in taken)
    for i in sorted((i for i in range(len(counts)) if i not in fresh), key=lambda i: counts[i]):
        if taken and total * 2 < counts[i]:
            break
        taken.append(i)
        total += counts[i]
    return taken if len(taken) > 1 else []


def plan(segments: Sequence[Any], older: Collection[str] | None = None) -> tuple[list[Any], list[Any]]:
    """The segments with live documents, and those of them :func:`choose` would merge, in index order.

    With *older* (segment ids), every other segment is fresh (see :func:`merge_policy`).
    """
    live = [s for s in segments if s.doc_count() > 0]
    fresh = [i for i, s in enumerate(live) if older is not None and s.segment_id() not in older]
    picked = choose([s.doc_count() for s in live], fresh)
    return live, [live[i] for i in sorted(picked)]


def merge_policy(final: bool = True, older: Collection[str] | None = None) -> Callable[[Any, Any], list[Any]]:
    """A Whoosh ``mergetype``: segments without live documents dropped, others merged as :func:`choose` says.

    *final* False (a commit in the middle of a run) merges only when the
    index holds more than :data:`MAX_SEGMENTS` segments, so a long bulk load
    does not rewrite what it has just written at every commit. With *older*
    (the ids of the segments there were before an indexing run), every
    other segment counts as fresh: the run's last commit merges them all.
    """
    def policy(writer: Any, segments: Any) -> list[Any]:
        live, chosen = plan(segments, older)
        if not chosen or (not final and len(live) <= MAX_SEGMENTS):
            return live
        if not mergeable(writer.schema, chosen):
            # Something this merge does not copy (term vectors, spelling words,
            # another codec's fixed-size values): Whoosh's own merge.
            for seg in chosen:
                writer.add_reader(SegmentReader(writer.storage, writer.schema, seg))
            return [s for s in live if s not in chosen]
        codec = writer.codec if isinstance(writer.codec, CompactCodec) else None
        merged = merge_segments(writer.storage, writer.schema, writer.indexname, chosen, codec)
        first = live.index(chosen[0])
        rest = [s for s in live if s not in chosen]
        # Where the first of them was: a bulk load's segments stand together,
        # so its documents keep their order (ties in score keep theirs).
        return rest[:first] + [merged] + rest[first:]
    return policy


def mergeable(schema: Any, segments: Sequence[Any]) -> bool:
    """Whether :func:`merge_segments` copies everything these segments hold."""
    if not _plain_schema(schema):
        return False
    for _, field in schema.items():
        size = field.format.fixed_value_size() if field.format else 0
        if size is not None and size > 0:
            return False
    return all(isinstance(getattr(s, "codec", lambda: None)(), W3Codec) for s in segments)  # CompactCodec is one


def merge_segments(storage: Any, schema: Any, indexname: str, segments: Sequence[Any],
                   codec: CompactCodec | None = None) -> Any:
    """One new segment holding the live documents of *segments*, in their order.

    The caller commits it in their place (a table of contents that lists it
    instead of them); until then nothing a reader sees has changed.
    """
    codec = codec or CheckedCodec()
    readers = [SegmentReader(storage, schema, seg) for seg in segments]
    try:
        segment = codec.new_segment(storage, indexname)
        docmaps, lengths, count = _copy_documents(codec, storage, schema, segment, readers)
        _merge_postings(codec, storage, schema, segment, readers, docmaps, lengths)
    finally:
        for reader in readers:
            reader.close()
    segment.set_doc_count(count)
    if segment.should_assemble():
        segment.create_compound_file(storage)
    return segment


def _copy_documents(codec: Any, storage: Any, schema: Any, segment: Any, readers: Sequence[Any]
                    ) -> tuple[list[np.ndarray], dict[str, np.ndarray], int]:
    """Stored fields, lengths and columns of the live documents; returns per reader old -> new numbers (-1: gone)."""
    writer = codec.per_document_writer(storage, segment)
    stored = writer._colwriters["_stored"]
    scorable = [name for name, field in schema.items() if field.scorable]
    lengths: dict[str, list[np.ndarray]] = {name: [] for name in scorable}
    totals = {name: 0 for name in scorable}
    docmaps = []
    n = 0
    for reader in readers:
        count = reader.doc_count_all()
        live = np.ones(count, dtype=bool)
        if reader.has_deletions():
            live[sorted(reader.deleted_docs_set)] = False
        docmap = np.full(count, -1, dtype=np.int64)
        docmap[live] = np.arange(n, n + int(live.sum()))
        docmaps.append(docmap)
        own = {name: length_bytes(reader._perdoc, name, count) for name in scorable}
        for name in scorable:
            lengths[name].append(own[name][live])
            # The exact total less what the deleted documents held (as Whoosh
            # keeps it: one byte per document, so the deleted part is near).
            totals[name] += reader.field_length(name) - int(_LENGTHS[own[name][~live]].sum())
        compact = isinstance(reader.segment().codec(), CompactCodec)
        raw = reader._perdoc._cached_reader("_stored", STORED) if compact else None
        cols = {}
        for name, field in schema.items():
            if field.column_type and reader.has_column(name):
                column = reader.column_reader(name, field.column_type)
                if isinstance(column, columns.TranslatingColumnReader):
                    column = column.raw_column()
                cols[name] = (field.column_type, column)
        for doc in np.flatnonzero(live).tolist():
            writer.start_doc(n)
            if compact:
                data = columns.VarBytesColumn.Reader.__getitem__(raw, doc) if raw is not None else b""
                if data and getattr(codec, "checksums", False):  # verified, or packed again with a checksum
                    data = checked_stored(data)
            else:  # written by Whoosh's own codec: packed again the vnsearch way
                fields = reader.stored_fields(doc)
                data = pack_stored(fields) if fields else b""
            if data:
                columns.VarBytesColumn.Writer.add(stored, n, data)
            for name in scorable:
                byte = int(own[name][doc])
                if byte:
                    writer.add_column_value(_lenfield(name), LENGTHS_COLUMN, byte)
            for name, (coltype, column) in cols.items():
                writer.add_column_value(name, coltype, column[doc])
            writer.finish_doc()
            n += 1
    writer.close()
    segment._fieldlengths = totals
    merged = {name: np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
              for name, parts in lengths.items()}
    return docmaps, merged, n


def _field_terms(reader: Any, index: int, fieldname: str) -> Iterator[tuple[bytes, int, Any]]:
    """(term bytes, reader index, term info) of one field of one segment, in order."""
    terms = reader._terms
    if fieldname not in terms._fieldmap:
        return
    for (name, tbytes), terminfo in terms.items_from(fieldname, b""):
        if name != fieldname:
            break
        yield tbytes, index, terminfo


def _list_parts(reader: Any, terminfo: Any, docmap: np.ndarray, with_values: bool,
                apart: BlockValues | None = None) -> list[_Part]:
    """One segment's postings of a term, renumbered, deleted ones left out.

    A list of (ids, weights, value lengths, value bytes as uint8), one per
    block; the values are None for a field without them. *apart*: the
    list's values from the segment's positions file (format 11), whose
    ``.pst`` blocks carry none.
    """
    parts: list[_Part] = []
    blocks: Iterable[tuple[int, np.ndarray, np.ndarray, Any]]
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        blocks = [(len(ids), np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32), values)]
    else:
        blocks = ((count, np.cumsum(gaps, dtype=np.int64), block_weights(count, weights), values)
                  for count, gaps, weights, values in leaf_blocks(reader._terms, terminfo))
    kept_lengths: Any = None
    kept_data: Any = None
    kept_offsets: Any = None
    done = 0  # postings of the list before the block
    if with_values and apart is not None and not terminfo.is_inlined():
        kept_lengths, kept_data = apart.arrays()
        kept_offsets = np.zeros(len(kept_lengths) + 1, dtype=np.int64)
        np.cumsum(kept_lengths, out=kept_offsets[1:])
    for count, ids, weights, values in blocks:
        # (Any: set together with with_values, which mypy cannot follow.)
        lengths: Any = None
        data: Any = None
        if with_values and kept_lengths is not None:
            if done + count > len(kept_lengths):
                raise ValueError(f"the positions file holds {len(kept_lengths)} postings of a list of more")
            lengths = kept_lengths[done: done + count]
            data = kept_data[kept_offsets[done]: kept_offsets[done + count]]
            done += count
        elif with_values:
            if values is not None and len(values) == count:
                data, offsets = value_arrays(values)
                data, lengths = data[offsets[0]: offsets[-1]], np.diff(offsets)
            else:  # a block whose postings had no values
                lengths, data = np.zeros(count, dtype=np.int64), np.zeros(0, dtype=np.uint8)
        new = docmap[ids]
        keep = new >= 0
        if not keep.all():
            if with_values:
                data, lengths = data[np.repeat(keep, lengths)], lengths[keep]
            new, weights = new[keep], weights[keep]
        if len(new):
            parts.append((new, weights, lengths, data))
    return parts


def _merge_postings(codec: Any, storage: Any, schema: Any, segment: Any, readers: Sequence[Any],
                    docmaps: Sequence[np.ndarray], lengths: dict[str, np.ndarray]) -> None:
    writer = codec.field_writer(storage, segment)
    postfile, table = writer._postfile, writer._tindex
    names = sorted({name for r in readers for name in r._terms._fieldmap if name in schema})
    # Format 11: each segment's positions file (None for older segments), and the new one's writer.
    sources = [open_positions(r._storage, r.segment()) for r in readers]
    positions = writer.positions
    for fieldname in names:
        field = schema[fieldname]
        with_values = field.format.fixed_value_size() != 0
        field_lengths = lengths.get(fieldname)
        writer.start_field(fieldname, field)
        prefix = pack_ushort(writer._fieldid)
        merged = heapq.merge(*(_field_terms(r, i, fieldname) for i, r in enumerate(readers)))
        maps: list[list[int]] | None = None
        small = min(codec.block_limit, _SMALL - 1)
        length_list = field_lengths.tolist() if field_lengths is not None and len(field_lengths) else None
        # Format 10: the ranked fields' lists go to the impacts file too, whichever path writes them.
        impacts = ImpactsBatch(writer.impacts, fieldname) \
            if writer.impacts is not None and fieldname in IMPACT_FIELDS else None
        for tbytes, group in groupby(merged, key=lambda e: e[0]):
            entries = list(group)
            if (_PLAIN_INLINE and all(terminfo.is_inlined() for _, _, terminfo in entries)
                    and sum(terminfo.doc_frequency() for _, _, terminfo in entries) <= codec.inline_limit):
                # Most terms of a segment occur in a document or two: merged in plain Python.
                if maps is None:
                    maps = [docmap.tolist() for docmap in docmaps]
                got = _inline_merged(entries, maps, with_values, length_list)
                if got is not None:
                    value, ids, weights, has_values = got
                    table.add(prefix + tbytes, value)
                    if impacts is not None:
                        impacts.add(tbytes, ids, weights, has_values)
                continue
            parts = []
            for _, i, terminfo in entries:
                apart = None
                if with_values and sources[i] is not None and not terminfo.is_inlined():
                    apart = sources[i].values(fieldname, tbytes)  # type: ignore[union-attr]
                    if apart is None:
                        raise ValueError(f"{fieldname}:{tbytes!r} is missing from a positions file")
                parts.extend(_list_parts(readers[i], terminfo, docmaps[i], with_values, apart))
            if not parts:
                continue
            n = sum(len(p[0]) for p in parts)
            values_here = with_values
            if with_values and positions is not None and n > codec.inline_limit:
                # Format 11: the list's positions go to the positions file, its blocks carry none.
                positions.add(fieldname, tbytes, np.concatenate([p[2] for p in parts]),
                              np.concatenate([p[3] for p in parts]).tobytes())
                values_here = False
            if _PLAIN_INLINE and codec.inline_limit < n <= small:
                _small_merged(codec, postfile, parts, values_here, length_list, prefix + tbytes, table.add)
            else:
                info = _write_list(codec, postfile, parts, values_here, field_lengths)
                table.add(prefix + tbytes, info.to_bytes())
            if impacts is not None:
                impacts.add(tbytes, np.concatenate([p[0] for p in parts]),
                            np.concatenate([p[1] for p in parts]),
                            with_values and any(p[2] is not None and bool(p[2].any()) for p in parts))
        if impacts is not None:
            impacts.flush()
        writer.finish_field()
    writer.close()


def _small_merged(codec: CompactCodec, postfile: Any, parts: Sequence[_Part], with_values: bool,
                  field_lengths: list[int] | None, key: bytes, add: Any) -> None:
    """A merged list of one block (and more than the inline limit): :func:`_write_list`'s bytes, packed in Python."""
    if len(parts) == 1:
        ids_arr, weights_arr = parts[0][0], parts[0][1]
    else:
        ids_arr = np.concatenate([p[0] for p in parts])
        weights_arr = np.concatenate([p[1] for p in parts])
    ids = ids_arr.tolist()
    values: list[bytes] | None = None
    if with_values:
        values = []
        for _, _, lengths, data in parts:
            assert lengths is not None and data is not None  # with values, a part has them
            raw = data.tobytes()
            pos = 0
            for n in lengths.tolist():
                values.append(raw[pos: pos + n])
                pos += n
    weights = weights_arr.tolist()
    _write_small(codec, postfile, ids, weights, max(weights), values,
                 [field_lengths[d] for d in ids] if field_lengths is not None else None, key, add,
                 total=float(weights_arr.sum()))


def _f32(x: float) -> float:
    return float(_F32.unpack(_F32.pack(x))[0])


def _inline_merged(entries: Sequence[tuple[bytes, int, Any]], maps: Sequence[list[int]], with_values: bool,
                   field_lengths: list[int] | None) -> tuple[bytes, list[int], list[float], bool] | None:
    """The term info :func:`_write_list` writes for inlined lists merged into one still inlined, without numpy.

    Weights are taken as float32 and summed as numpy sums a few float32s
    (in order, rounding each step); None if every posting was deleted.
    Returns the term info with the merged ids, weights and whether any
    posting has values (what the impacts file records of the list).
    """
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    for _, i, terminfo in entries:
        docmap = maps[i]
        pids, pweights, pvalues = terminfo.inlined_postings()
        if with_values and len(pvalues) != len(pids):
            pvalues = (b"",) * len(pids)
        for k, doc in enumerate(pids):
            new = docmap[doc]
            if new < 0:
                continue
            ids.append(new)
            weights.append(_f32(pweights[k]))
            if with_values:
                values.append(pvalues[k] or b"")
    if not ids:
        return None
    total = 0.0
    for w in weights:
        total = _f32(total + w)
    vals = tuple(values) if with_values and any(values) else ()
    lbytes = [field_lengths[d] for d in ids] if field_lengths is not None else None
    return inline_term_info(ids, weights, total, lbytes, vals), ids, weights, bool(vals)


def _write_list(codec: CompactCodec, postfile: Any, parts: Sequence[_Part], with_values: bool,
                field_lengths: np.ndarray | None, weight: float | None = None,
                maxweights: np.ndarray | None = None) -> CompactTermInfo:
    """One term's merged postings, inlined or as blocks in *postfile*; returns its term info.

    *weight*: the term's total weight, when the caller sums it otherwise than
    numpy does; *maxweights*: the weights whose block maxima the frames
    record, when not the postings' own (see :func:`vnsearch.store.bulk.flush_segment`).
    """
    ids = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
    weights = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
    lengths: Any = None  # set together with with_values, as data and offsets are
    data: Any = None
    if with_values:
        lengths = np.concatenate([p[2] for p in parts]) if len(parts) > 1 else parts[0][2]
        data = np.concatenate([p[3] for p in parts]) if len(parts) > 1 else parts[0][3]
    n = len(ids)
    bytes_ = field_lengths[ids] if field_lengths is not None and len(field_lengths) else None
    minlength, maxlength = None, 0  # Whoosh's defaults: no lengths known
    if bytes_ is not None and bytes_.any():
        minlength = int(_LENGTHS[bytes_[bytes_ > 0].min()])
        maxlength = int(_LENGTHS[bytes_.max()])
    total = float(weights.sum()) if weight is None else weight
    info = CompactTermInfo(weight=total, df=n, minlength=minlength, maxlength=maxlength,
                           maxweight=float(weights.max()), minid=int(ids[0]), maxid=int(ids[-1]))
    offsets: Any = None
    if with_values:
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
    if n <= codec.inline_limit:
        values = tuple(data[offsets[k]: offsets[k + 1]].tobytes() for k in range(n)) if with_values else ()
        if with_values and not any(values):
            values = ()
        info.set_inlined(ids.tolist(), weights.tolist(), values)
        return info
    start = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    limit = codec.block_limit
    for a in range(0, n, limit):
        b = min(a + limit, n)
        block = pack_arrays(ids[a:b], weights[a:b], lengths[a:b] if with_values else None,
                            data[offsets[a]: offsets[b]].tobytes() if with_values else None, codec.deflate_level)
        if bytes_ is not None:
            minbyte, maxbyte = int(bytes_[a:b].min()), int(bytes_[a:b].max())
        else:
            minbyte = maxbyte = 0
        # Deflate level 0: the block deflates its parts itself (see pack_block).
        top = float((weights if maxweights is None else maxweights)[a:b].max())
        write_block(postfile, block, b - a, int(ids[b - 1]), top, 0, minbyte, maxbyte, b == n,
                    codec.checksums)
    info.set_extent(start, postfile.tell() - start)
    return info
