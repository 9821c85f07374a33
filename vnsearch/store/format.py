"""Every byte layout a vnsearch index writes, in one place, with :data:`FORMAT_VERSION`.

The Whoosh plumbing (codec classes, field formats, the merge, the bulk
readers) lives in :mod:`.codec`, :mod:`.schema`, :mod:`.merge` and
:mod:`.postings`; they call this module for the bytes. Any change to what
this module writes (or to what the pickles below name) must bump
:data:`FORMAT_VERSION`; ``tests/test_format.py`` compares the bytes of a fixed
tiny index against a digest recorded per version and fails otherwise.

On-disk layout, version 12
==========================

Versions: 12 is 11 with two columns more in every segment: the article ids
(the ``id`` field is sortable) and the titles (the stored ``title`` field has
a column), Whoosh's ``VarBytesColumn`` of UTF-8, so putting equal scores in id
order and the title step read a few bytes instead of whole stored articles
(issue 17). They are written by the schema, so an index of 11 or older (whose
schema is in its table of contents) gets no columns when written to, and is
read from its stored articles as before. 11 is 10 with a positions file
(``.pos``, below) in every segment it writes: the positions of every list
written as blocks in ``.pst`` (more than :data:`INLINE_LIMIT` postings) of a
field with positions (``text_f``) go there, in blocks of
:data:`POSITION_BLOCK` postings behind a directory, and that list's ``.pst``
blocks carry no values (flag ``0x20`` clear); an inlined list keeps its values
in its term info. A proximity or phrase check then reads only the blocks of
its candidates (issue 17). A segment of 10 or older has none and its positions
are read from ``.pst``; writing to an index of 10 adds segments of 11 and
marks it 11. 10 is 9 with an impacts file (``.imp``, below) in every segment
it writes (issue 17): the ranker's posting lists again as plain arrays, so a
query reads them without inflating anything; a segment of 9 (or older) has
none and is read from ``.pst`` as before, and writing to an index of 9 adds
segments of 10 and marks it 10. 9 is 8 with checksums (issue 14): a CRC-32
(zlib's) on every file, posting block, term-table block and stored article,
verified when it is read, and no pickle where a plain layout is simple (the
segment file's directory, the term table's trailer, the posting blocks'
headers). Each "format 9:" below marks a difference; everything else is 8's. 7
is 8 without the stored field ``time`` in the schema (the publication time,
``2021-04-26T08:33:41+07:00``, added with feeds and ISO dates).

Indexes of versions 7 and 8 are still read (:data:`READABLE_VERSIONS`),
without checksums (``vnsearch check`` says so: "no checksums in format 8:
reindex to get them"); their pickles, like every pickle an index holds,
are read by :mod:`vnsearch.store.unpickle`, which resolves only the classes
the format uses (:data:`PICKLED_CLASSES` and Whoosh's own), so opening an
index never runs code. Each segment says which codec wrote it (in the
table of contents): segments of 7 and 8 name :class:`~.codec.CompactCodec`,
of 9 :class:`~.codec.CheckedCodec` with :class:`~.files.CheckedSegment`.
Writing to an index of 7 or 8 adds segments of 9 and marks it 9 (an older
vnsearch refuses it then, rather than failing on the new segments); a
version-7 index keeps its schema, so its articles still have no time.

An index directory holds (Whoosh's file store, index name ``MAIN``):

``vnsearch.json``
    ``{"schema_version": 9}``: the format version (the key keeps its old name
    so indexes already written open). An index whose value is not in
    :data:`READABLE_VERSIONS` is refused with
    :class:`vnsearch.errors.IndexVersionMismatch` and the rebuild advice.
    (No checksum: damage to it reads as another version, refused.)
``_MAIN_<generation>.toc``
    Whoosh's table of contents (TOC format -111): varints of the int, long and
    float sizes, the int -12345 (byte order), the TOC version, Whoosh's
    release as three varints, the length-prefixed pickle (protocol 2) of the
    ``Schema``, the generation, an unused int, then the pickled list of
    ``W3Segment`` objects (random 16-character segment id, document count,
    set of deleted document numbers, per-field total lengths, the codec
    object with its block size, deflate level and inline limit). The pickles
    name classes by module path: see :data:`PICKLED_CLASSES`.
    Format 9: the footer ``FOOTER`` (``!4sI``: :data:`FOOTER_MAGIC`, the
    CRC-32 of every byte before it) ends the file, verified at every read;
    a table of contents without one is damage in an index of version 9.
``MAIN_<segment id>.seg``
    Format 9 (:class:`~.files.CheckedSegment`): :data:`SEGMENT_MAGIC`, then
    the segment's files in name order, each followed by its footer
    (:func:`footer`: magic and the CRC-32 of the file), then the directory
    as UTF-8 JSON ``{file name: [offset, length]}`` (length without the
    footer; sorted keys, no modification times), then the trailer
    :data:`SEGMENT_TRAILER` (``!QII4s``: directory offset, directory length,
    the directory's CRC-32, :data:`SEGMENT_MAGIC`). The directory is
    verified when the segment is opened; a file when it is first opened,
    except those whose blocks carry checksums of their own
    (:data:`BLOCK_CHECKED_EXTS`: the term table, the postings, the stored
    articles), verified block by block as they are read, and whole only by
    ``vnsearch check``. Any other file, a column added later included, is
    verified whole when opened.

    Formats 7 and 8 (Whoosh's compound file): a long (directory position),
    an int (directory length), the segment's files end to end, then the
    pickled directory ``{file name: {"offset", "length", "modified"}}`` (the
    modification time is the only non-deterministic byte apart from names)
    and pickled options. The files inside, named ``MAIN_<segment id>.<ext>``:

    ``.trm`` — the term table (:class:`TermTableWriter`): the magic
        :data:`TERMS_MAGIC`, then blocks of about :data:`TERM_BLOCK_BYTES`
        raw bytes deflated (level :data:`COMPRESSION`) holding sorted entries
        ``varint(len) key varint(len) term info``; the key is the field
        number (``!H``) followed by the term's UTF-8 bytes. After the blocks,
        the deflated pickle (protocol 3) of ``(extras, first keys, block
        offsets + end)`` where ``extras["fieldmap"]`` maps field names to
        numbers, and a final long (``!q``) pointing at that pickle.
        Format 9: the magic is :data:`TERMS_MAGIC` (8's :data:`TERMS_MAGIC_8`);
        each block is preceded by the CRC-32 (``!I``) of its deflated bytes,
        verified when the block is decoded; the trailer is no pickle:
        ``varint(len) extras`` (UTF-8 JSON), ``varint(block count)``, each
        first key ``varint(len) key``, the block offsets + end as varints,
        then the trailer's CRC-32 (``!I``, verified at open) and the long.
    Term info (W3's): ``struct "!BfIBBfII"`` = inlined flag, total weight,
        document frequency, shortest and longest document as length bytes,
        largest weight, first and last document number; then either a long
        offset and an int length in ``.pst`` (``!qi``), or, for lists of at
        most :data:`INLINE_LIMIT` postings, the postings inline
        (:func:`inline_postings_bytes`: a memo-less protocol-3 pickle of
        ``(ids, weights, values)``, whole weights below 256 as ints).
    ``.pst`` — posting lists. Each list: W3's 4-byte header tag
        (``WHOOSH3_HEADER_MAGIC``), then blocks of at most
        :data:`BLOCK_LIMIT` postings, each framed (:func:`frame_block`) as an
        int (``!i``) size, negative for the list's last block, the protocol-3
        pickle of ``(count, last id, largest weight, deflate level, shortest
        length byte, longest length byte)``, then the block data (deflate
        level 0: a packed block deflates its parts itself). Format 9
        (:func:`read_frame`): the size counts from after it; then the CRC-32
        (``!I``) of the size's 4 bytes, the info and the data, then the info
        as :data:`FRAME_INFO` (``!IIdBBB``, the same six values) instead of
        a pickle; verified every time the block is read. Block data is the
        packed array layout (:func:`pack_block`):

        ``0x56`` tag, a flags byte (bits 0-1: width code of the id gaps,
        bits 2-3: weight kind, ``0x10`` head deflated, ``0x20`` values
        present, ``0x40`` values deflated), the width code of the value
        lengths, ``varint(count)``, ``varint(len(head))``, the head, then the
        values part to the end of the block. The head: the document-number
        gaps (the first from 0) as little-endian ``u1``/``u2``/``u4``, then
        the weights: nothing (all 1), one ``<f4`` (all alike), ``u1`` each
        (whole numbers below 256) or ``<f4`` each. The values part: each
        value's length as ``u1``/``u2``/``u4``, then the values end to end.

        **In-band flag of version 7.** Blocks first written under version 7
        deflated the values part; the layout was changed to store it plain
        without bumping the version, and the ``0x40`` flag tells the two
        apart. Both are version 7: readers must keep honouring the flag, and
        writers never set it now.

        A first byte other than ``0x56`` is a W3 pickled block
        (``(id gaps, weights, values)``), read for indexes written by
        Whoosh's own codec.
    Positions (the values of ``text_f``, :func:`encode_positions`): varint
        gaps within a zone, the first position of the title a gap from -1; a
        ``0`` byte (never a gap) announces a new zone and is followed by
        ``varint(position_in_zone << 2 | zones skipped)``. A zone's positions
        start at ``zone * ZONE_OFFSET``. Fields without positions
        (``text``, ``title_f``) have empty values.
    ``.imp`` — format 10, the impacts file (:mod:`vnsearch.store.impacts`):
        the lists of :data:`IMPACT_FIELDS` (``text``, ``text_f``,
        ``title_f``) with their documents and weights only: the magic
        :data:`IMPACTS_MAGIC`, the lists end to end (:func:`pack_impacts`:
        gaps, weights, the list's CRC-32, verified whenever it is read),
        then the directory (:func:`impacts_directory`: every term of those
        fields, sorted by ``field name, 0 byte, term``, with its list's
        offset, posting count and flags) and :data:`IMPACTS_TRAILER`
        (directory offset, term count, the directory's CRC-32, verified when
        the file is first read, magic). Block-checked like ``.pst``: the
        segment file's footer of it is verified by ``vnsearch check``, which
        also compares every list with ``.pst``'s.
    ``.pos`` — format 11, the positions file (:mod:`vnsearch.store.positions`):
        the magic :data:`POSITIONS_MAGIC`, the lists end to end in key order
        (:func:`pack_position_list`: the CRC-32 of the rest of its head, a
        width code for the values' lengths, per block of
        :data:`POSITION_BLOCK` postings its end and its CRC-32, then the
        blocks, each its values' lengths and the values as
        :func:`encode_positions` writes them), then the directory
        (:func:`positions_directory`: the keys as :func:`impact_key` makes
        them, each list's offset and posting count) and
        :data:`POSITIONS_TRAILER` (directory offset, list count, the
        directory's CRC-32, verified when the file is first read, magic). A
        list's head is verified when it is opened, a block when a posting of
        it is first read; ``vnsearch check`` reads every block and compares
        each list's count with the term table's. Block-checked like ``.pst``.
    ``.<column>.col`` — one file per per-document column (Whoosh's column
        layouts: a variable-bytes column is the values end to end, then their
        lengths as an array, its typecode, and for long columns the offsets;
        a fixed-bytes or numeric column is the values end to end, documents
        after the last one with a value not written):
        ``_stored``: one value per document (:func:`pack_stored`): a tag byte
        (0 plain deflate, 1 deflate with the preset dictionary
        ``stored.zdict``, which is therefore part of the format) and the
        deflated protocol-3 pickle of the stored-field dict; format 9: tag
        2, the CRC-32 (``!I``) of the deflated bytes, then those bytes as
        tag 1's, verified whenever the article is read (a format-9 segment
        must have tag 2, and no empty record);
        ``_<field>_len`` (``text``, ``text_f``, ``title_f``): one length byte per document (Whoosh's logarithmic
        :func:`length_byte`, decoded with :data:`LENGTH_TABLE`), trailing
        zeros not written;
        ``minhash``: Whoosh's fixed-bytes column of :data:`SIGNATURE_BYTES`
        per document (:func:`signature_bytes`: 32 little-endian uint32, the low
        halves of the MinHash values);
        ``date``: Whoosh's sortable ID column.

Varints everywhere are unsigned LEB128 (7 bits a byte, low group first,
high bit set on all but the last byte), as Whoosh's ``varint``.

Whoosh internals this package relies on (pinned to whoosh-reloaded==2.7.5)
--------------------------------------------------------------------------
Private attributes and functions, used inside ``vnsearch.store`` only (a
Whoosh upgrade must check each):

* codec.py, subclassing W3's classes: ``W3TermInfo``'s ``_weight``, ``_df``,
  ``_minlength``, ``_maxlength``, ``_maxweight``, ``_minid``, ``_maxid``,
  ``_inlined`` (its head layout is :data:`TERM_INFO_HEAD`);
  ``W3PostingsWriter``'s ``_ids``, ``_weights``, ``_values``, ``_byteids``,
  ``_format``, ``_blockcount``, ``_postfile``, ``_terminfo``, ``_compression``,
  ``_maxweight``, ``_minlength``, ``_maxlength``, ``_inlinelimit``,
  ``_new_block``, ``_mini_ids``/``_mini_weights``/``_mini_values``,
  ``_write_block`` (overridden); ``W3LeafMatcher``'s ``_read_data``
  (overridden), ``_postfile``, ``_dataoffset``, ``_nextoffset``,
  ``_compression``, ``_data``; ``W3FieldWriter``'s state set by our
  constructor (``_codec``, ``_storage``, ``_segment``, ``_fieldname``,
  ``_fieldid``, ``_btext``, ``_fieldobj``, ``_format``, ``_tindex``,
  ``_fieldmap``, ``_postfile``, ``_postwriter``, ``_infield``) and
  ``_create_file``; ``W3TermsReader``'s ``_codec``, ``_dbfile``,
  ``_postfile``, ``_fieldmap``, ``_fieldunmap``, ``_keycoder``,
  ``_keydecoder``; ``W3PerDocReader._cached_reader``;
  ``W3PerDocWriter._create_column`` (overridden); ``W3Codec``'s
  ``_blocklimit``, ``_compression``, ``_inlinelimit`` (read through
  ``CompactCodec.block_limit``, ``deflate_level``, ``inline_limit``).
* postings.py: ``SegmentReader._terms`` and ``_perdoc``; the terms reader's
  ``_postfile``; ``W3PerDocReader._cached_reader`` and
  ``whoosh.codec.whoosh3._lenfield`` to find a length column, whose reader's
  ``_dbfile``, ``_basepos`` and ``_count`` are read as one byte array.
* merge.py: ``SegmentReader._terms`` and ``_perdoc``, the terms reader's
  ``_fieldmap``, ``W3PerDocWriter._colwriters``, the field writer's
  ``_postfile``, ``_tindex`` and ``_fieldid``, ``W3Segment._fieldlengths``
  (set), ``_lenfield``; ``VarBytesColumn.Reader.__getitem__`` /
  ``Writer.add`` called on the stored column to copy raw bytes.
* indexing.py: ``SegmentWriter``'s ``_check_state``, ``_check_fields``,
  ``_added`` and its ``pool`` (``PostingPool.current``, ``currentsize``,
  ``limit``, ``fieldnames``, ``save``), ``perdocwriter``, ``docnum``, and
  ``per_document_reader`` (replaced by :func:`~.indexing.bulk_writer`).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import operator
import pickle
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Protocol, overload

import numpy as np
import numpy.typing as npt
from whoosh.util.numeric import byte_to_length, length_to_byte

from vnsearch.store.unpickle import load as safe_load
from vnsearch.store.unpickle import loads as safe_loads

__all__ = [
    "FORMAT_VERSION", "VERSION_KEY", "READABLE_VERSIONS", "PICKLED_CLASSES", "LEGACY_MODULES",
    "varint", "read_varint",
    "ZONE_OFFSET", "encode_positions", "decode_positions", "decode_positions_numpy", "decode_many",
    "decode_buffer", "decode_shifted",
    "BLOCK_LIMIT", "INLINE_LIMIT", "COMPRESSION", "BLOCK_TAG", "pack_block", "pack_arrays", "unpack_block",
    "block_arrays", "PackedValues", "frame_block", "block_frames", "inline_postings_bytes", "compact_weights",
    "pickle_compact", "TERMS_MAGIC", "TERM_BLOCK_BYTES", "TermTableWriter", "decode_term_block",
    "read_term_table_trailer", "TERM_INFO_HEAD", "WEIGHT_AND_DF", "pack_stored", "unpack_stored",
    "SIGNATURE_BYTES", "signature_bytes", "signature_of", "LENGTH_TABLE", "length_byte",
    "FOOTER_MAGIC", "FOOTER", "SEGMENT_MAGIC", "SEGMENT_TRAILER", "BLOCK_CHECKED_EXTS", "ChecksumError", "crc32",
    "footer", "has_footer", "verify_footer", "checked_ext", "segment_trailer", "read_segment_directory",
    "FRAME_INFO", "read_frame", "TERMS_MAGIC_8", "term_table_checked", "checked_stored",
    "IMPACTS_EXT", "IMPACTS_MAGIC", "IMPACT_FIELDS", "IMPACTS_TRAILER", "pack_impacts", "unpack_impacts",
    "pack_impacts_small", "SMALL_IMPACTS",
    "impacts_directory", "read_impacts_trailer", "impact_key", "block_values",
    "POSITIONS_EXT", "POSITIONS_MAGIC", "POSITION_BLOCK", "POSITIONS_TRAILER", "pack_position_list",
    "read_position_list_head", "verify_position_block", "positions_directory", "read_positions_directory",
    "pack_impacts_many", "encode_positions_many", "position_blocks", "position_list_head_size", "POSITION_WIDTHS",
]

# The version of everything described above, written by new indexes. Stored in
# vnsearch.json under VERSION_KEY (its historical name); an index of a version
# outside READABLE_VERSIONS is refused.
FORMAT_VERSION = 12
VERSION_KEY = "schema_version"
# 9: without the impacts file (.imp, read from .pst as before); 8: without checksums (read
# through the restricted unpickler); 7: 8 without the stored field ``time`` (read as articles with no time).
READABLE_VERSIONS = frozenset({7, 8, 9, 10, 11, 12})

# Classes the table of contents pickles by module path (the schema's field
# types and formats, the segments' codec and, format 9, their class). Only
# these and Whoosh's own (vnsearch.store.unpickle.WHOOSH_CLASSES) may be
# named by a pickle an index holds: anything else is refused as damage. Moving or renaming one breaks every
# index that names it: keep the path importable (see LEGACY_MODULES) or bump
# FORMAT_VERSION. Whoosh's own classes (whoosh.fields.Schema, ID, STORED,
# COLUMN, whoosh.columns.FixedBytesColumn, VarBytesColumn, whoosh.formats.Existence,
# whoosh.analysis tokenizers and filters, whoosh.codec.whoosh3.W3Segment) are
# pinned with whoosh-reloaded==2.7.5.
PICKLED_CLASSES = (
    "vnsearch.store.schema.PreAnalyzed",
    "vnsearch.store.schema.CompactPositions",
    "vnsearch.store.schema.Weighted",
    "vnsearch.store.codec.CompactCodec",
    "vnsearch.store.codec.CheckedCodec",
    "vnsearch.store.files.CheckedSegment",
)
# Indexes written before the storage package existed name the same classes
# under these modules; vnsearch.store.legacy makes them importable.
LEGACY_MODULES = {"vnsearch.schema": "vnsearch.store.schema", "vnsearch.codec": "vnsearch.store.codec"}

_SWAP = sys.byteorder == "big"
_PROTOCOL = 3  # the first pickle protocol with opcodes for bytes; 4 adds a 9-byte frame header


# -- varints -------------------------------------------------------------------------

_VARINT_CACHE = [bytes((i,)) for i in range(0x80)]


def varint(value: int) -> bytes:
    """*value* (unsigned) as a LEB128 varint, byte for byte as Whoosh's ``varint``."""
    if value < 0x80:
        return _VARINT_CACHE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at *pos* of *data*, and the position after it."""
    b = data[pos]
    pos += 1
    value = b & 0x7F
    shift = 7
    while b & 0x80:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
    return value, pos


# -- checksums (format 9) -----------------------------------------------------------

FOOTER_MAGIC = b"VNC9"
FOOTER = struct.Struct("!4sI")  # magic, CRC-32 of every byte before the footer
SEGMENT_MAGIC = b"VNS9"
SEGMENT_TRAILER = struct.Struct("!QII4s")  # directory offset, directory length, its CRC-32, magic
# Files inside a segment whose blocks or records carry CRC-32s of their own,
# verified as each is read: not verified whole when opened (they are most
# of an index; ``vnsearch check`` verifies them whole). Every other file of
# a segment, whatever a later version adds, is verified whole when opened.
BLOCK_CHECKED_EXTS = (".trm", ".pst", "._stored.col", ".imp", ".pos")
_CRC = struct.Struct("!I")


class ChecksumError(ValueError):
    """Bytes whose CRC-32 does not match the one written with them (the index is damaged)."""


def crc32(data: bytes | bytearray | memoryview, start: int = 0) -> int:
    """CRC-32 (zlib's) of *data*, continuing from *start*."""
    return zlib.crc32(data, start) & 0xFFFFFFFF


def footer(data: bytes | bytearray | memoryview) -> bytes:
    """The footer written after *data*: :data:`FOOTER_MAGIC` and the CRC-32 of *data*."""
    return FOOTER.pack(FOOTER_MAGIC, crc32(data))


def has_footer(data: bytes | memoryview) -> bool:
    """Whether *data* ends with a footer's magic (its checksum not yet verified)."""
    return len(data) >= FOOTER.size and bytes(data[-FOOTER.size:-_CRC.size]) == FOOTER_MAGIC


def verify_footer(data: bytes | memoryview, what: str) -> None:
    """Raise :class:`ChecksumError` unless *data* ends with a footer matching the bytes before it."""
    if not has_footer(data):
        raise ChecksumError(f"{what} has no checksum footer")
    _, want = FOOTER.unpack(bytes(data[-FOOTER.size:]))
    if crc32(data[:-FOOTER.size]) != want:
        raise ChecksumError(f"{what} fails its checksum")


def checked_ext(name: str) -> bool:
    """Whether a segment file of this name carries checksums per block (see :data:`BLOCK_CHECKED_EXTS`)."""
    return name.endswith(BLOCK_CHECKED_EXTS)


def segment_trailer(directory: dict[str, tuple[int, int]], offset: int) -> bytes:
    """A format-9 segment file's directory (at *offset*) and trailer: see the module docstring."""
    body = json.dumps({name: list(extent) for name, extent in sorted(directory.items())},
                      separators=(",", ":")).encode("utf-8")
    return body + SEGMENT_TRAILER.pack(offset, len(body), crc32(body), SEGMENT_MAGIC)


def read_segment_directory(get: Any, size: int) -> dict[str, tuple[int, int]]:
    """``{file name: (offset, length)}`` of a format-9 segment file of *size* bytes (*get(offset, n)* reads it)."""
    if size < len(SEGMENT_MAGIC) + SEGMENT_TRAILER.size or bytes(get(0, 4)) != SEGMENT_MAGIC:
        raise ChecksumError("not a vnsearch segment file")
    offset, length, want, magic = SEGMENT_TRAILER.unpack(bytes(get(size - SEGMENT_TRAILER.size,
                                                                   SEGMENT_TRAILER.size)))
    if magic != SEGMENT_MAGIC or offset + length + SEGMENT_TRAILER.size != size:
        raise ChecksumError("the segment file's trailer is damaged")
    body = bytes(get(offset, length))
    if crc32(body) != want:
        raise ChecksumError("the segment file's directory fails its checksum")
    raw = json.loads(body.decode("utf-8"))
    directory: dict[str, tuple[int, int]] = {}
    for name, (start, n) in raw.items():
        if not (isinstance(start, int) and isinstance(n, int) and 4 <= start and start + n + FOOTER.size <= offset):
            raise ChecksumError(f"the segment file's directory is damaged ({name})")
        directory[str(name)] = (start, n)
    return directory


# -- positions -------------------------------------------------------------------------

ZONE_OFFSET = 1 << 22  # positions of zone i start at i * ZONE_OFFSET


def encode_positions(poslist: Sequence[int]) -> bytes:
    """Positions as varint gaps within a zone (see the module docstring).

    Positions from :func:`vnsearch.lang.analysis.add_terms` are already sorted
    and distinct; any other list is sorted first.
    """
    if len(poslist) == 1:  # most terms occur once in an article: its gap from -1, or its zone's mark
        pos = poslist[0]
        if 0 <= pos < ZONE_OFFSET:
            return _VARINT_CACHE[pos + 1] if pos < 0x7F else varint(pos + 1)
        z, r = divmod(pos, ZONE_OFFSET)
        if 0 < z <= 3:
            return b"\x00" + varint((r << 2) | z)
        raise ValueError(f"position {pos} is outside the zones")
    if any(b <= a for a, b in zip(poslist, poslist[1:])):
        poslist = sorted(set(poslist))
    out = bytearray()
    zone = 0
    prev = -1
    for pos in poslist:
        z, r = divmod(pos, ZONE_OFFSET)
        if z != zone:
            if not 0 < z - zone <= 3:
                raise ValueError(f"position {pos} is outside the zones")
            out += b"\x00" + varint((r << 2) | (z - zone))
            zone = z
        else:
            gap = r - prev
            if gap < 0x80:
                out.append(gap)
            else:
                out += varint(gap)
        prev = r
    return bytes(out)


def encode_positions_many(poslists: Sequence[Sequence[int]]) -> tuple[bytes, list[int]]:
    """:func:`encode_positions` of every list, end to end, and each one's length in bytes.

    Why: an article's positional field has a few hundred terms, most with one
    or two positions; encoding them one call each was a tenth of a worker's
    time outside segmentation. Here all positions of the article go through
    a few numpy passes (gaps or zone marks, then their varint bytes). Lists
    that are not ascending, or positions outside the zones, go through
    :func:`encode_positions` one by one (which sorts them, or raises).
    """
    counts = list(map(len, poslists))
    total = sum(counts)
    if not total:
        return b"", counts
    flat = np.fromiter(itertools.chain.from_iterable(poslists), dtype=np.int64, count=total)
    edges = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=edges[1:])
    heads = edges[:-1][np.asarray(counts) > 0]  # each non-empty list's first position
    zone = flat >> 22  # ZONE_OFFSET == 1 << 22
    rest = flat & (ZONE_OFFSET - 1)
    prev_zone = np.empty_like(zone)
    prev_zone[1:] = zone[:-1]
    prev_rest = np.empty_like(rest)
    prev_rest[1:] = rest[:-1]
    prev_zone[heads] = 0
    prev_rest[heads] = -1
    step = zone - prev_zone
    mark = step != 0  # a zone mark: b"\x00", then the position within the zone and the zone step
    later = np.ones(total, dtype=bool)
    later[heads] = False
    if (flat.min() < 0 or ((step < 0) | (step > 3)).any()
            or (later & (flat <= np.concatenate(([0], flat[:-1])))).any()):
        values = [encode_positions(p) for p in poslists]
        return b"".join(values), list(map(len, values))
    value = np.where(mark, (rest << 2) | step, rest - prev_rest)
    nbytes = 1 + (value >= 1 << 7) + (value >= 1 << 14) + (value >= 1 << 21) + (value >= 1 << 28)
    size = nbytes + mark
    ends = np.cumsum(size)
    out = np.zeros(int(ends[-1]), dtype=np.uint8)
    at = ends - nbytes  # where each value's varint starts (after its mark's 0 byte)
    for k in range(int(nbytes.max())):
        sel = nbytes > k
        out[at[sel] + k] = ((value[sel] >> (7 * k)) & 0x7F) | np.where(nbytes[sel] > k + 1, 0x80, 0)
    cum = np.zeros(total + 1, dtype=np.int64)
    cum[1:] = ends
    return out.tobytes(), np.diff(cum[edges]).tolist()


