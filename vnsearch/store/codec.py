"""A smaller on-disk form of Whoosh's W3 codec: same files, same readers.

Whoosh's W3 codec spent most of an index's bytes on overhead rather than
postings or text (on the first 5,000 news articles, an index 4.3 times the
size of their raw text), in the ways this module removes (1.6 times, with
:class:`vnsearch.store.schema.CompactPositions`):

* Posting blocks are pickled with protocol 2, in which every ``bytes`` value
  (one per posting of a positional field: the encoded positions) becomes a
  call to ``_codecs.encode`` on a latin-1 string — about a dozen bytes of
  opcodes around a few bytes of positions — and reading one means building a
  Python object per posting. Blocks here are plain arrays instead
  (:func:`~vnsearch.store.format.pack_block`): document-number gaps and weights as 1, 2 or 4-byte
  integers, deflated together; the positions apart and as they are (deflate
  saved a fifth of them, and inflating them was a tenth of a query), so that
  a query reading a list for its documents and weights never touches them. numpy
  reads both without a Python loop, so a block holds 1,024 postings rather
  than 128. Whoosh's own matcher reads them too (:class:`CompactLeafMatcher`).
* Every posting list, even a single posting, gets a block of its own in the
  postings file (a header, a pickled block-info tuple, a deflated pickle:
  ~60 bytes). Whoosh can keep short lists inline in the term dictionary
  instead, but its writer calls a method that does not exist
  (``set_inline``), so the option is unusable there; it is fixed here, and
  lists of up to :data:`INLINE_LIMIT` postings are inlined. Most terms of a
  news index (names, numbers, rare segmented words) occur in one or two
  articles.
* A tiny block is stored deflated even when deflate makes it larger.
* The term dictionary is an on-disk hash with ~36 bytes of hash slots and
  headers per term; it becomes a sorted table in deflated blocks
  (:class:`~vnsearch.store.format.TermTableWriter`), about a quarter of the size.
* Stored fields (the article's original text, for snippets, ``get`` and
  ``similar``) are deflated per document with a preset dictionary of common
  Vietnamese news text (:class:`StoredColumn`): ~17% smaller. Readers see
  the same dicts as before, through Whoosh's ``stored_fields``.

Posting lists and term infos keep the W3 framing (header tag, block length,
pickled block info), so Whoosh's matcher walks them. Every byte layout named
here (packed blocks, the framing, inline postings, the term table, stored
fields) is defined in :mod:`vnsearch.store.format`, with the format version;
this module is the Whoosh plumbing that calls it, and keeps the old names
(``pack_block``, ``pack_stored`` …) importable from here. Each segment records its
codec in the table of contents, so it is always read with the codec that wrote
it, and a merge rewrites the segments it merges with this one.
"""

from __future__ import annotations

import struct
import zlib
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from whoosh import columns
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from vnsearch.store.format import (
    BLOCK_LIMIT,
    BLOCK_TAG,
    COMPRESSION,
    IMPACT_FIELDS,
    IMPACTS_EXT,
    INLINE_LIMIT,
    TERM_BLOCK_BYTES,
    TERM_INFO_HEAD,
    WEIGHT_AND_DF,
    ChecksumError,
    PackedValues,
    TermTableWriter,
    block_arrays,
    compact_weights,
    decode_term_block,
    frame_block,
    inline_postings_bytes,
    length_byte,
    pack_arrays,
    pack_block,
    pack_stored,
    pickle_compact,
    read_frame,
    read_term_table_trailer,
    term_table_checked,
    unpack_block,
    unpack_stored,
)
from vnsearch.store.impacts import ImpactsWriter
from vnsearch.store.positions import POSITIONS_EXT, Positions, PositionsWriter, open_positions
from vnsearch.store.unpickle import loads

__all__ = ["CompactCodec", "CheckedCodec", "CompactTermInfo", "INLINE_LIMIT", "BLOCK_LIMIT", "pack_arrays",
           "pack_block", "unpack_block", "block_arrays", "PackedValues", "write_block", "COMPRESSION",
           "TERM_BLOCK_BYTES",           "TermTableWriter", "pack_stored", "unpack_stored", "BLOCK_TAG"]

