"""A read-only view of one commit of the index: what search reads, and nothing else.

A :class:`Snapshot` wraps one Whoosh searcher on one generation of the index.
It never changes: a commit made meanwhile (by this process or another) is seen
only by a newer snapshot. Search code (:mod:`vnsearch.search`) reads postings,
lengths, columns and stored articles through it, so nothing outside
:mod:`vnsearch.store` touches Whoosh.

Lifetime: a snapshot is reference counted (:meth:`acquire` / :meth:`release`),
and its files are closed only when the last holder lets go, so a thread that
refreshes to a newer commit never closes a snapshot another thread is reading.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from vnsearch.store.postings import Postings, Segment, field_lengths, read_postings, segments_of


class Snapshot:
    """One immutable generation of an index, shared by any number of threads."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._reader = searcher.reader()
        self.segments: list[Segment] = segments_of(self._reader)
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
            self._searcher.close()

    def is_current(self) -> bool:
        """True if no commit was made after this snapshot's."""
        return bool(self._searcher.up_to_date())

    # -- postings and statistics -----------------------------------------------

    def postings(self, fieldname: str, term: str) -> Postings:
        """*term*'s postings in *fieldname*, over global doc numbers (deleted ones included)."""
        return read_postings(self.segments, fieldname, term)

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """Every doc number's length in *fieldname* (float32; Whoosh keeps one byte of it)."""
        return field_lengths(self.segments, fieldname, self.size)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """How many documents hold *term* in *fieldname*."""
        return int(self._reader.doc_frequency(fieldname, term))

    def lexicon(self, fieldname: str) -> Iterator[str]:
        """Every term of *fieldname*, in order."""
        for t in self._reader.lexicon(fieldname):
            yield t.decode("utf-8") if isinstance(t, bytes) else t

    def term_frequencies(self, fieldname: str) -> Iterator[tuple[str, int]]:
        """(term, document frequency) for every term of *fieldname*."""
        for term, info in self._reader.iter_field(fieldname):
            yield (term.decode("utf-8") if isinstance(term, bytes) else term), int(info.doc_frequency())

    # -- stored articles ------------------------------------------------------------

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of doc number *docnum*."""
        return dict(self._reader.stored_fields(int(docnum)))

    def doc_number(self, article_id: str) -> int | None:
        """The doc number of the live article *article_id*, or None."""
        got = self._searcher.document_number(id=article_id)
        return None if got is None else int(got)

    def stored_by_id(self, article_id: str) -> dict[str, Any] | None:
        """The stored fields of the live article *article_id*, or None."""
        docnum = self.doc_number(article_id)
        return None if docnum is None else self.stored(docnum)

    def live_docs(self) -> Iterator[int]:
        """Every live doc number, in order."""
        return (int(d) for d in np.flatnonzero(self.live))

    def column(self, name: str) -> Any | None:
        """The per-document column *name* (indexable by doc number), or None if the index has none."""
        reader = self._reader
        return reader.column_reader(name) if reader.has_column(name) else None