def decode_positions(valuestring: bytes) -> list[int]:
    """The positions :func:`encode_positions` wrote, one value at a time (the scalar decoder)."""
    if valuestring.isascii():
        # Every varint one byte (the usual case): a zone marker is a 0
        # byte (never a gap), the byte after it the zone's first position,
        # and each zone's positions are running sums of its gaps.
        parts = valuestring.split(b"\x00")
        positions = list(accumulate(parts[0], initial=-1))[1:]
        base = 0
        for part in parts[1:]:
            head = part[0]
            base += (head & 3) * ZONE_OFFSET
            positions.extend(accumulate(part[1:], initial=base + (head >> 2)))
        return positions
    positions = []
    base = 0  # the current zone's offset
    r = -1
    i = 0
    n = len(valuestring)
    while i < n:
        value, i = read_varint(valuestring, i)
        if value:
            r += value
        else:  # a new zone: position in it and zones skipped
            value, i = read_varint(valuestring, i)
            base += (value & 3) * ZONE_OFFSET
            r = value >> 2
        positions.append(base + r)
    return positions


Int64s = npt.NDArray[np.int64]


def decode_many(values: Sequence[bytes]) -> tuple[Int64s, Int64s]:
    """Every position of every value, as (owner, position): owner is the value's index (numpy)."""
    if not values:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return decode_buffer(lengths, np.frombuffer(b"".join(values), dtype=np.uint8))