_FIELD_NUMBER = struct.Struct("!H")  # how a term table key starts (Whoosh's pack_ushort)
_CACHED_BLOCKS = 512  # decoded term blocks kept per segment reader


class CompactTermInfo(W3TermInfo):
    """W3 term info whose inlined postings are pickled with protocol 3."""

    def to_bytes(self) -> bytes:
        if not self.is_inlined():
            data: bytes = super().to_bytes()
            return data
        minlength = 0 if self._minlength is None else length_byte(self._minlength)
        minid = 0xFFFFFFFF if self._minid is None else self._minid
        maxid = 0xFFFFFFFF if self._maxid is None else self._maxid
        head = TERM_INFO_HEAD.pack(True, self._weight, self._df, minlength, length_byte(self._maxlength),
                                 self._maxweight, minid, maxid)
        ids, weights, values = self._inlined
        return head + inline_postings_bytes(ids, weights, values)


class CompactPostingsWriter(W3PostingsWriter):
    """W3 posting blocks pickled with protocol 3; short lists inlined (see the module)."""

    _terminfo: Any
    checked = False  # format 9's framing, with checksums (set by CheckedCodec)
    # Format 10: each block's (ids, weights, has values) kept for the impacts file, when a list (set per term).
    kept: list[tuple[Any, Any, bool]] | None = None
    # Format 11: a list's values (positions) written as blocks go here, for the positions file, not into
    # its blocks (set per term, for a field with values, by the field writer).
    positions: list[bytes] | None = None

    def finish_postings(self) -> Any:
        terminfo: Any = self._terminfo
        if not self.written() and len(self) <= self._inlinelimit:
            if self.kept is not None:
                self.kept.append((self._ids, self._weights, bool(self._values)))
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def _mini_weights(self) -> Any:
        weights = super()._mini_weights()
        return compact_weights(weights) if isinstance(weights, tuple) else weights

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        if self.kept is not None:
            self.kept.append((self._ids, self._weights, bool(self._values)))
        fixedsize = self._format.fixed_value_size()
        if not self._byteids and (fixedsize is None or fixedsize <= 0):
            values = self._values if fixedsize != 0 else None
            if values is not None and self.positions is not None:
                self.positions.extend(values if len(values) == len(self._ids) else [b""] * len(self._ids))
                values = None
            databytes = pack_block(self._ids, self._weights, values, self._compression)
            comp = 0  # the block deflates its parts itself (see pack_block)
        else:  # W3's pickled block (no field of vnsearch's schema takes this path)
            databytes = pickle_compact((self._mini_ids(), self._mini_weights(), self._mini_values()))
            comp = self._compression
            if comp:
                packed = zlib.compress(databytes, comp)
                if len(packed) < len(databytes):
                    databytes = packed
                else:
                    comp = 0  # the block info tells the reader not to decompress
        ids = self._ids
        write_block(self._postfile, databytes, len(ids), ids[-1], self._maxweight, comp,
                    length_byte(self._minlength), length_byte(self._maxlength), last, self.checked)
        self._blockcount += 1
        self._new_block()


def write_block(postfile: Any, databytes: bytes, count: int, lastid: int, maxweight: float, compression: int,
                minlength: int, maxlength: int, last: bool, checked: bool = True) -> None:
    """One block in W3's framing (:func:`vnsearch.store.format.frame_block`) written to *postfile*."""
    postfile.write(frame_block(databytes, count, lastid, maxweight, compression, minlength, maxlength, last,
                               checked))


