"""Turning articles into index documents and writing them to Whoosh.

Analysis (word segmentation above all) is the cost that dominates indexing,
so it happens in :func:`prepare_document`, a pure function that worker
processes can run in parallel, and which also encodes the postings; the
single Whoosh writer in the parent only hands what they return to Whoosh
(:func:`add_prepared`), since any work it does is work the two cores of a
small machine would rather spend segmenting.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from whoosh import columns
from whoosh.writing import PostingPool, SegmentWriter

from vnsearch import caps
from vnsearch.ingest.articles import Article, ArticleError
from vnsearch.lang.analysis import Segmenter, _folded_lower, add_zone_terms, analyze_texts
from vnsearch.store.bulk import PostingBuffer, flush_segment
from vnsearch.store.codec import CompactCodec
from vnsearch.store.format import pack_stored
from vnsearch.store.schema import (
    ZONE_OFFSET,
    ZONE_WEIGHTS,
    ZONES,
    EncodedTerms,
    PreAnalyzed,
    encode_terms,
    facet_value,
    make_schema,
)
from vnsearch.store.signature import article_text, folded_syllables, signature_bytes, syllables_minhash

__all__ = ["IndexSummary", "WorkersStopped", "prepare_document", "prepare_packed", "PreparedDocument",
           "prepare_documents", "add_prepared", "bulk_writer",
           "article_digest",
           "coerce_article"]


BATCH_SIZE = 32
# Batches submitted per worker before the parent waits for the oldest. A commit
# (flushing a thousand articles' postings) keeps the parent busy for a second or
# two; the workers go on with what is queued meanwhile instead of standing idle.
# Eight per worker is ~250 articles, about that much work, and ~50 MB of results.
IN_FLIGHT = 8

# Segmenting costs seconds per million characters, so a zone longer than this
# is stored whole but only its first MAX_ANALYSED_CHARS characters are indexed
# (searchable); the indexer warns about such articles.
MAX_ANALYSED_CHARS = caps.ANALYSED_CHARS


def searchable(text: str) -> str:
    """The part of a zone's text that is analysed and indexed."""
    return text[:MAX_ANALYSED_CHARS]


def too_long(article: Article) -> bool:
    return any(len(getattr(article, zone)) > MAX_ANALYSED_CHARS for zone in ZONES)


