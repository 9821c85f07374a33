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
  (:func:`pack_block`): document-number gaps and weights as 1, 2 or 4-byte
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
  (:class:`TermTableWriter`), about a quarter of the size.
* Stored fields (the article's original text, for snippets, ``get`` and
  ``similar``) are deflated per document with a preset dictionary of common
  Vietnamese news text (:class:`StoredColumn`): ~17% smaller. Readers see
  the same dicts as before, through Whoosh's ``stored_fields``.

Posting lists and term infos keep the W3 framing (header tag, block length,
pickled block info), so Whoosh's matcher walks them; the block data, the term
dictionary and stored fields have their readers here. Each segment records its
codec in the table of contents, so it is always read with the codec that wrote
it, and a merge rewrites the segments it merges with this one.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from importlib import resources
from pickle import dumps, loads

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
from whoosh.util.numeric import length_to_byte
from whoosh.util.varints import varint

from vnsearch.store.schema import read_varint

__all__ = ["CompactCodec", "CompactTermInfo", "INLINE_LIMIT", "pack_arrays", "write_block", "COMPRESSION", "TERM_BLOCK_BYTES", "pack_stored", "unpack_stored"]

BLOCK_LIMIT = 1024  # postings per block (Whoosh: 128); see pack_block
INLINE_LIMIT = 4  # posting lists of at most this many postings live in the term dictionary
COMPRESSION = 6  # deflate level of posting blocks (Whoosh: 3); reading costs the same
_PROTOCOL = 3  # the first pickle protocol with opcodes for bytes; 4 adds a 9-byte frame header
TERM_BLOCK_BYTES = 2048  # raw bytes of term entries per deflated block of the term dictionary
_TERMS_MAGIC = b"VNT1"
_CACHED_BLOCKS = 512  # decoded term blocks kept per segment reader
_WEIGHT_AND_DF = struct.Struct("!fI")  # at offset 1 of a W3 term info
# Stored fields: one tag byte, then the deflated pickle. Tag 0: plain deflate
# (Whoosh's own way); tag 1: deflate with stored.zdict as preset dictionary.
# A new dictionary needs a new tag, so indexes written with the old one still read.
_PLAIN, _ZDICT1 = 0, 1
_ZDICT = resources.files(__package__).joinpath("stored.zdict").read_bytes()


def _dumps(obj) -> bytes:
    """Pickle protocol 3 without the memo: no 2-byte memo entry after every bytes value.

    Posting data is flat tuples of numbers and bytes, nothing is shared or
    recursive, so the memo only costs space (a quarter of ``text_f``'s blocks).
    """
    out = io.BytesIO()
    pickler = pickle.Pickler(out, _PROTOCOL)
    pickler.fast = True
    pickler.dump(obj)
    return out.getvalue()


def _compact_weights(weights) -> tuple:
    """Weights as a tuple, whole numbers as ints: 2 pickled bytes instead of 9.

    Readers get them back as numbers of equal value (vnsearch's bulk reader
    turns them into float32 arrays either way).
    """
    return tuple(int(w) if float(w).is_integer() and 0 <= w < 256 else w for w in weights)


class CompactTermInfo(W3TermInfo):
    """W3 term info whose inlined postings are pickled with protocol 3."""

    def to_bytes(self) -> bytes:
        if not self.is_inlined():
            return super().to_bytes()
        minlength = 0 if self._minlength is None else length_to_byte(self._minlength)
        minid = 0xFFFFFFFF if self._minid is None else self._minid
        maxid = 0xFFFFFFFF if self._maxid is None else self._maxid
        head = self._struct.pack(True, self._weight, self._df, minlength, length_to_byte(self._maxlength),
                                 self._maxweight, minid, maxid)
        ids, weights, values = self._inlined
        return head + _dumps((ids, _compact_weights(weights), values))