class CompactLeafMatcher(W3LeafMatcher):
    """W3's matcher, reading packed blocks as well as W3's pickled ones, and format 9's framing."""

    checked = False  # set per instance by CompactCodec.postings_reader
    # Format 11: the list's values from the segment's positions file (its blocks carry none), and the
    # index of the current block's first posting in the list (set by CompactTermsReader.matcher).
    apart: Sequence[bytes] | None = None
    _first = _following = 0

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        size, info, self._dataoffset, self._nextoffset, _ = read_frame(self._postfile.get, position, self.checked)
        self._lastblock = size < 0
        (self._blocklength, self._maxid, self._maxweight, self._compression, mnlen, mxlen) = info
        # Blocks are read in order from the first (reset) on: each one's first posting follows the last's.
        self._first = 0 if position == self._baseoffset else self._following
        self._following = self._first + self._blocklength
        self._minlength = byte_to_length(mnlen)
        self._maxlength = byte_to_length(mxlen)

    def _read_data(self) -> None:
        datalen = self._nextoffset - self._dataoffset
        data = self._postfile.get(self._dataoffset, datalen)
        if self._compression:
            data = zlib.decompress(data)
        if data[0] != BLOCK_TAG:
            self._data = loads(data)  # as W3 reads it, byte ids and fixed-size values included
            return
        values: Any
        gaps, weights, values = unpack_block(data)
        if values is None and self.apart is not None:
            values = self.apart[self._first: self._first + len(gaps)]
        minified: Any = weights
        if weights is not None and not isinstance(weights, float):
            minified = tuple(weights.tolist())
        # As W3 keeps a block: id gaps, weights minified, values a tuple (None without).
        block: Any = (tuple(gaps.tolist()), minified, tuple(values) if values is not None else None)
        self._data = block


class InlineMatcher(ListMatcher):
    """Whoosh's matcher over inlined postings, with ``bytes`` values.

    Whoosh's returns ``""`` for a posting without a value, which its own
    segment merge then rejects (it wants bytes): the same bug that kept
    inlining unused.
    """

    def value(self) -> Any:
        return super().value() or b""

    def all_items(self) -> Iterator[tuple[int, Any]]:
        if self._values:
            items: Iterator[tuple[int, Any]] = super().all_items()
            return items
        return ((docid, b"") for docid in self._ids)