@dataclass
class IndexSummary:
    """What an indexing run did: the numbers a user checks after a load."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    load_warnings: int = 0  # warnings while loading files (add_paths)
    rejected_files: list[str] = field(default_factory=list)  # not indexed: strict and warned about

    @property
    def written(self) -> int:
        return self.added + self.replaced

    def __str__(self) -> str:
        parts = [f"{self.added} added", f"{self.replaced} replaced"]
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        parts.append(f"{self.skipped} skipped")
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        return ", ".join(parts)


def coerce_article(item: Article | Mapping[str, Any]) -> Article:
    """Accept an :class:`Article` or a JSON-like dict (raises ArticleError)."""
    if isinstance(item, Article):
        # Articles built in code get the same checks and cleaning as loaded ones.
        article = item.revalidated()
        article.title_derived = item.title_derived or article.title_derived
        article.headings = list(item.headings)
        if item.credit and not article.credit:
            article.credit = item.credit
        return article
    if isinstance(item, Mapping):
        return Article.from_dict(item)
    raise ArticleError(f"expected an article or a dict, got {type(item).__name__}")


def article_digest(article: Article) -> str:
    """A hash of everything indexed about an article: unchanged input, no work."""
    h = hashlib.blake2b(digest_size=16)
    for value in (article.title, article.lead, article.body, article.date, article.source,
                  article.url, article.category, article.credit, str(article.title_derived)):
        h.update(value.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    if article.time:  # only when given, so articles without a time keep the digests they had
        h.update(article.time.encode("utf-8"))
    return h.hexdigest()


def prepare_document(article: Article, segmenter: Segmenter | None = None) -> dict[str, Any]:
    """The Whoosh field values for one article (picklable, for worker processes).

    The indexed fields hold :class:`vnsearch.store.schema.EncodedTerms`: postings
    ready for the writer, so the one process that writes does as little as
    possible per term.
    """
    segmenter = segmenter or Segmenter.shared()
    doc: dict[str, Any] = {
        "id": article.id,
        "date": article.date or None,
        "time": article.time or None,
        "source": article.source,
        "credit": article.credit,
        "category": article.category,
        "url": article.url,
        "title_derived": article.title_derived,
    }
    for name in ("source", "category", "credit"):
        value = facet_value(getattr(article, name))
        if value:
            doc[name + "_k"] = value
    exact: dict[str, Any] = {}
    folded: dict[str, Any] = {}
    title: dict[str, Any] = {}
    # The folded syllables of title, lead and body, for the MinHash signature:
    # article_text() joins the zones with newlines, which no token spans, so
    # its syllables are the zones' syllables one after another and need not
    # be tokenised a second time (unless a zone was cut to MAX_ANALYSED_CHARS).
    syllable_forms: list[str] | None = []
    for i, zone in enumerate(ZONES):
        text = getattr(article, zone)
        if text:
            texts, words = analyze_texts(searchable(text), segmenter)
            add_zone_terms(texts, words, exact, folded, ZONE_WEIGHTS[i], i * ZONE_OFFSET,
                           title=title if zone == "title" else None)
            doc[zone] = text
            if syllable_forms is not None and len(text) <= MAX_ANALYSED_CHARS:
                syllable_forms.extend(map(_folded_lower, texts))
            else:
                syllable_forms = None
    # Encoded here, in the worker: the parent only hands the postings to Whoosh.
    doc["text"] = encode_terms(exact, positions=False, fieldname="text")
    doc["text_f"] = encode_terms(folded, positions=True, fieldname="text_f")
    if title:
        doc["title_f"] = encode_terms(title, positions=False, fieldname="title_f")
    if syllable_forms is None:
        syllable_forms = folded_syllables(article_text(article))
    doc["minhash"] = signature_bytes(syllables_minhash(syllable_forms))
    return {k: v for k, v in doc.items() if v is not None}


class PreparedDocument(dict[str, Any]):
    """:func:`prepare_document`'s fields with the article's digest, and its stored record packed.

    Packing the record (a pickle deflated with a dictionary, see
    :func:`vnsearch.store.format.pack_stored`) is per-article work the
    worker does, not the one writing process. ``stored_names`` says which
    fields it holds: the writer packs the record itself when its schema
    stores others, or when the fields were changed after packing
    (:meth:`changed`).
    """

    stored: bytes | None = None
    stored_names: tuple[str, ...] = ()

    def changed(self) -> None:
        """The fields were edited after packing: the record is packed again when written."""
        self.stored = None


def prepare_packed(article: Article, segmenter: Segmenter | None = None) -> PreparedDocument:
    """:func:`prepare_document` plus ``digest`` (:func:`article_digest`) and the packed stored record."""
    doc = PreparedDocument(prepare_document(article, segmenter))
    doc["digest"] = article_digest(article)
    schema = _stored_schema()
    names = tuple(name for name in sorted(doc) if name in schema and schema[name].stored)
    # As Whoosh's per-document writer gathers them: stored fields in name order.
    doc.stored = pack_stored({name: doc[name] for name in names})
    doc.stored_names = names
    return doc


_SCHEMA: Any = None


def _stored_schema() -> Any:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = make_schema()
    return _SCHEMA


class _Stopped(Exception):
    """A worker's batch dropped: the run is stopping (see :func:`_stop_workers`)."""


class WorkersStopped(KeyboardInterrupt):
    """The worker processes were told to stop (SIGINT or SIGTERM) though this process was not.

    A signal sent to the workers alone (an administrator's ``kill``, a
    service manager stopping every process of a group it knows) ends the run
    as Ctrl-C does: what was committed stays, the command says it was
    interrupted, and no worker's traceback is shown.
    """


_in_batch = False  # in a worker: preparing a batch now
_stopping = False  # in a worker: told to stop; every batch left is dropped


def _on_stop_signal(signum: int, frame: Any) -> None:
    """A worker's SIGINT/SIGTERM: drop the batch at hand and any queued, then end at the pool's word.

    Raised only inside a batch, where the pool catches it and the worker goes
    on to read its next order; a worker that died of the signal instead would
    leave the pool's feeder thread blocked on a full pipe (the parent hanging
    in shutdown) and print a traceback.
    """
    global _stopping
    _stopping = True
    if _in_batch:
        raise _Stopped()