def decode_positions_numpy(valuestring: bytes) -> list[int]:
    """:func:`decode_positions` by the numpy decoder (for tests: the two must agree)."""
    positions: list[int] = decode_many([valuestring])[1].tolist()
    return positions


def decode_buffer(lengths: Int64s, data: npt.NDArray[np.uint8]) -> tuple[Int64s, Int64s]:
    """:func:`decode_many` of values given as their lengths and their bytes end to end (uint8).

    The varints are summed from their 7-bit groups, then a zero (a zone
    marker) makes the next number the new zone's head (position in zone << 2
    | zones skipped), and every other number is a gap: positions are running
    sums restarted at each head and each value (see :func:`decode_shifted`,
    which does the work).
    """
    n = lengths.size
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if not lengths.all():  # empty values hold no positions (and would end no run of bytes)
        full = np.flatnonzero(lengths)
        owner, positions = decode_buffer(lengths[full], data)
        return full[owner], positions
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    positions, ends = decode_shifted(starts, data, None)
    # Each value's positions: the numbers that end in its bytes.
    counts = np.empty(n, dtype=np.int64)
    bounds = np.searchsorted(ends, starts)
    np.subtract(bounds[1:], bounds[:-1], out=counts[:-1])
    counts[-1] = ends.size - bounds[-1]
    return np.repeat(np.arange(n, dtype=np.int64), counts), positions