class CompactPostingsWriter(W3PostingsWriter):
    """W3 posting blocks pickled with protocol 3; short lists inlined (see the module)."""

    def finish_postings(self):
        terminfo = self._terminfo
        if not self.written() and len(self) <= self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def _mini_weights(self):
        weights = super()._mini_weights()
        return _compact_weights(weights) if isinstance(weights, tuple) else weights

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        fixedsize = self._format.fixed_value_size()
        if not self._byteids and (fixedsize is None or fixedsize <= 0):
            databytes = pack_block(self._ids, self._weights, self._values if fixedsize != 0 else None,
                                   self._compression)
            comp = 0  # the block deflates its parts itself (see pack_block)
        else:  # W3's pickled block (no field of vnsearch's schema takes this path)
            databytes = _dumps((self._mini_ids(), self._mini_weights(), self._mini_values()))
            comp = self._compression
            if comp:
                packed = zlib.compress(databytes, comp)
                if len(packed) < len(databytes):
                    databytes = packed
                else:
                    comp = 0  # the block info tells the reader not to decompress
        ids = self._ids
        write_block(self._postfile, databytes, len(ids), ids[-1], self._maxweight, comp,
                    length_to_byte(self._minlength), length_to_byte(self._maxlength), last)
        self._blockcount += 1
        self._new_block()


def write_block(postfile, databytes: bytes, count: int, lastid: int, maxweight: float, compression: int,
                minlength: int, maxlength: int, last: bool) -> None:
    """One block in W3's framing: its length (negative for a list's last block), the pickled block info
    (postings, last id, largest weight, deflate level, shortest and longest document as length bytes), the data.
    """
    infobytes = dumps((count, lastid, maxweight, compression, minlength, maxlength), _PROTOCOL)
    size = len(infobytes) + len(databytes)
    postfile.write_int(-size if last else size)
    postfile.write(infobytes)
    postfile.write(databytes)


# -- posting blocks as arrays ------------------------------------------------------
#
# A block: the tag byte, a flags byte, the posting count (varint), the length of
# the "head" (varint), the head, then the values part to the end. The head holds
# the document-number gaps as an array of 1, 2 or 4-byte integers, then the
# weights (nothing when all are 1, one float32 when all are alike, else a uint8 or
# float32 array); the values part holds each value's length (1, 2 or 4-byte
# integers), then the values end to end. The head is deflated when that makes it
# smaller; the values part is written as it is (indexes written before kept it
# deflated, which its flag says), so a reader that needs only documents and
# weights (most lists a query reads) never touches the positions, and one that
# needs a few candidates' positions slices them out without inflating a block.

BLOCK_TAG = 0x56  # "V": the first byte of a packed block (a pickle's is 0x80)
_WIDTHS = ("<u1", "<u2", "<u4")
_W_ONES, _W_SAME, _W_BYTES, _W_FLOATS = range(4)
_F_HEAD_DEFLATED, _F_VALUES, _F_VALUES_DEFLATED = 0x10, 0x20, 0x40
_ARRAY_CODES = ("B", "H", "I")  # array typecodes of _WIDTHS (little-endian once swapped)
_SWAP = sys.byteorder == "big"
_DEFLATE_FROM = 32  # bytes
_NUMPY_FROM = 64  # postings in a block from which numpy packs it faster than plain Python


def _width_code(largest: int) -> int:
    """The index in _WIDTHS of the narrowest integers that hold *largest*."""
    return 0 if largest < 0x100 else 1 if largest < 0x10000 else 2


def _packed_ints(values: Sequence[int]) -> tuple[int, bytes]:
    """Non-negative integers as the narrowest of _WIDTHS: (width code, bytes)."""
    code = _width_code(max(values))
    arr = array(_ARRAY_CODES[code], values)
    if _SWAP:
        arr.byteswap()
    return code, arr.tobytes()


def _deflated(raw: bytes, level: int) -> tuple[bytes, bool]:
    """*raw* deflated if that makes it smaller; a few bytes never are (deflate's own cost is ~2 µs)."""
    if level and len(raw) >= _DEFLATE_FROM:
        packed = zlib.compress(raw, level)
        if len(packed) < len(raw):
            return packed, True
    return raw, False