class CompactTermsReader(W3TermsReader):
    """Reads a :class:`TermTableWriter` dictionary with W3's term-reader methods."""

    positions: Positions | None = None  # format 11: the segment's positions file

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        self._codec = codec
        self._dbfile = dbfile
        self._postfile = postfile
        self._length = length
        self._checked = term_table_checked(dbfile.get)
        if getattr(codec, "checksums", False) and not self._checked:
            raise ChecksumError("the term table has no checksums")
        self._trailer: tuple[dict[str, int], list[str | None], list[bytes], list[int]] | None = None
        self._blocks: OrderedDict[int, tuple[list[bytes], dict[bytes, bytes]]] = OrderedDict()

    def _read_trailer(self) -> tuple[dict[str, int], list[str | None], list[bytes], list[int]]:
        """The field numbers, each number's field, and the blocks' first keys and offsets (read on first use).

        Every segment reader opens its term table, but a search reads its
        lists from the impacts file and never looks a term up here: the
        trailer (10,000 first keys on 35,000 articles, verified and parsed
        in Python, ~8 ms) is read when a term is first looked up, not at
        every opening. Two threads may both read it; they read the same.
        """
        got = self._trailer
        if got is None:
            extras, firstkeys, offsets = read_term_table_trailer(self._dbfile.get, self._length)
            fieldmap: dict[str, int] = extras["fieldmap"]
            unmap: list[str | None] = [None] * len(fieldmap)
            for fieldname, num in fieldmap.items():
                unmap[num] = fieldname
            got = self._trailer = (fieldmap, unmap, firstkeys, offsets)
        return got

    @property
    def _fieldmap(self) -> dict[str, int]:
        return self._read_trailer()[0]

    @property
    def _fieldunmap(self) -> list[str | None]:
        return self._read_trailer()[1]

    @property
    def _firstkeys(self) -> list[bytes]:
        return self._read_trailer()[2]

    @property
    def _offsets(self) -> list[int]:
        return self._read_trailer()[3]

    def _decode(self, i: int) -> tuple[list[bytes], dict[bytes, bytes]]:
        got = self._blocks.get(i)
        if got is not None:
            self._blocks.move_to_end(i)
            return got
        start, end = self._offsets[i], self._offsets[i + 1]
        keys, table = decode_term_block(self._dbfile.get(start, end - start), self._checked)
        got = self._blocks[i] = (keys, table)
        if len(self._blocks) > _CACHED_BLOCKS:
            self._blocks.popitem(last=False)
        return got

    def _get(self, key: bytes) -> bytes:
        i = bisect_right(self._firstkeys, key) - 1
        if i < 0:
            raise KeyError(key)
        return self._decode(i)[1][key]

    def _items_from(self, key: bytes) -> Iterator[tuple[bytes, bytes]]:
        i = max(0, bisect_right(self._firstkeys, key) - 1)
        for b in range(i, len(self._firstkeys)):
            keys, table = self._decode(b)
            for k in keys[bisect_left(keys, key) if b == i else 0:]:
                yield k, table[k]

    def __contains__(self, term: Any) -> bool:
        try:
            self._get(self._keycoder(*term))
        except KeyError:
            return False
        return True

    def cursor(self, fieldname: str, fieldobj: Any) -> Any:
        raise NotImplementedError("term cursors (automata) are not supported by vnsearch's term dictionary")

    def terms(self) -> Iterator[Any]:
        return (self._keydecoder(k) for k, _ in self._items_from(b""))

    def _field_blocks(self, fieldname: str) -> Iterator[tuple[list[bytes], dict[bytes, bytes]]]:
        """Each block holding terms of *fieldname*: (those keys, in order; the block's key -> term info).

        Decoded here, not through the block cache: a whole field is
        thousands of blocks, and the cache keeps what queries look up.
        """
        number = self._fieldmap.get(fieldname)
        if number is None:
            return
        first = self._keycoder(fieldname, b"")
        after = _FIELD_NUMBER.pack(number + 1)  # keys are the field's number (2 bytes, big-endian) + the term
        firstkeys = self._firstkeys
        for b in range(max(0, bisect_right(firstkeys, first) - 1), bisect_left(firstkeys, after)):
            start, end = self._offsets[b], self._offsets[b + 1]
            keys, table = decode_term_block(self._dbfile.get(start, end - start), self._checked)
            yield keys[bisect_left(keys, first): bisect_left(keys, after)], table

    def field_terms(self, fieldname: str) -> list[bytes]:
        """Every term of *fieldname* (bytes), in order, read straight from the blocks.

        What Whoosh's ``lexicon`` gives, a block at a time instead of a term at
        a time: the vocabulary of a typed query's first correction (every
        syllable and word of the index, hundreds of thousands) reads several
        times faster.
        """
        cut = _FIELD_NUMBER.size
        return [key[cut:] for keys, _ in self._field_blocks(fieldname) for key in keys]

    def field_frequencies(self, fieldname: str) -> list[tuple[bytes, int]]:
        """(term, document frequency) of every term of *fieldname*, in order, read straight from the blocks.

        What Whoosh's ``iter_field`` gives without making a term info object
        of each (which unpickles inlined postings).
        """
        cut = _FIELD_NUMBER.size
        unpack = WEIGHT_AND_DF.unpack_from
        return [(key[cut:], unpack(table[key], 1)[1]) for keys, table in self._field_blocks(fieldname) for key in keys]

    def terms_from(self, fieldname: str, prefix: Any) -> Iterator[Any]:
        return (self._keydecoder(k) for k, _ in self._items_from(self._keycoder(fieldname, prefix)))

    def items(self) -> Iterator[tuple[Any, W3TermInfo]]:
        return ((self._keydecoder(k), W3TermInfo.from_bytes(v)) for k, v in self._items_from(b""))

    def items_from(self, fieldname: str, prefix: Any) -> Iterator[tuple[Any, W3TermInfo]]:
        return ((self._keydecoder(k), W3TermInfo.from_bytes(v))
                for k, v in self._items_from(self._keycoder(fieldname, prefix)))

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        terminfo = self.term_info(fieldname, tbytes)
        matcher = self._codec.postings_reader(self._postfile, terminfo, format_, term=(fieldname, tbytes),
                                              scorer=scorer)
        if self.positions is not None and isinstance(matcher, CompactLeafMatcher) and format_.fixed_value_size() != 0:
            # Format 11: the list's positions are in the positions file, its blocks carry none.
            apart = self.positions.values(fieldname, tbytes)
            if apart is None:
                raise ChecksumError(f"{fieldname}:{tbytes!r} is missing from the positions file")
            matcher.apart = apart
        return matcher

    def term_info(self, fieldname: str, tbytes: Any) -> W3TermInfo:
        try:
            return W3TermInfo.from_bytes(self._get(self._keycoder(fieldname, tbytes)))
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname: str, tbytes: Any) -> float:
        weight: float = WEIGHT_AND_DF.unpack_from(self._get(self._keycoder(fieldname, tbytes)), 1)[0]
        return weight

    def doc_frequency(self, fieldname: str, tbytes: Any) -> int:
        df: int = WEIGHT_AND_DF.unpack_from(self._get(self._keycoder(fieldname, tbytes)), 1)[1]
        return df

    def close(self) -> None:
        self._blocks.clear()
        self._dbfile.close()
        self._postfile.close()