def decode_shifted(starts: Int64s, data: npt.NDArray[np.uint8],
                   offsets: Int64s | None) -> tuple[Int64s, Int64s]:
    """Every position of values laid end to end in *data* (uint8), each plus its value's offset.

    *starts*: each value's first byte (ascending, distinct: no empty value);
    *offsets*: a number added to each of that value's positions (None: 0),
    so a caller that wants keys (:func:`vnsearch.search.proximity.position_keys`)
    gets them from this pass, not from an owner array spread over the
    positions. Returns the positions and, for each, the index of its last
    byte in *data* (ascending: a caller finds where each value's, or each
    batch's, positions begin by a search in it).

    Why this way: a query decodes a few hundred short values per list (a
    few bytes each, most with two zone marks), so numpy's cost per call,
    not per byte, is most of it. The work is one running sum over the bytes
    themselves (a varint's later bytes hold their 7-bit group already
    shifted, so the sum at its last byte holds the whole number) with a
    correction at the first byte of each run of gaps (a value's start, or a
    zone's head), then the last bytes of numbers that are not zone markers
    picked. The corrections need only short arrays: one number per value
    and per zone head.
    """
    more = data >= 0x80  # bytes after which a varint goes on
    conts = more.nonzero()[0]
    markers = (data == 0).nonzero()[0]  # a one-byte 0: a zone marker
    if conts.size:
        numbers = (data & 0x7F).astype(np.int64)  # each byte's 7 bits, shifted by its depth in its varint
        inner = conts + 1
        numbers[inner] <<= 7
        inner = inner[more[inner]]
        while inner.size:  # varints of three bytes or more
            inner += 1
            numbers[inner] <<= 7
            inner = inner[more[inner]]
        if markers.size:  # (a 0 byte that ends a longer varint is no marker)
            markers = markers[~more[markers - 1]]
    else:
        numbers = data.astype(np.int64)
    heads = markers + 1  # each zone head's first byte
    head = numbers[heads]  # each zone head's number: position in the zone << 2 | zones skipped
    if conts.size:
        going = more[heads]
        if going.any():
            which = going.nonzero()[0]
            at = heads[which]
            while at.size:
                at = at + 1
                head[which] += numbers[at]
                go = more[at]
                at, which = at[go], which[go]
    # Runs of gaps, in byte order: each value's (from position -1, zone 0) and each head's.
    of_head = np.searchsorted(starts, heads, side="right")
    of_head -= 1  # the value each head is in
    before = np.searchsorted(heads, starts)  # the heads before each value
    zones = np.zeros(heads.size + 1, dtype=np.int64)
    np.cumsum(head & 3, out=zones[1:])
    zones = zones[1:] - zones[before[of_head]]  # zones skipped within the value, up to each head
    n, runs = starts.size, starts.size + heads.size
    at_start = np.arange(n, dtype=np.int64)
    at_start += before
    at_head = np.arange(1, heads.size + 1, dtype=np.int64)
    at_head += of_head
    firsts = np.empty(runs, dtype=np.int64)  # each run's first byte
    firsts[at_start] = starts
    firsts[at_head] = heads
    # Each run's base: its first number plus the base is its first position.
    zones *= ZONE_OFFSET
    zones += head >> 2
    zones -= head
    base = np.empty(runs, dtype=np.int64)
    if offsets is None:
        base[at_start] = -1
    else:
        base[at_start] = offsets - 1
        zones += offsets[of_head]
    base[at_head] = zones
    np.cumsum(numbers, out=numbers)
    # Within run k the position is the running sum plus (base_k - the sum before run k):
    # that step added once at the run's first byte and summed over the bytes.
    prior = numbers.take(firsts - 1)
    prior[0] = 0
    base -= prior
    steps = np.zeros(data.size, dtype=np.int64)
    steps[firsts[0]] = base[0]
    steps[firsts[1:]] = base[1:] - base[:-1]
    np.cumsum(steps, out=steps)
    numbers += steps
    ends = ~more  # a number's last byte ...
    ends[markers] = False  # ... but no zone marker's
    last = ends.nonzero()[0]
    return numbers.take(last), last


# -- posting blocks ----------------------------------------------------------------------

BLOCK_LIMIT = 1024  # postings per block (Whoosh: 128)
INLINE_LIMIT = 4  # posting lists of at most this many postings live in the term dictionary
COMPRESSION = 6  # deflate level of posting blocks and term blocks (Whoosh: 3)
BLOCK_TAG = 0x56  # "V": the first byte of a packed block (a pickle's is 0x80)
_WIDTHS = ("<u1", "<u2", "<u4")
_W_ONES, _W_SAME, _W_BYTES, _W_FLOATS = range(4)
_F_HEAD_DEFLATED, _F_VALUES, _F_VALUES_DEFLATED = 0x10, 0x20, 0x40
_ARRAY_CODES = ("B", "H", "I")  # array typecodes of _WIDTHS (little-endian once swapped)
_DEFLATE_FROM = 32  # bytes
_NUMPY_FROM = 64  # postings in a block from which numpy packs it faster than plain Python
_INT = struct.Struct("!i")
# Format 9's block info: count, last document number, largest weight, deflate level, shortest and longest
# length bytes.
FRAME_INFO = struct.Struct("!IIdBBB")


def pickle_compact(obj: object) -> bytes:
    """Pickle protocol 3 without the memo: no 2-byte memo entry after every bytes value.

    Posting data is flat tuples of numbers and bytes, nothing is shared or
    recursive, so the memo only costs space.
    """
    out = io.BytesIO()
    pickler = pickle.Pickler(out, _PROTOCOL)
    pickler.fast = True
    pickler.dump(obj)
    return out.getvalue()


def compact_weights(weights: Sequence[float]) -> tuple[float, ...]:
    """Weights as a tuple, whole numbers as ints: 2 pickled bytes instead of 9."""
    return tuple(int(w) if float(w).is_integer() and 0 <= w < 256 else w for w in weights)


def inline_postings_bytes(ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes]) -> bytes:
    """The postings a term info holds inline, after W3's fixed head."""
    return pickle_compact((ids, compact_weights(weights), values))


def frame_block(databytes: bytes, count: int, lastid: int, maxweight: float, compression: int,
                minlength: int, maxlength: int, last: bool, checked: bool = True) -> bytes:
    """One block in W3's framing: its size (negative for a list's last block), the block info, the data.

    *checked* (format 9): the info is :data:`FRAME_INFO` behind the CRC-32
    of the size, the info and the data; otherwise (formats 7 and 8) W3's
    pickled info tuple.
    """
    if not checked:
        infobytes = pickle.dumps((count, lastid, maxweight, compression, minlength, maxlength), _PROTOCOL)
        size = len(infobytes) + len(databytes)
        return _INT.pack(-size if last else size) + infobytes + databytes
    body = FRAME_INFO.pack(count, lastid, maxweight, compression, minlength, maxlength) + databytes
    size = _CRC.size + len(body)
    sizebytes = _INT.pack(-size if last else size)
    return sizebytes + _CRC.pack(crc32(body, crc32(sizebytes))) + body


def read_frame(get: Any, pos: int, checked: bool) -> tuple[int, tuple[Any, ...], int, int, bytes | None]:
    """The block framed at *pos*: (size as written, info tuple, data offset, offset after the block, data).

    The data is given when it was read to verify it (format 9), else None.

    A format-9 frame's checksum is verified here (:class:`ChecksumError`);
    a format-8 frame's pickled info is read by the restricted unpickler.
    """
    sizebytes = bytes(get(pos, 4))
    size = _INT.unpack(sizebytes)[0]
    end = pos + 4 + abs(size)
    if not checked:
        framed = io.BytesIO(bytes(get(pos + 4, abs(size))))
        info = tuple(safe_load(framed))
        return size, info, pos + 4 + framed.tell(), end, None
    body = bytes(get(pos + 4, abs(size)))
    if len(body) < _CRC.size + FRAME_INFO.size or crc32(body[_CRC.size:], crc32(sizebytes)) != _CRC.unpack_from(
            body)[0]:
        raise ChecksumError(f"a posting block at {pos} fails its checksum")
    head = _CRC.size + FRAME_INFO.size
    return size, FRAME_INFO.unpack_from(body, _CRC.size), pos + 4 + head, end, body[head:]


class _PostFile(Protocol):
    def get(self, position: int, length: int) -> bytes: ...


def block_frames(postfile: _PostFile, offset: int, checked: bool = False) -> Iterator[tuple[int, bytes]]:
    """The blocks of the list at *offset* of a postings file: (posting count, data inflated if its info says).

    (The extent's length in a term info is unusable: W3TermInfo.from_bytes
    leaves it a tuple. The last block says it is the last.) *checked*: the
    postings file is format 9's, each block's checksum verified.
    """
    pos = offset + 4  # after the W3 header tag
    while True:
        size, info, start, end, data = read_frame(postfile.get, pos, checked)
        count, compression = info[0], info[3]
        if data is None:
            data = postfile.get(start, end - start)
        if compression:
            data = zlib.decompress(data)
        yield count, data
        pos = end
        if size < 0:
            break


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