def _head_numpy(ids: Sequence[int], weights: Sequence[float]) -> tuple[int, bytes, int]:
    """pack_block's head for a long block, where numpy is the faster way."""
    gaps = np.diff(np.asarray(ids, dtype=np.int64), prepend=0)
    idw = _width_code(int(gaps.max()))
    head = gaps.astype(_WIDTHS[idw]).tobytes()
    w = np.asarray(weights, dtype=np.float32)
    if (w == 1.0).all():
        return idw, head, _W_ONES
    if (w == w[0]).all():
        return idw, head + w[:1].astype("<f4").tobytes(), _W_SAME
    if ((w >= 0) & (w < 256) & (w == np.floor(w))).all():
        return idw, head + w.astype(np.uint8).tobytes(), _W_BYTES
    return idw, head + w.astype("<f4").tobytes(), _W_FLOATS


def pack_block(ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes] | None,
               level: int) -> bytes:
    """One block of postings in vnsearch's array layout (see above).

    *ids* are ascending document numbers, *weights* floats, *values* the
    encoded positions (one per posting) or None for a field without them.
    Blocks of fewer than :data:`_NUMPY_FROM` postings are packed in plain
    Python: most blocks an index writes hold a handful of postings, where
    numpy's per-call cost would be the whole cost.
    """
    n = len(ids)
    if n >= _NUMPY_FROM:
        idw, head, wkind = _head_numpy(ids, weights)
    else:
        idw, head = _packed_ints([ids[0]] + [b - a for a, b in zip(ids, ids[1:])])
        if weights.count(1.0) == n:
            wkind = _W_ONES
        elif weights.count(weights[0]) == n:
            wkind, head = _W_SAME, head + struct.pack("<f", weights[0])
        elif all(w.is_integer() and 0 <= w < 256 for w in weights):
            wkind, head = _W_BYTES, head + bytes(map(int, weights))
        else:
            floats = array("f", weights)
            if _SWAP:
                floats.byteswap()
            wkind, head = _W_FLOATS, head + floats.tobytes()
    vw = lengths = data = None
    if values is not None and len(values) == n:
        vw, lengths = _packed_ints([len(v) for v in values])
        data = b"".join(values)
    return _framed(n, idw, wkind, head, vw, lengths, data, level)


def pack_arrays(ids: np.ndarray, weights: np.ndarray, lengths: np.ndarray | None, data: bytes | None,
                level: int) -> bytes:
    """The block :func:`pack_block` makes of the same postings, from arrays.

    A merge (:mod:`vnsearch.store.merge`) holds a list as arrays: ascending *ids*,
    float32 *weights*, and the values as their *lengths* and their bytes end
    to end (*data*), or None for a field without values; no per-posting
    Python object is made.
    """
    idw, head, wkind = _head_numpy(ids, weights)
    vw = vlengths = None
    if lengths is not None:
        vw = _width_code(int(lengths.max()) if len(lengths) else 0)
        vlengths = lengths.astype(_WIDTHS[vw]).tobytes()
    return _framed(len(ids), idw, wkind, head, vw, vlengths, data, level)


def _framed(n: int, idw: int, wkind: int, head: bytes, vw: int | None, lengths: bytes | None,
            data: bytes | None, level: int) -> bytes:
    """A block from its packed parts: tag, flags, sizes, head (deflated if smaller), values part."""
    head, head_deflated = _deflated(head, level)
    flags = idw | wkind << 2 | (_F_HEAD_DEFLATED if head_deflated else 0)
    tail = b""
    if lengths is not None:
        # Positions are left as they are: deflate saves only a fifth of them
        # (varints of small gaps), and inflating the blocks of a query's
        # candidates was ~2.5 ms of a query on the whole corpus.
        tail = lengths + data
        flags |= _F_VALUES
    else:
        vw = 0
    return bytes((BLOCK_TAG, flags, vw)) + varint(n) + varint(len(head)) + head + tail


