"""The Whoosh schema: what an indexed article holds.

The three text zones (title, lead, body) share two indexed fields:

* ``text`` — exact canonical syllables and the segmenter's multi-syllable
  words, each posting weighted by zone (a title occurrence counts more than a
  body one) and a syllable inside a longer word less than a syllable that is
  a word by itself (``bát`` ranks an article about bát above one about lục
  bát); no positions, since it only scores.
* ``text_f`` — accent-folded syllables with positions
  (:class:`CompactPositions`), so ``ha noi`` finds ``Hà Nội`` and phrase and
  proximity checks work whatever the diacritics.
  Each zone starts at its own position offset (:data:`ZONE_OFFSET`), so a
  position also tells which zone it is in and phrases never span two zones.
* ``title_f`` — the title's folded syllables again, with the title's own
  length normalisation: known-item searches are mostly for words of a
  headline, and a short title holding them is the best evidence there is.

One field per tier rather than per zone and tier keeps the index small (each
term costs its dictionary entry, and a list of more than a few postings a
block of its own) and a query to two
posting-list reads per syllable. The original text is stored for display and
snippets, exactly as given; :mod:`vnsearch.store.codec` writes it (deflated with a
preset dictionary), the postings and the term dictionary in a more compact form
than Whoosh's W3 codec, and the engine opens every writer with that codec. The
MinHash signature used to group near-duplicates is a fixed-width column, not a
stored field. The zones are analysed once, outside Whoosh (see
:mod:`vnsearch.store.indexing`), and handed over as ready-made term maps, so the
costly segmentation never runs twice for one article.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from whoosh import columns, fields, formats
from whoosh.analysis import LowercaseFilter, RegexTokenizer

from vnsearch.lang.text import fold_all
from vnsearch.store.format import (
    FORMAT_VERSION,
    SIGNATURE_BYTES,
    ZONE_OFFSET,
    decode_positions,
    encode_positions,
    encode_positions_many,
    read_varint,
)

__all__ = ["ZONES", "ZONE_WEIGHTS", "ZONE_OFFSET", "SCHEMA_VERSION", "SIGNATURE_BYTES", "Weighted", "CompactPositions",
           "PreAnalyzed", "EncodedTerms", "encode_terms", "encode_positions", "make_schema",
           "facet_value", "FORMAT_VERSION", "read_varint", "decode_positions"]

ZONES = ("title", "lead", "body")
# How much one occurrence counts in each zone (BM25F-style field weights),
# tuned on bench/relevance.py.
ZONE_WEIGHTS = (3.0, 1.5, 1.0)
# The format version (see vnsearch.store.format): bumped whenever the analysis,
# the fields or a byte layout change; an index written by another version must be
# rebuilt, and we say so instead of returning wrong results.
SCHEMA_VERSION = FORMAT_VERSION


class Weighted(formats.Format):
    """Postings with a weight and nothing else (no positions, no value bytes)."""

    posting_size = 0

    def __init__(self, field_boost: float = 1.0, **options: Any) -> None:
        self.field_boost = field_boost
        self.options = options

    def fixed_value_size(self) -> int:
        return 0

    def encode(self, value: object) -> bytes:
        return b""

    def decode_frequency(self, valuestring: bytes) -> int:
        return 1

    def decode_weight(self, valuestring: bytes) -> float:
        return self.field_boost


class CompactPositions(formats.Positions):
    """Positions as varint gaps within a zone: a fraction of Whoosh's pickled lists.

    The layout and its decoders live in :mod:`vnsearch.store.format`
    (:func:`~vnsearch.store.format.encode_positions`); this is the Whoosh field
    format that calls them, and its class path is pickled into every index.

    Positions are sorted, so a gap is a plain unsigned varint (most take one
    byte). The zone offsets (:data:`ZONE_OFFSET`, millions) would make the
    first gap into the lead or body a 4-byte varint; instead a ``0`` byte
    (never a gap: positions are distinct) announces a new zone, followed by
    one varint of ``position_in_zone << 2 | zones_skipped``. The first
    position of the title is its gap from -1.
    """

    def encode(self, poslist: Sequence[int]) -> bytes:
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(self.decode_positions(valuestring))


class EncodedTerms:
    """A term map already turned into Whoosh postings, kept as columns.

    Iterating gives Whoosh's postings, ``(term bytes, count, weight, value
    bytes)``. Worker processes encode their term maps (see
    :func:`encode_terms`), so the single parent process that writes the
    index only passes the postings on; the columns travel between the
    processes as a few flat byte strings (terms joined by ``0xFF``, a byte
    UTF-8 never holds; weights and counts as arrays; the values end to end
    behind their lengths), which cost the workers and the parent a fraction
    of pickling a tuple per posting, and which the bulk writer
    (:class:`vnsearch.store.bulk.PostingBuffer`) takes as they are.
    ``length`` is the sum of the counts (the field length Whoosh records)
    and ``pool_size`` Whoosh's own estimate of the postings' memory in its
    posting pool (see :func:`vnsearch.store.indexing.add_prepared`).
    """

    __slots__ = ("terms", "counts", "weights", "value_bytes", "value_lengths", "length", "pool_size")

    def __init__(self, terms: list[bytes], counts: array[int], weights: array[float], value_bytes: bytes,
                 value_lengths: array[int], length: int, pool_size: int) -> None:
        self.terms = terms
        self.counts = counts
        self.weights = weights
        self.value_bytes = value_bytes
        self.value_lengths = value_lengths
        self.length = length
        self.pool_size = pool_size

    def values(self) -> list[bytes]:
        """Each posting's value bytes."""
        out: list[bytes] = []
        data, pos = self.value_bytes, 0
        for n in self.value_lengths:
            out.append(data[pos: pos + n])
            pos += n
        return out

    def __iter__(self) -> Iterator[tuple[bytes, int, float, bytes]]:
        return zip(self.terms, self.counts, self.weights, self.values())

    def __len__(self) -> int:
        return len(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _encoded_terms, (_TERM_SEP.join(self.terms), len(self.terms), self.counts.tobytes(),
                                self.weights.tobytes(), self.value_bytes, self.value_lengths.tobytes(),
                                self.length, self.pool_size)


_TERM_SEP = b"\xff"  # never in UTF-8


def _encoded_terms(terms: bytes, n: int, counts: bytes, weights: bytes, value_bytes: bytes, value_lengths: bytes,
                   length: int, pool_size: int) -> EncodedTerms:
    """An :class:`EncodedTerms` from its pickled columns."""
    split = terms.split(_TERM_SEP) if n else []
    if len(split) != n:
        raise ValueError("damaged encoded terms")
    return EncodedTerms(split, array("q", counts), array("d", weights), value_bytes, array("I", value_lengths),
                        length, pool_size)


_WEIGHT, _COUNT, _POSITIONS = (operator.itemgetter(i) for i in range(3))  # of a term map's entry


def utf8_all(texts: Iterable[str]) -> list[bytes]:
    """Each text's UTF-8 bytes: encoded as one joined text and split again (C speed), when no text holds
    the joining character; one by one otherwise."""
    items = texts if isinstance(texts, (list, tuple)) else list(texts)
    joined = "\x00".join(items)
    if items and joined.count("\x00") == len(items) - 1:
        return joined.encode("utf-8").split(b"\x00")
    return [text.encode("utf-8") for text in items]


def encode_terms(value: Mapping[str, tuple[float, int, Sequence[int]]], positions: bool,
                 fieldname: str = "") -> EncodedTerms:
    """The postings of a term map, as :meth:`PreAnalyzed.index` yields them.

    *positions* says whether the field stores positions (``text_f``) or only
    weights; *fieldname* only feeds ``pool_size``.
    """
    terms = utf8_all(value)
    entries = value.values()
    counts = array("q", map(_COUNT, entries))
    weights = array("d", map(_WEIGHT, entries))
    if positions:
        value_bytes, lengths = encode_positions_many(list(map(_POSITIONS, entries)))
        value_lengths = array("I", lengths)
    else:
        value_bytes = b""
        value_lengths = array("I", [0]) * len(terms)
    overhead = 150 + len(fieldname)  # whoosh.writing.PostingPool.add's estimate, per posting
    pool_size = overhead * len(terms) + 2 * sum(map(len, terms)) + len(value_bytes)
    return EncodedTerms(terms, counts, weights, value_bytes, value_lengths, sum(counts), pool_size)


class PreAnalyzed(fields.FieldType):
    """An indexed field whose value is ``{term: (weight, length, positions)}``.

    Whoosh normally runs the field's analyzer inside ``add_document``; our
    analysis (segmentation included) happens earlier, once per article, in
    worker processes, so the field only encodes what it is given. ``length``
    is the term's occurrence count, which Whoosh sums into the field length
    used for BM25 length normalisation. The value may also be the
    :class:`EncodedTerms` of such a map, which is passed through as it is.
    """

    def __init__(self, positions: bool) -> None:
        self.format = CompactPositions() if positions else Weighted()
        self.positions = positions
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.analyzer = RegexTokenizer() | LowercaseFilter()  # for Whoosh tools only
        self.multitoken_query = "default"
        self.spelling = False
        self.sortable_typecode = None
        self.column_type = None

    def index(self, value: Mapping[str, tuple[float, int, Sequence[int]]] | EncodedTerms, **kwargs: Any
              ) -> Iterator[tuple[bytes, int, float, bytes]]:
        if isinstance(value, EncodedTerms):
            return iter(value)
        if isinstance(value, str):
            raise TypeError("PreAnalyzed takes a term map; analyse the text first")
        return iter(encode_terms(value, self.positions))


def facet_value(value: str) -> str:
    """How a source or category is matched: case- and accent-insensitive."""
    return " ".join(fold_all(value.lower()).split())


def stored_column() -> fields.STORED:
    """A stored field also kept in a column of its own (UTF-8), readable without unpickling the article.

    A plain Whoosh ``STORED`` given a column type, so the table of contents
    pickles only Whoosh's own classes.
    """
    field = fields.STORED()
    field.column_type = columns.VarBytesColumn()
    return field


def make_schema() -> fields.Schema:
    # Format 12: ids and titles in columns too. Equal scores are put in id
    # order and the title step reads titles: on an archive of re-issued
    # stories, a query read ~200 whole articles for these two alone.
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        text=PreAnalyzed(positions=False),
        text_f=PreAnalyzed(positions=True),
        title_f=PreAnalyzed(positions=False),
        title=stored_column(),
        lead=fields.STORED(),
        body=fields.STORED(),
        date=fields.ID(stored=True, sortable=True),
        # The publication time when the source gave one ("2021-04-26T08:33:41+07:00"),
        # stored only: the day above stays what filters and ranking read.
        time=fields.STORED(),
        source=fields.STORED(),
        credit=fields.STORED(),
        category=fields.STORED(),
        url=fields.STORED(),
        title_derived=fields.STORED(),
        digest=fields.STORED(),
        # Folded copies for filtering (source:, category:), one term each.
        source_k=fields.ID(),
        category_k=fields.ID(),
        credit_k=fields.ID(),
        # Near-duplicates: the MinHash signature of the article's syllable
        # 5-shingles, in a fixed-width column of its own (see vnsearch.store.signature).
        # Not indexed: the copies of a hit are looked for among the other
        # ranked matches only, so their band keys are compared in memory, and
        # a column reads one signature without unpickling the article.
        minhash=fields.COLUMN(columns.FixedBytesColumn(SIGNATURE_BYTES)),
    )