def _head_numpy(ids: Sequence[int] | Int64s, weights: Sequence[float] | npt.NDArray[Any]) -> tuple[int, bytes, int]:
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
    """One block of postings in the packed array layout (see the module docstring).

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
        elif all(float(w).is_integer() and 0 <= w < 256 for w in weights):
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


def pack_arrays(ids: Int64s, weights: npt.NDArray[Any], lengths: Int64s | None, data: bytes | None,
                level: int) -> bytes:
    """The block :func:`pack_block` makes of the same postings, from arrays.

    A merge holds a list as arrays: ascending *ids*, float32 *weights*, and
    the values as their *lengths* and their bytes end to end (*data*), or
    None for a field without values; no per-posting Python object is made.
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
        # Positions are left as they are (the _F_VALUES_DEFLATED flag is never
        # set now): deflate saves only a fifth of them, and inflating the
        # blocks of a query's candidates was ~2.5 ms of a query on the whole corpus.
        tail = lengths + (data or b"")
        flags |= _F_VALUES
    else:
        vw = 0
    return bytes((BLOCK_TAG, flags, vw or 0)) + varint(n) + varint(len(head)) + head + tail


class PackedValues(Sequence[bytes]):
    """The values part of a packed block, inflated and cut up on first use."""

    __slots__ = ("_raw", "_count", "_width", "_deflated", "_data", "_offsets")

    def __init__(self, raw: bytes, count: int, width: int, deflated: bool) -> None:
        self._raw, self._count, self._width, self._deflated = raw, count, width, deflated
        self._data = b""
        self._offsets: Int64s | None = None

    def __len__(self) -> int:
        return self._count

    def _cut(self) -> Int64s:
        """Each value's offset in the data (behind the lengths; one more at the end), inflating on first use."""
        offsets = self._offsets
        if offsets is None:
            # The in-band flag of version 7: values deflated by older writers.
            raw = zlib.decompress(self._raw) if self._deflated else self._raw
            dtype = np.dtype(_WIDTHS[self._width])
            offsets = np.zeros(self._count + 1, dtype=np.int64)
            np.cumsum(np.frombuffer(raw, dtype=dtype, count=self._count), out=offsets[1:])
            offsets += self._count * dtype.itemsize
            self._offsets, self._data = offsets, raw
        return offsets

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._count))]
        offsets = self._cut()
        return self._data[offsets[i]: offsets[i + 1]]

    def packed(self) -> tuple[bytes, npt.NDArray[Any]] | None:
        """The block's values part as stored (lengths, then the values end to end) and the lengths (a view).

        None when the values are deflated (version 7's in-band flag): then only
        :meth:`arrays` reads them. Lets a list's reader lay many blocks end to
        end without cutting each one up (:class:`vnsearch.store.postings.Values`).
        """
        if self._deflated:
            return None
        return self._raw, np.frombuffer(self._raw, dtype=np.dtype(_WIDTHS[self._width]), count=self._count)

    def arrays(self) -> tuple[npt.NDArray[np.uint8], Int64s]:
        """The values' bytes (behind their lengths) as uint8, and each value's offset in them."""
        offsets = self._cut()
        return np.frombuffer(self._data, dtype=np.uint8), offsets

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(self._count))


Weights = npt.NDArray[Any] | float | None


def unpack_block(data: bytes) -> tuple[npt.NDArray[Any], Weights, PackedValues | None]:
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
    weights: Weights
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


def block_values(data: bytes) -> Sequence[bytes] | None:
    """A block's values alone, as :func:`block_arrays` gives them, without inflating its head.

    What a phrase or the proximity step reads of a list whose documents and
    weights came from the impacts file.
    """
    if data[0] != BLOCK_TAG:
        return block_arrays(data)[2]
    flags, vw = data[1], data[2]
    n, pos = read_varint(data, 3)
    size, pos = read_varint(data, pos)
    if not flags & _F_VALUES:
        return None
    return PackedValues(data[pos + size:], n, vw, bool(flags & _F_VALUES_DEFLATED))


def block_arrays(data: bytes) -> tuple[npt.NDArray[Any], Weights, Sequence[bytes] | None]:
    """A block's data (inflated if its info says so) as :func:`unpack_block` gives it.

    Reads W3's own pickled blocks too (indexes written with Whoosh's codec):
    ids as gaps, weights None (all 1.0), one float (all alike) or one per
    posting, values a tuple (a field of fixed-size values, which vnsearch
    does not have, reads as none).
    """
    if data[0] == BLOCK_TAG:
        return unpack_block(data)
    gaps, weights, values = safe_loads(data)
    if isinstance(weights, tuple):
        weights = np.asarray(weights, dtype=np.float32)
    if values is not None and not isinstance(values, tuple):
        values = None
    return np.asarray(gaps, dtype=np.int64), weights, values


# -- the term table -------------------------------------------------------------------------

TERM_BLOCK_BYTES = 2048  # raw bytes of term entries per deflated block of the term dictionary
TERMS_MAGIC = b"VNT2"  # format 9: blocks and trailer with checksums
TERMS_MAGIC_8 = b"VNT1"  # formats 7 and 8
TERM_INFO_HEAD = struct.Struct("!BfIBBfII")  # W3's term info head (W3TermInfo._struct), see the module docstring
WEIGHT_AND_DF = struct.Struct("!fI")  # at offset 1 of a W3 term info
_LONG = struct.Struct("!q")


class _DbFile(Protocol):
    def write(self, data: bytes, /) -> Any: ...
    def tell(self) -> int: ...
    def close(self) -> None: ...


class TermTableWriter:
    """The term dictionary as a sorted table in deflated blocks.

    Whoosh's W3 dictionary is an on-disk hash (CDB-style): ~36 bytes of
    overhead per term, for a news index more than the postings themselves.
    Here the (sorted) entries are packed ``varint(len) key varint(len)
    value`` into blocks of about :data:`TERM_BLOCK_BYTES`, each deflated; a
    lookup bisects the blocks' first keys (kept in memory) and decodes one
    block. Takes the calls Whoosh's ``OrderedHashWriter`` takes (``add``,
    ``extras``, ``close``). *checked* (format 9, :data:`TERMS_MAGIC`): each
    block behind its CRC-32, and a trailer without pickles with its own;
    otherwise format 8's (:data:`TERMS_MAGIC_8`).
    """

    def __init__(self, dbfile: _DbFile, checked: bool = True) -> None:
        self.dbfile = dbfile
        self.checked = checked
        self.extras: dict[str, Any] = {}
        self._firstkeys: list[bytes] = []
        self._offsets: list[int] = []
        self._block = bytearray()
        self._blockfirst: bytes | None = None
        self._lastkey = b""
        dbfile.write(TERMS_MAGIC if checked else TERMS_MAGIC_8)

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
        packed = zlib.compress(bytes(self._block), COMPRESSION)
        if self.checked:
            packed = _CRC.pack(crc32(packed)) + packed
        self.dbfile.write(packed)
        self._block = bytearray()
        self._blockfirst = None

    def close(self) -> None:
        self._flush()
        dbfile = self.dbfile
        self._offsets.append(dbfile.tell())  # the end of the last block
        where = dbfile.tell()
        if self.checked:
            trailer = _term_trailer(self.extras, self._firstkeys, self._offsets)
            dbfile.write(trailer + _CRC.pack(crc32(trailer)))
        else:
            dbfile.write(zlib.compress(pickle.dumps((self.extras, self._firstkeys, self._offsets), _PROTOCOL),
                                       COMPRESSION))
        dbfile.write(_LONG.pack(where))
        dbfile.close()


def _term_trailer(extras: dict[str, Any], firstkeys: Sequence[bytes], offsets: Sequence[int]) -> bytes:
    """Format 9's term-table trailer (see the module docstring)."""
    meta = json.dumps(extras, sort_keys=True, separators=(",", ":")).encode("utf-8")
    out = bytearray(varint(len(meta)) + meta + varint(len(firstkeys)))
    for key in firstkeys:
        out += varint(len(key)) + key
    for offset in offsets:
        out += varint(offset)
    return bytes(out)


def _read_term_trailer(data: bytes) -> tuple[dict[str, Any], list[bytes], list[int]]:
    # Read by every process that opens the index, once per block of the table
    # (10,000 blocks for 35,000 articles): the key sizes' varints read inline
    # when one byte long (nearly all are), the block offsets all at once.
    size, pos = read_varint(data, 0)
    extras = json.loads(data[pos: pos + size].decode("utf-8"))
    pos += size
    count, pos = read_varint(data, pos)
    firstkeys: list[bytes] = []
    append = firstkeys.append
    for _ in range(count):
        size = data[pos]
        if size < 0x80:
            pos += 1
        else:
            size, pos = read_varint(data, pos)
        append(data[pos: pos + size])
        pos += size
    offsets, pos = _read_varints(data, pos, count + 1)
    if pos != len(data) or not isinstance(extras, dict):
        raise ChecksumError("the term table's trailer is damaged")
    return extras, firstkeys, offsets


def _read_varints(data: bytes, pos: int, count: int) -> tuple[list[int], int]:
    """*count* unsigned varints from *pos* of *data* (as :func:`read_varint` reads them), and the position after.

    Decoded with numpy; a varint longer than nine bytes (beyond 63 bits, which
    nothing here writes) is read by :func:`read_varint`.
    """
    raw = np.frombuffer(data, dtype=np.uint8, offset=pos)
    ends = np.flatnonzero(raw < 0x80)[:count]  # the last byte of each
    if ends.size < count:
        raise ChecksumError("the term table's trailer is damaged")
    if count == 0:
        return [], pos
    starts = np.empty(count, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if int(lengths.max()) > 9:
        values = []
        for _ in range(count):
            value, pos = read_varint(data, pos)
            values.append(value)
        return values, pos
    total = int(ends[-1]) + 1
    shifts = (np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)) * 7
    parts = (raw[:total] & 0x7F).astype(np.uint64) << shifts.astype(np.uint64)
    return [int(v) for v in np.add.reduceat(parts, starts)], pos + total