class PackedValues:
    """The values part of a packed block, inflated and cut up on first use."""

    __slots__ = ("_raw", "_count", "_width", "_deflated", "_data", "_offsets")

    def __init__(self, raw: bytes, count: int, width: int, deflated: bool) -> None:
        self._raw, self._count, self._width, self._deflated = raw, count, width, deflated
        self._data = None
        self._offsets = None

    def __len__(self) -> int:
        return self._count

    def _cut(self) -> np.ndarray:
        """Each value's offset in ``_data`` (one more at the end), inflating on first use."""
        offsets = self._offsets
        if offsets is None:
            raw = zlib.decompress(self._raw) if self._deflated else self._raw
            dtype = np.dtype(_WIDTHS[self._width])
            offsets = np.zeros(self._count + 1, dtype=np.int64)
            np.cumsum(np.frombuffer(raw, dtype=dtype, count=self._count), out=offsets[1:])
            offsets += self._count * dtype.itemsize
            self._offsets, self._data = offsets, raw
        return offsets

    def __getitem__(self, i: int) -> bytes:
        offsets = self._cut()
        return self._data[offsets[i]: offsets[i + 1]]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The values' bytes (behind their lengths) as uint8, and each value's offset in them."""
        offsets = self._cut()
        return np.frombuffer(self._data, dtype=np.uint8), offsets

    def __iter__(self):
        return (self[i] for i in range(self._count))


def unpack_block(data: bytes) -> tuple[np.ndarray, np.ndarray | float | None, PackedValues | None]:
    """A packed block's document-number gaps, weights (None: all 1; a float: all alike) and values."""
    flags, vw = data[1], data[2]
    n, pos = read_varint(data, 3)
    size, pos = read_varint(data, pos)
    head = data[pos: pos + size]
    if flags & _F_HEAD_DEFLATED:
        head = zlib.decompress(head)
    idtype = np.dtype(_WIDTHS[flags & 3])
    gaps = np.frombuffer(head, dtype=idtype, count=n)
    at = n * idtype.itemsize
    wkind = flags >> 2 & 3
    if wkind == _W_ONES:
        weights = None
    elif wkind == _W_SAME:
        weights = float(np.frombuffer(head, dtype="<f4", count=1, offset=at)[0])
    elif wkind == _W_BYTES:
        weights = np.frombuffer(head, dtype=np.uint8, count=n, offset=at)
    else:
        weights = np.frombuffer(head, dtype="<f4", count=n, offset=at)
    values = None
    if flags & _F_VALUES:
        values = PackedValues(data[pos + size:], n, vw, bool(flags & _F_VALUES_DEFLATED))
    return gaps, weights, values


def block_arrays(data: bytes) -> tuple[np.ndarray, np.ndarray | float | None, Sequence[bytes] | None]:
    """A block's data (inflated if its info says so) as :func:`unpack_block` gives it.

    Reads W3's own pickled blocks too (indexes written with Whoosh's codec):
    ids as gaps, weights None (all 1.0), one float (all alike) or one per
    posting, values a tuple (a field of fixed-size values, which vnsearch
    does not have, reads as none).
    """
    if data[0] == BLOCK_TAG:
        return unpack_block(data)
    gaps, weights, values = loads(data)
    if isinstance(weights, tuple):
        weights = np.asarray(weights, dtype=np.float32)
    if values is not None and not isinstance(values, tuple):
        values = None
    return np.asarray(gaps, dtype=np.int64), weights, values


class CompactLeafMatcher(W3LeafMatcher):
    """W3's matcher, reading packed blocks as well as W3's pickled ones."""

    def _read_data(self) -> None:
        datalen = self._nextoffset - self._dataoffset
        data = self._postfile.get(self._dataoffset, datalen)
        if self._compression:
            data = zlib.decompress(data)
        if data[0] != BLOCK_TAG:
            self._data = loads(data)  # as W3 reads it, byte ids and fixed-size values included
            return
        gaps, weights, values = unpack_block(data)
        if weights is not None and not isinstance(weights, float):
            weights = tuple(weights.tolist())
        # As W3 keeps a block: id gaps, weights minified, values a tuple (None without).
        self._data = (tuple(gaps.tolist()), weights, tuple(values) if values is not None else None)


class InlineMatcher(ListMatcher):
    """Whoosh's matcher over inlined postings, with ``bytes`` values.

    Whoosh's returns ``""`` for a posting without a value, which its own
    segment merge then rejects (it wants bytes): the same bug that kept
    inlining unused.
    """

    def value(self):
        return super().value() or b""

    def all_items(self):
        if self._values:
            return super().all_items()
        return ((docid, b"") for docid in self._ids)


