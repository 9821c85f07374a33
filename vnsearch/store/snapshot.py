"""A read-only view of one commit of the index: what search reads, and nothing else.

A :class:`Snapshot` wraps one Whoosh searcher on one generation of the index.
It never changes: a commit made meanwhile (by this process or another) is seen
only by a newer snapshot. Search code (:mod:`vnsearch.search`) reads postings,
lengths, columns and stored articles through it, so nothing outside
:mod:`vnsearch.store` touches Whoosh.

Lifetime: a snapshot is reference counted (:meth:`acquire` / :meth:`release`),
and its files are closed only when the last holder lets go, so a thread that
refreshes to a newer commit never closes a snapshot another thread is reading.

Damage: every method that decodes index files runs inside
:func:`vnsearch.store.damage.decoding`, so a truncated or garbled file is
reported as :class:`~vnsearch.errors.IndexDamaged`, while the same exception
types raised by the code that called it (a bug, a wrong argument) are not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.columns import FixedBytesColumn
from whoosh.reading import TermNotFound

from vnsearch.errors import VnsearchError
from vnsearch.store.codec import CompactTermsReader
from vnsearch.store.damage import DECODE_ERRORS, damaged, not_permitted
from vnsearch.store.format import IMPACT_FIELDS
from vnsearch.store.postings import Postings, Segment, field_lengths, read_postings, segments_of

__all__ = ["Snapshot", "Column", "Reading"]

# Document frequencies a snapshot remembers (about 150 bytes each) before it starts afresh.
CACHED_FREQUENCIES = 200_000
# Stored articles a snapshot keeps decoded, the most recently read (a page of hits and
# the ranker's title step: a query's worth, not a cache of the archive).
CACHED_ARTICLES = 64


class _Files:
    """The damage guard and the lock every read of one snapshot's files goes through.

    Whoosh's readers keep a file position (seek, then read): two threads
    reading through one reader at once would read each other's bytes. Reads
    of the files are short and take turns; scoring, done on what they
    return, runs in parallel outside.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._guard = _Guard(self.lock, path)

    def reading(self) -> _Guard:
        """The lock held, and what decoding raises turned into :class:`IndexDamaged` (as :func:`decoding`)."""
        return self._guard


class _Guard:
    """:class:`_Files`' ``with self.lock, decoding(path)`` as one plain context manager.

    A query goes through it a few hundred times (every list, column and
    stored article read); the two generator-based managers cost more than
    most of the reads they guard. It keeps no state between entries, so one
    instance serves every thread (the lock is re-entrant).
    """

    __slots__ = ("_lock", "_path")

    def __init__(self, lock: Any, path: Path) -> None:
        self._lock = lock
        self._path = path

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self._lock.release()
        if exc is None or isinstance(exc, VnsearchError):
            return
        if isinstance(exc, PermissionError):
            raise not_permitted(self._path, exc) from exc
        if isinstance(exc, DECODE_ERRORS):
            raise damaged(self._path, exc) from exc