def read_term_table_trailer(get: Any, length: int) -> tuple[dict[str, Any], list[bytes], list[int]]:
    """``(extras, first keys, block offsets)`` of a term table of *length* bytes; *get(offset, size)* reads it.

    A format-9 table's trailer is verified here (its blocks are, as each is
    decoded: :func:`decode_term_block` with ``checked``); a format-8 table's
    is read by the restricted unpickler.
    """
    magic = bytes(get(0, 4))
    if magic not in (TERMS_MAGIC, TERMS_MAGIC_8):
        raise ValueError("not a vnsearch term dictionary")
    where = _LONG.unpack(bytes(get(length - 8, 8)))[0]
    if not 4 <= where <= length - 8:
        raise ChecksumError("the term table's trailer is damaged")
    if magic == TERMS_MAGIC_8:
        extras, firstkeys, offsets = safe_loads(zlib.decompress(get(where, length - 8 - where)))
        return extras, firstkeys, offsets
    body = bytes(get(where, length - 8 - where))
    if len(body) < _CRC.size or crc32(body[:-_CRC.size]) != _CRC.unpack_from(body, len(body) - _CRC.size)[0]:
        raise ChecksumError("the term table's trailer fails its checksum")
    return _read_term_trailer(body[:-_CRC.size])


def term_table_checked(get: Any) -> bool:
    """Whether the term table read by *get* is format 9's (blocks with checksums)."""
    return bytes(get(0, 4)) == TERMS_MAGIC


def decode_term_block(compressed: bytes, checked: bool = False) -> tuple[list[bytes], dict[bytes, bytes]]:
    """One deflated block of the term table: its keys in order, and key -> term info bytes."""
    if checked:
        if len(compressed) < _CRC.size or crc32(compressed[_CRC.size:]) != _CRC.unpack_from(compressed)[0]:
            raise ChecksumError("a block of the term table fails its checksum")
        compressed = compressed[_CRC.size:]
    raw = zlib.decompress(compressed)
    keys: list[bytes] = []
    table: dict[bytes, bytes] = {}
    pos, n = 0, len(raw)
    # Every lookup of a term not read before decodes its block, a hundred and
    # more for a query's first search: the sizes' varints, nearly all one
    # byte long, are read inline.
    while pos < n:
        size = raw[pos]
        if size < 0x80:
            pos += 1
        else:
            size, pos = read_varint(raw, pos)
        key = raw[pos: pos + size]
        pos += size
        size = raw[pos]
        if size < 0x80:
            pos += 1
        else:
            size, pos = read_varint(raw, pos)
        keys.append(key)
        table[key] = raw[pos: pos + size]
        pos += size
    return keys, table


# -- stored fields ----------------------------------------------------------------------------

# One tag byte, then the deflated pickle. Tag 0: plain deflate (Whoosh's own
# way); tag 1: deflate with stored.zdict as preset dictionary; tag 2 (format
# 9): as 1, with the CRC-32 of the deflated bytes between tag and data. A new
# dictionary needs a new tag, so indexes written with the old one still read.
_PLAIN, _ZDICT1, _ZDICT1_CRC = 0, 1, 2


@cache
def _zdict() -> bytes:
    """stored.zdict's bytes, read on first use.

    Beside this module when the package is installed as files (always, with
    setuptools); importlib.resources (which imports zipfile: ~0.01 s of a
    command's CPU) only for a package imported from a zip.
    """
    beside = Path(__file__).with_name("stored.zdict")
    if beside.is_file():
        return beside.read_bytes()
    from importlib import resources

    return resources.files("vnsearch.store").joinpath("stored.zdict").read_bytes()


def pack_stored(fields: dict[str, Any]) -> bytes:
    """One document's stored fields as written: tag byte, CRC-32, pickle deflated with the dictionary."""
    packer = zlib.compressobj(COMPRESSION, zdict=_zdict())
    packed = packer.compress(pickle.dumps(fields, _PROTOCOL)) + packer.flush()
    return bytes((_ZDICT1_CRC,)) + _CRC.pack(crc32(packed)) + packed


def unpack_stored(data: bytes, checked: bool = False) -> dict[str, Any]:
    """The stored fields :func:`pack_stored` wrote (raises ``zlib.error`` / ``ValueError`` if damaged).

    *checked* (a format-9 segment): the record must carry its checksum.
    """
    if not data:
        raise ChecksumError("a stored article is missing")
    tag = data[0]
    if tag == _ZDICT1_CRC:
        data = checked_stored(data)[_CRC.size:]
    elif checked:
        raise ChecksumError(f"a stored article has no checksum (format {tag})")
    if tag in (_ZDICT1, _ZDICT1_CRC):
        unpacker = zlib.decompressobj(zdict=_zdict())
        raw = unpacker.decompress(data[1:]) + unpacker.flush()
    elif tag == _PLAIN:
        raw = zlib.decompress(data[1:])
    else:
        raise ValueError(f"unknown stored-field format {tag}")
    fields = safe_loads(raw)
    if not isinstance(fields, dict):
        raise ValueError("a stored article is not a record")
    return fields


def checked_stored(data: bytes) -> bytes:
    """A stored record as format 9 writes it: verified if it has a checksum, packed again with one if not."""
    if data and data[0] == _ZDICT1_CRC:
        if len(data) < 1 + _CRC.size or crc32(data[1 + _CRC.size:]) != _CRC.unpack_from(data, 1)[0]:
            raise ChecksumError("a stored article fails its checksum")
        return data
    return pack_stored(unpack_stored(data))


# -- MinHash signatures and length bytes --------------------------------------------------------

SIGNATURE_BYTES = 32 * 4  # 32 hashes of 32 bits (see vnsearch.store.signature)


def signature_bytes(signature: npt.NDArray[np.uint64]) -> bytes:
    """How a signature is stored: the low 32 bits of each hash (native order: little-endian machines)."""
    return signature.astype(np.uint32).tobytes()


def signature_of(stored: bytes | None) -> npt.NDArray[np.uint32] | None:
    """The signature stored with an article (None for one indexed without it)."""
    if not stored or len(stored) != SIGNATURE_BYTES or not any(stored):
        return None  # the column's default for a document without one is all zero bytes
    return np.frombuffer(stored, dtype=np.uint32)


def length_byte(length: int | None) -> int:
    """A field length as the one byte Whoosh stores (logarithmic above small lengths)."""
    byte: int = length_to_byte(length)
    return byte


LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)  # byte -> length


# -- impacts (format 10) -------------------------------------------------------------------
#
# Why: a query reads the lists of every syllable on every tier (exact, folded, title, the other
# tones, the other spellings): ~200k postings a query on the whole corpus, and reading them from
# ``.pst`` (a term-table lookup inflating a block, then per block a frame, a checksum, an inflated
# head) was half of the ranking's time. The impacts file holds the same documents and weights as
# plain arrays, read with one slice and one cumulative sum per list and no inflating; positions
# are not held here, but read when a phrase or proximity asks for them: from ``.pst`` in format 10,
# from the positions file (``.pos``, see "positions (format 11)") or the term info's inline list in 11.

IMPACTS_EXT = ".imp"
IMPACTS_MAGIC = b"VNI1"
IMPACT_FIELDS = ("text", "text_f", "title_f")  # the fields the ranker scores
# The trailer: directory offset, term count, CRC-32 of the directory, magic.
IMPACTS_TRAILER = struct.Struct("<QII4s")
# Weight kinds: all 1, u1 of twice the weight, <f4 each, u1 codes into a table of <f4.
_I_ONES, _I_HALVES, _I_FLOATS, _I_TABLE = range(4)
_I_VALUES = 0x10  # the list has positions (in .pst in format 10; in .pos or inline in 11)
_LE_CRC = struct.Struct("<I")
_ID_DTYPES = tuple(np.dtype(w) for w in _WIDTHS)  # unpack_impacts: a list's gaps, by width code


def impact_key(fieldname: str, tbytes: bytes) -> bytes:
    """A term's key in the impacts directory: the field name, a 0 byte, the term's UTF-8 bytes."""
    return fieldname.encode("utf-8") + b"\x00" + tbytes


def pack_impacts(ids: Int64s, weights: npt.NDArray[Any]) -> tuple[int, bytes]:
    """One list of the impacts file: (its flags byte, its bytes with their CRC-32).

    The document-number gaps (the first from 0) as little-endian ``u1``/``u2``/``u4``
    (flags bits 0-1), then the weights (bits 2-3): nothing (all 1), ``u1`` of twice
    each weight (every weight a whole number or a half below 128: the folded
    fields' zone weights 3, 1.5 and 1 sum to those), ``<f4`` each, or (kind 3,
    at most 256 distinct weights) ``u1`` (their count - 1), the distinct
    weights as ascending ``<f4`` and one ``u1`` index into them per posting;
    then the CRC-32 (``<I``) of those bytes.
    """
    gaps = np.diff(np.asarray(ids, dtype=np.int64), prepend=0)
    code = _width_code(int(gaps.max()) if gaps.size else 0)
    body = gaps.astype(_WIDTHS[code]).tobytes()
    w = np.asarray(weights, dtype=np.float32)
    twice = w * np.float32(2)
    if (w == 1).all():
        kind = _I_ONES
    elif ((twice >= 0) & (twice < 256) & (twice == np.floor(twice))).all():
        kind, body = _I_HALVES, body + twice.astype(np.uint8).tobytes()
    else:
        table = np.unique(w)
        if len(table) <= 256:
            codes = np.searchsorted(table, w).astype(np.uint8)
            kind, body = _I_TABLE, body + bytes((len(table) - 1,)) + table.astype("<f4").tobytes() + codes.tobytes()
        else:
            kind, body = _I_FLOATS, body + w.astype("<f4").tobytes()
    return code | kind << 2, body + _LE_CRC.pack(crc32(body))


# Lists up to this long are packed by pack_impacts_small: most lists of a segment
# hold a posting or two, where numpy's calls cost more than the work.
SMALL_IMPACTS = 8
_INT_CODES = "BHI"  # struct codes of _WIDTHS