class TermTableWriter:
    """The term dictionary as a sorted table in deflated blocks.

    Whoosh's W3 dictionary is an on-disk hash (CDB-style): per term a
    length header, two 12-byte hash slots and an ordered-index entry on top
    of the key and the term info, ~36 bytes of overhead per term, for a
    news index more than the postings themselves. Here the (sorted) entries
    are packed ``varint(len) key varint(len) value`` into blocks of about
    :data:`TERM_BLOCK_BYTES`, each deflated; a lookup bisects the blocks'
    first keys (kept in memory) and decodes one block. Writes the same calls
    Whoosh's ``OrderedHashWriter`` takes (``add``, ``extras``, ``close``).
    """

    def __init__(self, dbfile) -> None:
        self.dbfile = dbfile
        self.extras: dict = {}
        self._firstkeys: list[bytes] = []
        self._offsets: list[int] = []
        self._block = bytearray()
        self._blockfirst: bytes | None = None
        self._lastkey = b""
        dbfile.write(_TERMS_MAGIC)

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self._lastkey:
            raise ValueError(f"Keys must increase: {self._lastkey!r}..{key!r}")
        self._lastkey = key
        if self._blockfirst is None:
            self._blockfirst = key
        self._block += varint(len(key)) + key + varint(len(value)) + value
        if len(self._block) >= TERM_BLOCK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._blockfirst is None:
            return
        self._firstkeys.append(self._blockfirst)
        self._offsets.append(self.dbfile.tell())
        self.dbfile.write(zlib.compress(bytes(self._block), COMPRESSION))
        self._block = bytearray()
        self._blockfirst = None

    def close(self) -> None:
        self._flush()
        dbfile = self.dbfile
        self._offsets.append(dbfile.tell())  # the end of the last block
        where = dbfile.tell()
        dbfile.write(zlib.compress(dumps((self.extras, self._firstkeys, self._offsets), _PROTOCOL), COMPRESSION))
        dbfile.write_long(where)
        dbfile.close()


class CompactTermsReader(W3TermsReader):
    """Reads a :class:`TermTableWriter` dictionary with W3's term-reader methods."""

    def __init__(self, codec, dbfile, length: int, postfile) -> None:
        self._codec = codec
        self._dbfile = dbfile
        self._postfile = postfile
        if dbfile.get(0, 4) != _TERMS_MAGIC:
            raise ValueError("not a vnsearch term dictionary")
        where = dbfile.get_long(length - 8)
        extras, self._firstkeys, self._offsets = loads(zlib.decompress(dbfile.get(where, length - 8 - where)))
        self._fieldmap = extras["fieldmap"]
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, num in self._fieldmap.items():
            self._fieldunmap[num] = fieldname
        self._blocks: OrderedDict[int, tuple[list[bytes], dict[bytes, bytes]]] = OrderedDict()

    def _decode(self, i: int) -> tuple[list[bytes], dict[bytes, bytes]]:
        got = self._blocks.get(i)
        if got is not None:
            self._blocks.move_to_end(i)
            return got
        start, end = self._offsets[i], self._offsets[i + 1]
        raw = zlib.decompress(self._dbfile.get(start, end - start))
        keys: list[bytes] = []
        table: dict[bytes, bytes] = {}
        pos, n = 0, len(raw)
        while pos < n:
            parts = []
            for _ in range(2):
                size, pos = read_varint(raw, pos)
                parts.append(raw[pos: pos + size])
                pos += size
            keys.append(parts[0])
            table[parts[0]] = parts[1]
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

    def __contains__(self, term) -> bool:
        try:
            self._get(self._keycoder(*term))
        except KeyError:
            return False
        return True

    def cursor(self, fieldname, fieldobj):
        raise NotImplementedError("term cursors (automata) are not supported by vnsearch's term dictionary")

    def terms(self):
        return (self._keydecoder(k) for k, _ in self._items_from(b""))

    def terms_from(self, fieldname, prefix):
        return (self._keydecoder(k) for k, _ in self._items_from(self._keycoder(fieldname, prefix)))

    def items(self):
        return ((self._keydecoder(k), W3TermInfo.from_bytes(v)) for k, v in self._items_from(b""))

    def items_from(self, fieldname, prefix):
        return ((self._keydecoder(k), W3TermInfo.from_bytes(v))
                for k, v in self._items_from(self._keycoder(fieldname, prefix)))

    def term_info(self, fieldname, tbytes):
        try:
            return W3TermInfo.from_bytes(self._get(self._keycoder(fieldname, tbytes)))
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname, tbytes) -> float:
        return _WEIGHT_AND_DF.unpack_from(self._get(self._keycoder(fieldname, tbytes)), 1)[0]

    def doc_frequency(self, fieldname, tbytes) -> int:
        return _WEIGHT_AND_DF.unpack_from(self._get(self._keycoder(fieldname, tbytes)), 1)[1]

    def close(self) -> None:
        self._blocks.clear()
        self._dbfile.close()
        self._postfile.close()