class StoredColumn(columns.Column):
    """The stored-fields column: Whoosh's pickled dict, deflated with a preset dictionary.

    Whoosh deflates each document's pickle at level 3 with no history, so
    the first kilobytes of every article, the part a short news article is
    made of, compress poorly; the dictionary in ``stored.zdict`` (the
    project's own Vietnamese sample articles, built by bench/make_zdict.py)
    makes the column ~17% smaller. Costs ~15 µs more per document read.
    """

    def __init__(self, checked: bool = False) -> None:
        self.checked = checked  # a format-9 segment's: every record must carry its checksum

    def writer(self, dbfile: Any) -> Any:
        return self.Writer(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> Any:
        reader = self.Reader(dbfile, basepos, length, doccount)
        reader.checked = self.checked
        return reader

    class Writer(columns.VarBytesColumn.Writer):
        def add(self, docnum: int, v: Any) -> None:
            super().add(docnum, b"" if v is None else pack_stored(v))

    class Reader(columns.VarBytesColumn.Reader):
        checked = False

        def __getitem__(self, docnum: int) -> Any:
            data = super().__getitem__(docnum)
            return unpack_stored(data, self.checked) if data or self.checked else None

        def __iter__(self) -> Iterator[Any]:
            for data in super().__iter__():
                yield unpack_stored(data, self.checked) if data or self.checked else None


STORED = StoredColumn()
CHECKED_STORED = StoredColumn(checked=True)


class CompactPerDocWriter(W3PerDocWriter):
    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, STORED if fieldname == "_stored" else column)


class CompactPerDocReader(W3PerDocReader):
    stored_column = STORED

    def stored_fields(self, docnum: int) -> Any:
        reader = self._cached_reader("_stored", self.stored_column)
        return (reader[docnum] if reader is not None else None) or {}


class CheckedPerDocReader(CompactPerDocReader):
    """Format 9: every stored record carries its checksum."""

    stored_column = CHECKED_STORED


def has_values(field: Any) -> bool:
    """Whether the postings of *field* (a schema field) carry values: positions, in vnsearch's schema."""
    return bool(field.format.fixed_value_size() != 0)