def pack_impacts_small(ids: Sequence[int], weights: Sequence[float]) -> tuple[int, bytes] | None:
    """:func:`pack_impacts` of a short list (up to :data:`SMALL_IMPACTS`) in plain Python: the same bytes.

    The weights are rounded to float32 as numpy's ``astype`` does (``array('f')``,
    the same C conversion); doubling a float32 is exact in a double. Returns
    None, leaving the list to :func:`pack_impacts`, for anything out of the
    ordinary: a longer or empty list, ids not ascending from 0, a weight that is
    not a positive finite number.
    """
    n = len(ids)
    if not 0 < n <= SMALL_IMPACTS or len(weights) != n:
        return None
    gaps = [ids[0], *map(operator.sub, ids[1:], ids[:-1])]
    if min(gaps) < 0 or max(gaps) >= 1 << 32:
        return None
    code = _width_code(max(gaps))
    body = struct.pack(f"<{n}{_INT_CODES[code]}", *gaps)
    w = array("f", weights).tolist()
    if not all(0 < x < math.inf for x in w):
        return None
    if all(x == 1 for x in w):
        kind = _I_ONES
    else:
        twice = [x * 2 for x in w]
        if all(t < 256 and t.is_integer() for t in twice):
            kind = _I_HALVES
            body += bytes(map(int, twice))
        else:
            table = sorted(set(w))
            index = {x: i for i, x in enumerate(table)}
            kind = _I_TABLE
            body += bytes((len(table) - 1,)) + struct.pack(f"<{len(table)}f", *table) + bytes(map(index.__getitem__, w))
    return code | kind << 2, body + _LE_CRC.pack(crc32(body))


def pack_impacts_many(edges: Int64s, ids: Int64s, weights: npt.NDArray[Any]
                      ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], bytes] | None:
    """:func:`pack_impacts` of many lists at once: (flags, each list's end, the lists' bytes end to end).

    List *k* is ``ids[edges[k]:edges[k + 1]]`` with its weights. Why: a
    segment's flush and merge write one list per term, ~70 per article, and
    packing each with its own calls (numpy's or plain Python's) was the
    largest piece of the writing process; here every list of a field is
    packed by a few numpy passes over all its postings, and only the CRC-32s
    are taken one list at a time. The bytes are :func:`pack_impacts`' for
    each list. Returns None, leaving the lists to the one-by-one path, for
    anything out of the ordinary: an empty list, ids not ascending from 0 in
    a list or not below 2**32, a weight that is not a positive finite number.
    """
    edges = np.asarray(edges, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float32)
    counts = np.diff(edges)
    nlists, total = len(counts), len(ids)
    if (nlists == 0 or edges[0] != 0 or edges[-1] != total or len(w) != total or not (counts > 0).all()
            or not (np.isfinite(w) & (w > 0)).all()):
        return None
    starts = edges[:-1]
    owner = np.repeat(np.arange(nlists, dtype=np.int64), counts)  # each posting's list
    within = np.arange(total, dtype=np.int64) - starts[owner]  # its place in the list
    gaps = np.diff(ids, prepend=0)
    gaps[starts] = ids[starts]
    if gaps.min() < 0 or ids.max() >= 1 << 32:
        return None
    largest = np.maximum.reduceat(gaps, starts)
    code = np.where(largest < 0x100, 0, np.where(largest < 0x10000, 1, 2)).astype(np.int64)
    width = np.array([1, 2, 4], dtype=np.int64)[code]
    # Weight kinds, as pack_impacts chooses them.
    twice = w * np.float32(2)
    ones = np.minimum.reduceat((w == 1).astype(np.int8), starts).astype(bool)
    halves = np.minimum.reduceat(((twice < 256) & (twice == np.floor(twice))).astype(np.int8), starts).astype(bool)
    kind = np.where(ones, _I_ONES, np.where(halves, _I_HALVES, _I_TABLE)).astype(np.int64)
    # Distinct weights of each table list: postings sorted by (list, weight).
    tabled = kind[owner] == _I_TABLE
    sizes = np.zeros(nlists, dtype=np.int64)
    picks = np.flatnonzero(tabled)
    order = picks[np.lexsort((w[picks], owner[picks]))]
    fresh = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        fresh[1:] = (owner[order[1:]] != owner[order[:-1]]) | (w[order[1:]] != w[order[:-1]])
    np.add.at(sizes, owner[order[fresh]], 1)
    kind[(kind == _I_TABLE) & (sizes > 256)] = _I_FLOATS
    tabled = kind[owner] == _I_TABLE
    weight_bytes = np.select([kind == _I_ONES, kind == _I_HALVES, kind == _I_TABLE],
                             [0, counts, 1 + 4 * sizes + counts], 4 * counts)
    body = counts * width + weight_bytes
    ends = np.cumsum(body + _LE_CRC.size)
    begins = ends - body - _LE_CRC.size
    out = np.zeros(int(ends[-1]) if nlists else 0, dtype=np.uint8)
    for c, dtype in enumerate(_WIDTHS):  # the gaps, as each list's width
        sel = np.flatnonzero(code[owner] == c)
        if len(sel):
            size = 1 << c
            raw = gaps[sel].astype(dtype).view(np.uint8)
            at = (begins[owner[sel]] + within[sel] * size)[:, None] + np.arange(size, dtype=np.int64)
            out[at.ravel()] = raw
    wstart = begins + counts * width  # where each list's weights start
    sel = np.flatnonzero(kind[owner] == _I_HALVES)
    out[wstart[owner[sel]] + within[sel]] = twice[sel].astype(np.uint8)
    sel = np.flatnonzero(kind[owner] == _I_FLOATS)
    if len(sel):
        at = (wstart[owner[sel]] + within[sel] * 4)[:, None] + np.arange(4, dtype=np.int64)
        out[at.ravel()] = w[sel].astype("<f4").view(np.uint8)
    if len(order):
        lists = np.flatnonzero(kind == _I_TABLE)
        out[wstart[lists]] = (sizes[lists] - 1).astype(np.uint8)
        keep = tabled[order]  # postings of lists still of the table kind, by (list, weight)
        order, fresh = order[keep], fresh[keep]
        rank = np.cumsum(fresh) - 1  # each posting's distinct weight, counted over all lists
        lead = order[fresh]  # one posting per distinct weight, in table order (rank k: lead[k])
        head = np.ones(len(lead), dtype=bool)  # the first distinct weight of its list
        head[1:] = owner[lead[1:]] != owner[lead[:-1]]
        first = np.zeros(nlists, dtype=np.int64)  # the rank of each list's first distinct weight
        first[owner[lead[head]]] = np.flatnonzero(head)
        local = rank - first[owner[order]]
        at = (wstart[owner[lead]] + 1 + 4 * local[fresh])[:, None] + np.arange(4, dtype=np.int64)
        out[at.ravel()] = w[lead].astype("<f4").view(np.uint8)
        out[wstart[owner[order]] + 1 + 4 * sizes[owner[order]] + within[order]] = local.astype(np.uint8)
    data = memoryview(out.data)
    crcs = np.fromiter(map(zlib.crc32, map(data.__getitem__, map(slice, begins.tolist(), (ends - 4).tolist()))),
                       dtype=np.uint32, count=nlists)
    out[((ends - 4)[:, None] + np.arange(4, dtype=np.int64)).ravel()] = crcs.astype("<u4").view(np.uint8)
    return code | kind << 2, ends, out.tobytes()


def unpack_impacts(data: bytes | memoryview, flags: int, count: int,
                   verify: bool = True) -> tuple[Int64s, npt.NDArray[np.float32]]:
    """A list :func:`pack_impacts` wrote: (document numbers, float32 weights), its checksum verified.

    ``verify=False``: the caller has verified these very bytes before (the
    reader of a mapped, never rewritten file, :class:`vnsearch.store.impacts.Impacts`);
    the lengths are still checked. The bytes are wrapped once and read through
    views: most lists are short, where each wrapping costs more than the work.
    """
    end = len(data) - _LE_CRC.size
    if end < 0 or (verify and crc32(data[:end]) != _LE_CRC.unpack_from(data, end)[0]):
        raise ChecksumError("a list of the impacts file fails its checksum")
    raw = np.frombuffer(data, dtype=np.uint8)
    idtype = _ID_DTYPES[flags & 3]
    at = count * idtype.itemsize
    kind = flags >> 2 & 3
    size = 0
    if kind == _I_TABLE:
        if at >= end:
            raise ValueError("a list of the impacts file has the wrong length")
        size = int(raw[at]) + 1
    need = at + (0, count, 4 * count, 1 + 4 * size + count)[kind]
    if need != end:
        raise ValueError("a list of the impacts file has the wrong length")
    ids = raw[:at].view(idtype).cumsum(dtype=np.int64)  # one pass: the deltas summed as int64
    if kind == _I_ONES:
        weights = np.ones(count, dtype=np.float32)
    elif kind == _I_HALVES:
        weights = np.multiply(raw[at:end], np.float32(0.5), dtype=np.float32)  # one pass; halving is exact
    elif kind == _I_TABLE:
        table = raw[at + 1: at + 1 + 4 * size].view("<f4").astype(np.float32)
        weights = table[raw[at + 1 + 4 * size: end]]
    else:
        weights = raw[at:end].view("<f4").astype(np.float32)
    return ids, weights


def impacts_directory(keys: Sequence[bytes], starts: Sequence[int], end: int, counts: Sequence[int],
                      flags: Sequence[int], offset: int) -> bytes:
    """The directory and trailer of an impacts file whose lists end at *end* (= *offset*, the directory's).

    Terms sorted by key (:func:`impact_key`): the keys' end offsets in the key
    bytes (``<u4`` each), the lists' offsets in the file (``<u8`` each, one more:
    *end*), their posting counts (``<u4``), their flags (``u1``; ``0x10``: the
    list has positions, held elsewhere), then the keys end to end; then
    :data:`IMPACTS_TRAILER`.
    """
    order = sorted(range(len(keys)), key=keys.__getitem__)
    blob = b"".join(keys[i] for i in order)
    ends = np.cumsum([len(keys[i]) for i in order], dtype=np.int64)
    parts = [ends.astype("<u4").tobytes(),
             np.array([starts[i] for i in order] + [end], dtype="<u8").tobytes(),
             np.array([counts[i] for i in order], dtype="<u4").tobytes(),
             np.array([flags[i] for i in order], dtype=np.uint8).tobytes(), blob]
    directory = b"".join(parts)
    return directory + IMPACTS_TRAILER.pack(offset, len(keys), crc32(directory), IMPACTS_MAGIC)