def _prepare_batch(articles: list[Article]) -> list[PreparedDocument]:
    global _in_batch
    segmenter = Segmenter.shared()
    _in_batch = True
    try:
        if _stopping:
            raise _Stopped()
        return [prepare_packed(a, segmenter) for a in articles]
    finally:
        _in_batch = False


def _batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_PR_SET_PDEATHSIG = 1  # prctl(2), Linux
_PARENT_POLL = 1.0  # seconds between a worker's looks at whether its parent is still there


def _die_with_parent(parent: int | None, by_signal: bool) -> None:
    """A worker's initializer: end the worker when the process that started it ends.

    A worker forked by the pool waits on a pipe that it holds open itself, so
    it would outlive a parent killed with SIGKILL (or by the out-of-memory
    killer) for good, ~170 MB each. On Linux the kernel sends SIGKILL the
    moment the parent dies (``PR_SET_PDEATHSIG``, only when the pool was
    started from the main thread: the signal follows the thread that forked);
    everywhere a daemon thread also checks once a second that the parent is
    still this worker's parent. *parent* is the pool's process when workers
    are forked from it; None when they come from a fork server (their parent
    is then the server, which ends with the pool's process).
    """
    # Ctrl-C reaches the whole process group; SIGTERM comes from the parent stopping
    # the pool (or from a kill of the group). Either drops the work, not the worker.
    signal.signal(signal.SIGINT, _on_stop_signal)
    signal.signal(signal.SIGTERM, _on_stop_signal)
    if by_signal and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent is None:
        parent = os.getppid()
    elif os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(_PARENT_POLL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="vnsearch-parent-watch", daemon=True).start()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: each worker told by SIGTERM to drop its batches, queued ones cancelled.

    Not ``terminate()``: a worker killed while batches wait in the pool's pipe
    leaves its feeder thread blocked for good, and the parent with it. The
    workers' handler (:func:`_on_stop_signal`) ends the batch at hand; they
    then end as a shut-down pool's workers do.
    """
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        try:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        except OSError:
            pass  # already gone
    pool.shutdown(wait=True, cancel_futures=True)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def prepare_documents(articles: Iterable[Article], jobs: int | None = None,
                      batch_size: int = BATCH_SIZE) -> Iterator[tuple[Article, PreparedDocument]]:
    """Analyse articles, in parallel when worthwhile, in input order.

    ``jobs=None`` uses every core, but only once the input proves longer than
    a few batches: starting workers (each loads the model) costs more than
    segmenting a handful of articles. At most ``IN_FLIGHT × jobs`` batches
    are in flight, so memory stays bounded however long the input is.
    """
    jobs = default_jobs() if jobs is None else max(1, jobs)
    articles = iter(articles)
    head = list(itertools.islice(articles, batch_size * 2))
    if jobs == 1 or len(head) < batch_size * 2:
        # prepare_document loads the model on first use: input that is all
        # unchanged never pays for it.
        for article in itertools.chain(head, articles):
            yield article, prepare_packed(article)
        return
    main = threading.current_thread() is threading.main_thread()
    context = multiprocessing.get_context()
    parent = os.getpid() if context.get_start_method() == "fork" else None
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_die_with_parent,
                               initargs=(parent, main))
    try:
        pending: deque[tuple[list[Article], Future[list[PreparedDocument]]]] = deque()
        for batch in _batches(itertools.chain(head, articles), batch_size):
            pending.append((batch, pool.submit(_prepare_batch, batch)))
            if len(pending) >= IN_FLIGHT * jobs:
                done, future = pending.popleft()
                yield from zip(done, _result(future))
        while pending:
            done, future = pending.popleft()
            yield from zip(done, _result(future))
    except BaseException:  # interrupted, a failed write, the consumer gone: queued batches are dropped
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _result(future: Future[list[PreparedDocument]]) -> list[PreparedDocument]:
    """A batch's documents; a worker stopped by a signal this process did not get raises :class:`WorkersStopped`."""
    try:
        return future.result()
    except _Stopped:
        raise WorkersStopped("the indexing workers were stopped by a signal") from None