def pack_stored(fields: dict) -> bytes:
    """One document's stored fields as written: tag byte + pickle deflated with the dictionary."""
    packer = zlib.compressobj(COMPRESSION, zdict=_ZDICT)
    return bytes((_ZDICT1,)) + packer.compress(dumps(fields, _PROTOCOL)) + packer.flush()


def unpack_stored(data: bytes) -> dict:
    """The stored fields :func:`pack_stored` wrote (raises ``zlib.error`` / ``ValueError`` if damaged)."""
    tag = data[0]
    if tag == _ZDICT1:
        unpacker = zlib.decompressobj(zdict=_ZDICT)
        raw = unpacker.decompress(data[1:]) + unpacker.flush()
    elif tag == _PLAIN:
        raw = zlib.decompress(data[1:])
    else:
        raise ValueError(f"unknown stored-field format {tag}")
    return loads(raw)


class StoredColumn(columns.Column):
    """The stored-fields column: Whoosh's pickled dict, deflated with a preset dictionary.

    Whoosh deflates each document's pickle at level 3 with no history, so
    the first kilobytes of every article, the part a short news article is
    made of, compress poorly; the dictionary in ``stored.zdict`` (the
    project's own Vietnamese sample articles, built by bench/make_zdict.py)
    makes the column ~17% smaller. Costs ~15 µs more per document read.
    """

    def writer(self, dbfile):
        return self.Writer(dbfile)

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(columns.VarBytesColumn.Writer):
        def add(self, docnum, v):
            super().add(docnum, b"" if v is None else pack_stored(v))

    class Reader(columns.VarBytesColumn.Reader):
        def __getitem__(self, docnum):
            data = super().__getitem__(docnum)
            return unpack_stored(data) if data else None

        def __iter__(self):
            for data in super().__iter__():
                yield unpack_stored(data) if data else None


STORED = StoredColumn()


class CompactPerDocWriter(W3PerDocWriter):
    def _create_column(self, fieldname, column):
        super()._create_column(fieldname, STORED if fieldname == "_stored" else column)


class CompactPerDocReader(W3PerDocReader):
    def stored_fields(self, docnum):
        reader = self._cached_reader("_stored", STORED)
        return (reader[docnum] if reader is not None else None) or {}


class CompactFieldWriter(W3FieldWriter):
    """W3's field writer with :class:`TermTableWriter` as the term dictionary."""

    def __init__(self, codec, storage, segment) -> None:
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = TermTableWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, CompactTermInfo())


class CompactCodec(W3Codec):
    """Whoosh's W3 codec writing smaller postings (see the module docstring)."""

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = COMPRESSION,
                 inlinelimit: int = INLINE_LIMIT) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def field_writer(self, storage, segment):
        return CompactFieldWriter(self, storage, segment)

    def per_document_writer(self, storage, segment):
        return CompactPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return CompactPerDocReader(storage, segment)

    def terms_reader(self, storage, segment):
        tiname = segment.make_filename(self.TERMS_EXT)
        return CompactTermsReader(self, storage.open_file(tiname), storage.file_length(tiname),
                                  segment.open_file(storage, self.POSTS_EXT))

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return InlineMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile, byteids: bool = False):
        return CompactPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                     compression=self._compression, inlinelimit=self._inlinelimit)