class CompactFieldWriter(W3FieldWriter):
    """W3's field writer with :class:`TermTableWriter` as the term dictionary."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = TermTableWriter(self._create_file(W3Codec.TERMS_EXT), getattr(codec, "checksums", False))
        self._fieldmap: dict[str, int] = {}
        self._tindex.extras["fieldmap"] = self._fieldmap
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False
        # Format 10: the ranker's lists again as plain arrays (see vnsearch.store.impacts).
        self.impacts = ImpactsWriter(self._create_file(IMPACTS_EXT)) if getattr(codec, "impacts", False) else None
        # Format 11: the positions of lists written as blocks (see vnsearch.store.positions).
        self.positions = (PositionsWriter(self._create_file(POSITIONS_EXT)) if getattr(codec, "positions", False)
                          else None)

    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, CompactTermInfo())
        self._postwriter.kept = [] if self.impacts is not None and self._fieldname in IMPACT_FIELDS else None
        self._postwriter.positions = [] if self.positions is not None and has_values(self._fieldobj) else None

    def finish_term(self) -> None:
        writer = self._postwriter
        super().finish_term()
        kept = writer.kept if writer is not None else None
        if kept and self.impacts is not None:
            ids = np.concatenate([np.asarray(k[0], dtype=np.int64) for k in kept])
            weights = np.concatenate([np.asarray(k[1], dtype=np.float32) for k in kept])
            self.impacts.add(self._fieldname, self._btext, ids, weights, any(k[2] for k in kept))
        if writer is not None:
            if writer.positions and self.positions is not None:  # written as blocks (not inlined)
                self.positions.add_values(self._fieldname, self._btext, writer.positions)
            writer.kept = writer.positions = None

    def close(self) -> None:
        if self.impacts is not None:
            self.impacts.close()
        if self.positions is not None:
            self.positions.close()
        super().close()


class CompactCodec(W3Codec):
    """Whoosh's W3 codec writing smaller postings (see the module docstring): formats 7 and 8.

    Segments of those formats name this class; they are still read, and
    tests write them, but an index writes :class:`CheckedCodec` segments now.
    """

    checksums = False  # format 9 (CheckedCodec): checksums on every block and file

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = COMPRESSION,
                 inlinelimit: int = INLINE_LIMIT) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    # Read-only views of W3Codec's private settings, for the merge. Properties,
    # not attributes: the codec is pickled into the table of contents, and its
    # pickled state must stay W3Codec's own.
    @property
    def block_limit(self) -> int:
        """Postings per block."""
        limit: int = self._blocklimit
        return limit

    @property
    def deflate_level(self) -> int:
        """Deflate level of a block's head."""
        level: int = self._compression
        return level

    @property
    def inline_limit(self) -> int:
        """Posting lists of at most this many postings are kept in the term dictionary."""
        limit: int = self._inlinelimit
        return limit

    def field_writer(self, storage: Any, segment: Any) -> CompactFieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def per_document_writer(self, storage: Any, segment: Any) -> CompactPerDocWriter:
        return CompactPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> CompactPerDocReader:
        if self.checksums:
            return CheckedPerDocReader(storage, segment)
        return CompactPerDocReader(storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> CompactTermsReader:
        tiname = segment.make_filename(self.TERMS_EXT)
        reader = CompactTermsReader(self, storage.open_file(tiname), storage.file_length(tiname),
                                    segment.open_file(storage, self.POSTS_EXT))
        reader.positions = open_positions(storage, segment)  # format 11 (None for older segments)
        return reader

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
                        ) -> Any:
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return InlineMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)
        offset, length = terminfo.extent()
        matcher = _leaf_matcher(self.checksums)(dbfile, offset, length, format_, term=term, scorer=scorer)
        return matcher

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> CompactPostingsWriter:
        writer = CompactPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                       compression=self._compression, inlinelimit=self._inlinelimit)
        writer.checked = self.checksums
        return writer


class CheckedLeafMatcher(CompactLeafMatcher):
    """The matcher of a format-9 posting list: every block's checksum verified as it is read."""

    checked = True


def _leaf_matcher(checked: bool) -> type[CompactLeafMatcher]:
    return CheckedLeafMatcher if checked else CompactLeafMatcher


class CheckedCodec(CompactCodec):
    """Format 9: :class:`CompactCodec`'s layouts with a CRC-32 on every block, record and file.

    Posting blocks, term-table blocks and its trailer, and stored records
    carry their own checksums, verified as each is read; its segments
    (:class:`vnsearch.store.files.CheckedSegment`) put a footer after every
    file in the segment file, verified when the file is opened (the
    block-checked ones only by ``vnsearch check``).
    """

    checksums = True
    impacts = True  # format 10: every segment has an impacts file (vnsearch.store.impacts)
    positions = True  # format 11: and a positions file (vnsearch.store.positions)

    def new_segment(self, storage: Any, indexname: str) -> Any:
        from vnsearch.store.files import CheckedSegment

        return CheckedSegment(self, indexname)