def add_prepared(writer: Any, doc: dict[str, Any]) -> None:
    """``writer.add_document(**doc)``, the postings of pre-encoded fields added in bulk.

    The parent process writes every article alone while the workers analyse;
    Whoosh's ``add_document`` handles each posting with a few Python calls
    (assertions and a size estimate in its pool), which for half a million
    postings per thousand articles is a large share of the whole run. Here
    an :class:`~vnsearch.store.schema.EncodedTerms` field's postings join the pool
    in one ``extend``, with the length and size estimate the worker computed;
    the pool sorts its postings before writing, so the index is the same.
    Every other field, and any writer but a plain single-segment one, takes
    Whoosh's own path.
    """
    pool: Any = getattr(writer, "pool", None)
    if type(writer) is not SegmentWriter or type(pool) is not PostingPool or not _plain_schema(writer.schema):
        writer.add_document(**doc)
        return
    if any(name.startswith("_") for name in doc):  # boosts and custom stored values: Whoosh's business
        writer.add_document(**doc)
        return
    writer._check_state()
    buffer: PostingBuffer | None = getattr(writer, _BUFFER, None)
    packed = doc.stored if isinstance(doc, PreparedDocument) else None
    packed_names = doc.stored_names if isinstance(doc, PreparedDocument) else ()
    perdoc = writer.perdocwriter
    schema = writer.schema
    docnum = writer.docnum
    fieldnames = sorted(doc)
    writer._check_fields(schema, fieldnames)
    if packed is not None and packed_names != tuple(n for n in fieldnames if schema[n].stored):
        packed = None  # the record was packed for other fields (an older schema): packed here
    perdoc.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = doc[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            if isinstance(value, EncodedTerms) and isinstance(field, PreAnalyzed):
                if value:
                    if buffer is not None:
                        buffer.add(fieldname, docnum, value)
                    else:
                        pool.fieldnames.add(fieldname)
                        pool.current.extend([(fieldname, tbytes, docnum, weight, vbytes)
                                             for tbytes, _, weight, vbytes in value])
                        pool.currentsize += value.pool_size
                        if pool.currentsize > pool.limit:
                            pool.save()
                perdoc.add_field(fieldname, field, None, value.length)
                continue
            length = 0
            if field.indexed:
                scorable = field.scorable
                for tbytes, freq, weight, vbytes in field.index(value):
                    if scorable:
                        length += freq
                    pool.add((fieldname, tbytes, docnum, weight, vbytes))
            # A packed record (see prepare_packed) holds the stored values already.
            perdoc.add_field(fieldname, field, value if field.stored and packed is None else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        if packed is not None:
            columns.VarBytesColumn.Writer.add(perdoc._colwriters["_stored"], docnum, packed)
    except Exception:
        perdoc.cancel_doc()
        raise
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


def bulk_writer(writer: Any) -> Any:
    """*writer*, made to look up field lengths once per document when it flushes.

    Flushing a segment hands Whoosh's codec every posting with its
    document's field length, which Whoosh reads back from the length column
    once per posting (half a million reads per thousand articles). The
    lengths are the same for all postings of a document, so the reader the
    flush uses here reads each field's column once and answers from a list.
    Returns the writer (unchanged unless it is a plain SegmentWriter).
    """
    if type(writer) is SegmentWriter:
        per_document_reader = writer.per_document_reader
        writer.per_document_reader = lambda: _ListedLengths(per_document_reader())
        if (isinstance(writer.codec, CompactCodec) and type(writer.pool) is PostingPool
                and _plain_schema(writer.schema)):
            buffer = PostingBuffer()
            setattr(writer, _BUFFER, buffer)
            writer._flush_segment = lambda: flush_segment(writer, buffer)
    return writer


_BUFFER = "_vnsearch_postings"  # the bulk writer's PostingBuffer, an attribute of the writer


class _ListedLengths:
    """A per-document reader whose ``doc_field_length`` answers from lists read once."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lengths: dict[str, list[int]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            reader = self._reader
            count = reader.doc_count_all()
            # Exactly W3PerDocReader.doc_field_length's answers, for every document.
            lengths = self._lengths[fieldname] = [reader.doc_field_length(d, fieldname, default)
                                                  for d in range(count)]
        if 0 <= docnum < len(lengths):
            return lengths[docnum]
        return self._reader.doc_field_length(docnum, fieldname, default)

    def close(self) -> None:
        self._reader.close()


def _plain_schema(schema: Any) -> bool:
    """No field needs what :func:`add_prepared` leaves out (spelling words, term vectors)."""
    return all(not field.separate_spelling() and not field.vector for _, field in schema.items())


ProgressCallback = Callable[[Article], None]