class _GuardedValues(Sequence[bytes]):
    """A posting list's positions, decoded (lazily, by search) under the snapshot's guard."""

    def __init__(self, values: Any, files: _Files) -> None:
        self._values = values
        self._files = files

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Any) -> Any:
        with self._files.reading():
            return self._values[index]

    def decode(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        with self._files.reading():
            owner, positions = self._values.decode(indices)
        return owner, positions

    def gather(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        with self._files.reading():
            lengths, data = self._values.gather(indices)
        return lengths, data


class Column:
    """A per-document column (indexable by doc number), read under the snapshot's guard."""

    def __init__(self, reader: Any, files: _Files) -> None:
        self._reader = reader
        self._files = files

    def __getitem__(self, docnum: int) -> Any:
        docnum = int(docnum)
        with self._files.reading():
            return self._reader[docnum]

    def __len__(self) -> int:
        with self._files.reading():
            return len(self._reader)

    def values(self, docnums: Sequence[int]) -> list[Any]:
        """The values of several documents, read in one turn of the guard."""
        reader = self._reader
        with self._files.reading():
            return [reader[int(d)] for d in docnums]


class Reading:
    """What a snapshot asks of Whoosh's ``Searcher``, on a bare reader of one generation.

    ``Index.searcher()`` imports ``whoosh.searching``, which imports Whoosh's
    query language, English morphology tables and all: a tenth of a second
    of CPU a cold ``vnsearch search`` spent on code it never runs. A snapshot
    reads postings, lengths, columns and stored fields through the reader
    itself, so a reader is all it needs (any object with these methods will
    do, a ``Searcher`` too).
    """

    def __init__(self, index: Any) -> None:
        self._index = index
        self._reader = index.reader()
        self.schema = self._reader.schema if self._reader.schema is not None else index.schema

    def reader(self) -> Any:
        return self._reader

    def up_to_date(self) -> bool:
        """Whether no commit was made after this reader's (as ``Searcher.up_to_date``)."""
        return bool(self._index.latest_generation() == self._reader.generation())

    def document_number(self, id: str) -> int | None:
        """The first live document whose ``id`` is *id* (as ``Searcher.document_number(id=…)``)."""
        for leaf, base in self._reader.leaf_readers():
            try:
                matcher = leaf.postings("id", id)
            except TermNotFound:
                continue
            if matcher.is_active():
                return int(base + matcher.id())
        return None

    def close(self) -> None:
        self._reader.close()


class Snapshot:
    """One immutable generation of an index, shared by any number of threads."""

    def __init__(self, searcher: Any, path: Path | str = "") -> None:
        self.path = Path(path)
        self._files = files = _Files(self.path)
        self._searcher = searcher
        try:
            with files.reading():
                self._reader = searcher.reader()
                self.segments: list[Segment] = segments_of(self._reader)
        except BaseException:
            searcher.close()
            raise
        self.size = sum(s.doc_count for s in self.segments)  # doc numbers, deleted ones included
        live = np.ones(self.size, dtype=bool)
        for seg in self.segments:
            if seg.deleted is not None:
                live[seg.deleted] = False
        live.setflags(write=False)
        self.live = live  # per doc number: not deleted
        self.doc_count = int(live.sum())
        self._refs = 1  # the creator's reference
        self._lock = threading.Lock()
        self._closed = False
        self._fields = frozenset(searcher.schema.names())
        self._dfs: dict[tuple[str, str], int] = {}  # see doc_frequency
        self._articles: OrderedDict[int, dict[str, Any]] = OrderedDict()  # see stored
        self._columns: dict[str, Column | None] = {}  # see column
        self._whole_columns: dict[str, bool] = {}  # see _text_column
        self._fixed: dict[str, list[np.ndarray] | None] = {}  # see fixed_rows
        self._impacts = bool(self.segments) and all(seg.impacts is not None for seg in self.segments)

    # -- lifetime ---------------------------------------------------------

    def acquire(self) -> Snapshot:
        """One more holder; returns self. Raises RuntimeError if already closed."""
        with self._lock:
            if self._closed:
                raise RuntimeError("snapshot already closed")
            self._refs += 1
        return self

    def release(self) -> None:
        """One holder fewer; the files close when none is left."""
        with self._lock:
            self._refs -= 1
            close = self._refs == 0 and not self._closed
            if close:
                self._closed = True
        if close:
            self._close_files()

    def _close_files(self) -> None:
        """What the last :meth:`release` lets go of (a sharded snapshot: its shards' snapshots)."""
        self._searcher.close()

    @property
    def closed(self) -> bool:
        """True once the last holder has released it."""
        return self._closed

    def is_current(self) -> bool:
        """True if no commit was made after this snapshot's."""
        with self._files.reading():
            return bool(self._searcher.up_to_date())

    # -- postings and statistics -----------------------------------------------

    def postings(self, fieldname: str, term: str) -> Postings:
        """*term*'s postings in *fieldname*, over global doc numbers (deleted ones included)."""
        with self._files.reading():
            got = read_postings(self.segments, fieldname, term)
        if not len(got.values):
            return got
        return Postings(got.docs, got.freqs, _GuardedValues(got.values, self._files))

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """Every doc number's length in *fieldname* (float32; Whoosh keeps one byte of it)."""
        with self._files.reading():
            return field_lengths(self.segments, fieldname, self.size)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """How many documents hold *term* in *fieldname* (remembered: a snapshot never changes).

        Reading a query as typed asks for the frequencies of hundreds of
        spellings and edit candidates, many of them again in the next query;
        each lookup otherwise goes through the lock, a bisection of the
        term table and often the inflating of one of its blocks.
        """
        key = (fieldname, term)
        got = self._dfs.get(key)
        if got is None:
            with self._files.reading():
                if self._impacts and fieldname in IMPACT_FIELDS:  # format 10: no term-table block inflated
                    btext = term.encode("utf-8")
                    got = sum(seg.impacts.count(fieldname, btext) for seg in self.segments if seg.impacts)
                else:
                    got = int(self._reader.doc_frequency(fieldname, term))
            if len(self._dfs) >= CACHED_FREQUENCIES:
                self._dfs.clear()
            self._dfs[key] = got
        return got

    def has_field(self, fieldname: str) -> bool:
        """True if the schema has *fieldname*."""
        return fieldname in self._fields

    def _field_frequencies(self, fieldname: str) -> list[tuple[bytes, int]] | None:
        """(term, document frequency) of every term of *fieldname* in order, read from the term tables' blocks.

        :meth:`CompactTermsReader.field_frequencies` of each segment, the frequencies
        of a term held by several segments added up (as Whoosh's multi-segment
        reader does): the vocabulary a typed query's first correction reads
        (every syllable and word of the index, tens of thousands) comes twice
        as fast as through Whoosh's term infos. None when a segment was not
        written by vnsearch's codec (Whoosh reads those).
        """
        tables = [getattr(seg.reader, "_terms", None) for seg in self.segments]
        if not all(isinstance(table, CompactTermsReader) for table in tables):
            return None
        parts = [table.field_frequencies(fieldname) for table in tables if isinstance(table, CompactTermsReader)]
        if len(parts) == 1:
            return parts[0]
        merged: dict[bytes, int] = {}
        for part in parts:
            for term, df in part:
                merged[term] = merged.get(term, 0) + df
        return sorted(merged.items())

    def lexicon(self, fieldname: str) -> list[str]:
        """Every term of *fieldname*, in order (none for a field the index lacks)."""
        if fieldname not in self._fields or not self.segments:
            return []
        with self._files.reading():
            tables = [getattr(seg.reader, "_terms", None) for seg in self.segments]
            if len(tables) == 1 and isinstance(tables[0], CompactTermsReader):
                return [term.decode("utf-8") for term in tables[0].field_terms(fieldname)]
            fast = self._field_frequencies(fieldname)
            if fast is not None:
                return [term.decode("utf-8") for term, _ in fast]
            return [t.decode("utf-8") if isinstance(t, bytes) else t for t in self._reader.lexicon(fieldname)]

    def term_keys(self, fieldname: str) -> str | None:
        """Every term of *fieldname* (a field of the impacts files) in one string, each after ``fieldname``
        and a 0 character, in order (the terms of :meth:`lexicon`).

        Decoded straight from the segments' impacts directories (uncompressed,
        mapped) instead of inflating the term tables' blocks: a tenth of the
        time, for a short query's typo candidates and word pairs
        (:mod:`vnsearch.search.understand`), which a substring search of this
        string finds without a Python object per term. None when the segments
        have no impacts file (formats 7 to 9), or a term holds a 0 character
        (the string would not tell terms apart): the caller reads :meth:`lexicon`.
        """
        if not self.segments or fieldname not in IMPACT_FIELDS or not self._impacts or fieldname not in self._fields:
            return None  # (a sharded snapshot has no segments of its own: its shards' lexicons are merged)
        with self._files.reading():
            parts = []
            for seg in self.segments:
                if seg.impacts is not None:
                    keys, count = seg.impacts.field_keys(fieldname)
                    parts.append((str(keys, "utf-8"), count))
        if any(text.count("\x00") != count for text, count in parts):
            return None  # a term holding a 0 byte
        if len(parts) == 1:
            return parts[0][0]
        head = fieldname + "\x00"
        return "".join(head + term for term in sorted({t for text, _ in parts for t in text.split(head)[1:]},
                                                      key=lambda t: t.encode("utf-8")))

    def term_frequencies(self, fieldname: str) -> Iterator[tuple[str, int]]:
        """(term, document frequency) for every term of *fieldname*."""
        if fieldname not in self._fields or not self.segments:
            return
        with self._files.reading():
            fast = self._field_frequencies(fieldname)
            if fast is not None:
                got = [(term.decode("utf-8"), df) for term, df in fast]
            else:
                got = [((term.decode("utf-8") if isinstance(term, bytes) else term), int(info.doc_frequency()))
                       for term, info in self._reader.iter_field(fieldname)]
        yield from got

    def prefix_frequencies(self, fieldname: str, prefix: str) -> list[tuple[str, int]]:
        """(term, document frequency) for every term of *fieldname* that starts with *prefix*, in order."""
        if fieldname not in self._fields or not self.segments:
            return []
        with self._files.reading():
            return [((term.decode("utf-8") if isinstance(term, bytes) else term), int(info.doc_frequency()))
                    for term, info in self._reader.iter_prefix(fieldname, prefix)]

    # -- stored articles ------------------------------------------------------------

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of doc number *docnum* (a new dict: the caller may change it).

        The last :data:`CACHED_ARTICLES` articles read are kept decoded: a
        query reads some twice (the ranker's title step, then the page's
        hits), and inflating and unpickling one costs ~40 µs.
        """
        docnum = int(docnum)
        cache = self._articles
        got = cache.get(docnum)
        if got is None:
            with self._files.reading():
                got = dict(self._reader.stored_fields(docnum))
            with self._lock:
                cache[docnum] = got
                if len(cache) > CACHED_ARTICLES:
                    cache.popitem(last=False)
        return dict(got)

    def field_texts(self, name: str, docnums: Sequence[int]) -> list[str]:
        """The stored text *name* (``id``, ``title``) of each of *docnums*, ``""`` where it has none.

        Read from the field's column where every segment has one (format 12):
        a column gives a few bytes, where a stored article is inflated and
        unpickled whole (~100 µs; the tie order and the title step read ~200
        of them a query on an archive of re-issued stories). Older indexes,
        and fields without a column, read the stored articles.
        """
        column = self._text_column(name)
        if column is None:
            return [str(self.stored(int(d)).get(name) or "") for d in docnums]
        return [str(v or "") for v in column.values(docnums)]

    def _text_column(self, name: str) -> Column | None:
        """:meth:`column` *name* where every segment has one (a segment without gives no value, not its text)."""
        if name not in self._whole_columns:
            with self._files.reading():
                whole = bool(self.segments) and all(seg.reader.has_column(name) for seg in self.segments)
            self._whole_columns[name] = whole  # two threads may both look: they find the same
        return self.column(name) if self._whole_columns[name] else None

    def doc_number(self, article_id: str) -> int | None:
        """The doc number of the live article *article_id*, or None."""
        if not isinstance(article_id, str):
            raise TypeError(f"an article id is a string, not {type(article_id).__name__}")
        with self._files.reading():
            got = self._searcher.document_number(id=article_id)
        return None if got is None else int(got)

    def stored_by_id(self, article_id: str) -> dict[str, Any] | None:
        """The stored fields of the live article *article_id*, or None."""
        docnum = self.doc_number(article_id)
        return None if docnum is None else self.stored(docnum)

    def live_docs(self) -> Iterator[int]:
        """Every live doc number, in order."""
        return (int(d) for d in np.flatnonzero(self.live))

    def all_stored(self) -> Iterator[dict[str, Any]]:
        """The stored fields of every live document, in doc number order."""
        for docnum in self.live_docs():
            yield self.stored(docnum)

    def column(self, name: str) -> Column | None:
        """The per-document column *name* (indexable by doc number), or None if the index has none.

        Opened once per snapshot and name (a snapshot never changes, and its
        columns are read under its guard): folding copies reads the MinHash
        column on every query, and opening it cost more than the few values read.
        """
        if name in self._columns:
            return self._columns[name]
        with self._files.reading():
            reader = self._reader
            got = Column(reader.column_reader(name), self._files) if reader.has_column(name) else None
        if name in self._fields:  # at most one per field of the schema
            self._columns[name] = got
        return got

    def fixed_rows(self, name: str, docnums: Sequence[int] | np.ndarray) -> np.ndarray | None:
        """The values of the fixed-width column *name* for *docnums*, as the rows of one uint8 array.

        None where some segment's column is not a mapped fixed-width one:
        read :meth:`column` then. Folding near-copies compares the MinHash
        signatures of 40 to 160 ranked documents a query; read one by one
        through Whoosh's readers (a segment found, a slice copied, per value)
        they cost more than the comparison. Here each segment's column is
        one array over its mapped file, verified when opened as any column.
        """
        if name not in self._fixed:
            with self._files.reading():
                self._fixed[name] = _fixed_width(self.segments, name) if name in self._fields else None
        parts = self._fixed[name]
        return None if parts is None else _rows(parts, [seg.base for seg in self.segments], docnums)

    def id_terms(self) -> int:
        """How many terms the id field holds (each live id should be one)."""
        return len(self.lexicon("id"))


def _fixed_width(segments: Sequence[Segment], name: str) -> list[np.ndarray] | None:
    """Each segment's fixed-width column *name* as an array of rows (one per document), or None.

    A row past the column's stored values reads as the column's default, as
    Whoosh's reader gives it. None where a segment lacks the column or holds
    it otherwise than mapped and fixed-width.
    """
    parts = []
    for seg in segments:
        if not seg.reader.has_column(name):
            return None
        column = seg.reader.column_reader(name, translate=False)
        buf = getattr(getattr(column, "_dbfile", None), "_buf", None)
        if not isinstance(column, FixedBytesColumn.Reader) or buf is None:
            return None
        width, count = column._fixedlen, min(column._count, seg.doc_count)
        rows = np.frombuffer(buf, dtype=np.uint8, count=count * width, offset=column._basepos).reshape(count, width)
        if count < seg.doc_count:
            default = np.frombuffer(column._defaultbytes, dtype=np.uint8)
            rows = np.vstack([rows, np.broadcast_to(default, (seg.doc_count - count, width))])
        parts.append(rows)
    if len({p.shape[1] for p in parts}) > 1:
        return None
    return parts


def _rows(parts: Sequence[np.ndarray], bases: Sequence[int], docnums: Sequence[int] | np.ndarray) -> np.ndarray:
    """The rows of *docnums* (doc numbers over all segments) from each segment's rows (*parts*, from *bases*)."""
    docs = np.asarray(docnums, dtype=np.int64)
    if len(parts) == 1:
        return parts[0][docs]
    which = np.searchsorted(bases, docs, side="right") - 1
    out = np.empty((docs.size, parts[0].shape[1] if parts else 0), dtype=np.uint8)
    for i in set(which.tolist()):
        mine = which == i
        out[mine] = parts[i][docs[mine] - bases[i]]
    return out