def read_impacts_trailer(data: bytes | memoryview) -> tuple[
        npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], memoryview, int]:
    """An impacts file's directory, its checksum verified: (key ends, list offsets, counts, flags, keys, n)."""
    view = memoryview(data)
    if len(view) < len(IMPACTS_MAGIC) + IMPACTS_TRAILER.size or bytes(view[:4]) != IMPACTS_MAGIC:
        raise ValueError("not an impacts file")
    offset, n, crc, magic = IMPACTS_TRAILER.unpack_from(view, len(view) - IMPACTS_TRAILER.size)
    directory = view[offset: len(view) - IMPACTS_TRAILER.size]
    if magic != IMPACTS_MAGIC or crc32(directory) != crc:
        raise ChecksumError("the directory of the impacts file fails its checksum")
    ends = np.frombuffer(directory, dtype="<u4", count=n)
    starts = np.frombuffer(directory, dtype="<u8", count=n + 1, offset=4 * n)
    counts = np.frombuffer(directory, dtype="<u4", count=n, offset=12 * n + 8)
    flags = np.frombuffer(directory, dtype=np.uint8, count=n, offset=16 * n + 8)
    keys = directory[17 * n + 8:]
    if n and int(ends[-1]) != len(keys):
        raise ValueError("the directory of the impacts file has the wrong length")
    return ends, starts, counts, flags, keys, n


# -- positions (format 11) -----------------------------------------------------------
#
# Why: proximity and phrase checks want the positions of a few hundred candidates of a list of
# thousands (every document, for a common syllable); in ``.pst`` a list's positions sit inside its
# frames of 1,024 postings, each read whole and checksummed whole, then laid end to end before the
# candidates' bytes could be picked. Here each list's positions are cut in blocks of
# POSITION_BLOCK postings behind a small directory, so a read verifies and gathers only the blocks
# its candidates fall in (Lucene's .pos and tantivy's positions likewise go in blocks of 128).

POSITIONS_EXT = ".pos"
POSITIONS_MAGIC = b"VNP1"
POSITION_BLOCK = 128  # postings per block of a positions list
# The trailer: directory offset, list count, CRC-32 of the directory, magic.
POSITIONS_TRAILER = struct.Struct("<QII4s")
POSITION_WIDTHS = _WIDTHS  # the value lengths' dtypes, by a list's width code


def position_blocks(count: int) -> int:
    """How many blocks a positions list of *count* postings has."""
    return -(-count // POSITION_BLOCK)


def position_list_head_size(count: int) -> int:
    """Bytes of a positions list's head (:func:`pack_position_list`) before its blocks."""
    return _LE_CRC.size + 1 + 8 * position_blocks(count)


def pack_position_list(lengths: Sequence[int] | Int64s, data: bytes) -> bytes:
    """One list of the positions file: each posting's encoded positions (:func:`encode_positions`).

    *lengths* are the values' lengths, *data* the values end to end. Layout:
    the CRC-32 (``<I``) of the rest of the head, a width code (0-2: the values'
    lengths as ``u1``/``u2``/``u4``), then per block of :data:`POSITION_BLOCK`
    postings its end (``<u4``, from the end of the head) and, after all the
    ends, per block the CRC-32 (``<u4``) of its bytes; then the blocks end to
    end, each its postings' value lengths followed by their values. The
    posting count is the directory's (:func:`positions_directory`).
    """
    n = len(lengths)
    if n <= POSITION_BLOCK:  # most lists: one block, in plain Python
        ints = lengths.tolist() if isinstance(lengths, np.ndarray) else list(lengths)
        code, packed = _packed_ints(ints) if n else (0, b"")
        block = packed + data
        rest = bytes((code,)) + _LE_CRC.pack(len(block)) + _LE_CRC.pack(crc32(block))
        return _LE_CRC.pack(crc32(rest)) + rest + block
    arr = np.asarray(lengths, dtype=np.int64)
    code = _width_code(int(arr.max()))
    widths = arr.astype(_WIDTHS[code])
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(arr, out=offsets[1:])
    bounds = offsets[::POSITION_BLOCK].tolist()
    if n % POSITION_BLOCK:
        bounds.append(int(offsets[-1]))
    blocks = []
    for b in range(len(bounds) - 1):
        a = b * POSITION_BLOCK
        blocks.append(widths[a: a + POSITION_BLOCK].tobytes() + data[bounds[b]: bounds[b + 1]])
    ends = np.cumsum([len(block) for block in blocks], dtype=np.int64)
    crcs = np.array([crc32(block) for block in blocks], dtype=np.int64)
    rest = bytes((code,)) + ends.astype("<u4").tobytes() + crcs.astype("<u4").tobytes()
    return _LE_CRC.pack(crc32(rest)) + rest + b"".join(blocks)


def read_position_list_head(data: bytes | memoryview, count: int) -> tuple[int, Int64s, npt.NDArray[Any]]:
    """A positions list's head, its checksum verified: (width code, block ends from the head's end, block CRCs)."""
    nb = position_blocks(count)
    size = position_list_head_size(count)
    if len(data) < size:
        raise ChecksumError("a list of the positions file is cut short")
    head = data[_LE_CRC.size: size]
    if crc32(head) != _LE_CRC.unpack_from(data, 0)[0]:
        raise ChecksumError("a list of the positions file fails its checksum (its head)")
    code = head[0]
    if code > 2:
        raise ValueError("a list of the positions file has an unknown width")
    ends = np.frombuffer(head, dtype="<u4", count=nb, offset=1).astype(np.int64)
    crcs = np.frombuffer(head, dtype="<u4", count=nb, offset=1 + 4 * nb)
    if nb and (int(ends[-1]) != len(data) - size or (np.diff(ends) <= 0).any() or int(ends[0]) <= 0):
        raise ValueError("a list of the positions file has the wrong length")
    return code, ends, crcs


def verify_position_block(data: bytes | memoryview, start: int, end: int, crc: int) -> None:
    """Raise :class:`ChecksumError` unless ``data[start:end]``, a block of a positions list, matches *crc*."""
    if crc32(data[start:end]) != crc:
        raise ChecksumError("a block of the positions file fails its checksum")


def positions_directory(keys: Sequence[bytes], starts: Sequence[int], end: int, counts: Sequence[int],
                        offset: int) -> bytes:
    """The directory and trailer of a positions file whose lists end at *end* (= *offset*, the directory's).

    Keys as the impacts file's (:func:`impact_key`), in ascending order (the
    lists are written in it): the keys' end offsets in the key bytes
    (``<u4`` each), the lists' offsets in the file (``<u8`` each, one more:
    *end*), their posting counts (``<u4``), then the keys end to end; then
    :data:`POSITIONS_TRAILER`.
    """
    ends = np.cumsum([len(k) for k in keys], dtype=np.int64)
    directory = b"".join([ends.astype("<u4").tobytes(), np.array([*starts, end], dtype="<u8").tobytes(),
                          np.array(counts, dtype="<u4").tobytes(), *keys])
    return directory + POSITIONS_TRAILER.pack(offset, len(keys), crc32(directory), POSITIONS_MAGIC)


def read_positions_directory(data: bytes | memoryview) -> tuple[Int64s, Int64s, Int64s, memoryview, int]:
    """A positions file's directory, its checksum verified: (key ends, list offsets, counts, keys, n)."""
    view = memoryview(data)
    if len(view) < len(POSITIONS_MAGIC) + POSITIONS_TRAILER.size or bytes(view[:4]) != POSITIONS_MAGIC:
        raise ChecksumError("not a positions file")
    offset, n, crc, magic = POSITIONS_TRAILER.unpack_from(view, len(view) - POSITIONS_TRAILER.size)
    if magic != POSITIONS_MAGIC or not 4 <= offset <= len(view) - POSITIONS_TRAILER.size:
        raise ChecksumError("the positions file's trailer is damaged")
    directory = view[offset: len(view) - POSITIONS_TRAILER.size]
    if crc32(directory) != crc or len(directory) < 16 * n + 8:
        raise ChecksumError("the directory of the positions file fails its checksum")
    ends = np.frombuffer(directory, dtype="<u4", count=n).astype(np.int64)
    starts = np.frombuffer(directory, dtype="<u8", count=n + 1, offset=4 * n).astype(np.int64)
    counts = np.frombuffer(directory, dtype="<u4", count=n, offset=12 * n + 8).astype(np.int64)
    keys = directory[16 * n + 8:]
    if (n and int(ends[-1]) != len(keys)) or int(starts[-1]) != offset or (n and int(starts[0]) < 4) \
            or (np.diff(starts) < 0).any():
        raise ValueError("the directory of the positions file has the wrong length")
    return ends, starts, counts, keys, n


# -- a sharded index (vnsearch.store.sharding, vnsearch.store.statistics) ------------------------
#
# A sharded index is a directory of ordinary indexes (each in the layouts above) and two kinds of
# files of its own; neither changes any byte of a shard, so FORMAT_VERSION does not cover them.
#
# vnsearch-shards.json   the manifest, JSON, replaced whole by a rename:
#     {"format": "vnsearch-sharded", "version": 1,     (MANIFEST_FORMAT, MANIFEST_VERSION)
#      "shards": S,                                      shard-000 … shard-{S-1:03d}, fixed at creation
#      "hash": "blake2b-8/nfc-id",                       shard = int.from_bytes(blake2b(NFC(id), 8 bytes),
#                                                        "big") % S
#      "statistics": N,                                  the current statistics file's version
#      "shard_segments": [["id:live", …] per shard]}     the shards' segments when it was merged
# statistics-NNNNNN.npz  the merged statistics, a numpy .npz (zip of .npy arrays):
#     header                 uint8, UTF-8 JSON: {"format": "vnsearch-statistics", "version": 1,
#                            "snapshot": N, "doc_count", "length_sums": {field: float64 sum},
#                            "newest"/"oldest": days since 1970 or null, "fields": [...]}
#     df.FIELD.terms         uint8, UTF-8 terms joined by "\n", sorted (text, text_f, title_f)
#     df.FIELD.counts        int64, documents per term, parallel to the terms
#     tones.terms/.counts    per held syllable: documents holding another tone of it
#     families.terms/.counts per toneless form: documents holding any tone of it
# partial-NNN-STATE.npz  shard NNN's own share, in the same layout; STATE is blake2b (8 bytes, hex) of
#                        its "id:live" segments, sorted, joined by spaces (a cache: deleting it costs a re-read)
