"""SearchEngine: the library's front door, and everything the CLI calls.

One object owns an index directory: it creates or opens it, adds articles
(replacing any with the same id), searches, fetches and deletes. The CLI is a
thin layer over these methods, so anything a command does, a program can do.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import struct
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.writing import CLEAR

from vnsearch.errors import ArticleNotFound, IndexBusy, IndexDamaged, IndexNotFound, IndexUnusable, IndexVersionMismatch
from vnsearch.ingest.articles import Article, ArticleError, LoadOptions, LoadWarning, iter_files, load_path, load_paths
from vnsearch.ingest.dates import order_within_days
from vnsearch.ingest.export import ArticleFilter, export_records, stored_article
from vnsearch.ingest.fields import FieldMap, parse_map
from vnsearch.lang.analysis import query_syllables, tokenize
from vnsearch.lang.text import has_diacritics
from vnsearch.search.highlight import Highlighter, Snippet
from vnsearch.search.query import SORTS, ParsedQuery, Phrase, QueryError, date_range, parse_query
from vnsearch.search.ranking import Ranker, RankParams
from vnsearch.search.restore import DEFAULT_PARAMS, Restoration, RestoreParams, context_evidence, index_df, restore
from vnsearch.store import indexing as indexing
from vnsearch.store import legacy  # noqa: F401 - old indexes name old module paths
from vnsearch.store.codec import CompactCodec
from vnsearch.store.indexing import (
    IndexSummary,
    add_prepared,
    article_digest,
    bulk_writer,
    coerce_article,
    prepare_documents,
)
from vnsearch.store.merge import merge_policy, plan
from vnsearch.store.schema import SCHEMA_VERSION, make_schema
from vnsearch.store.signature import (
    NEAR_DUPLICATE,
    article_text,
    band_rows,
    estimated_jaccard,
    folded_syllables,
    jaccard,
    shingles,
    signature_of,
)

__all__ = ["SearchEngine", "Hit", "SearchResults", "default_index_dir"]

_META_FILE = "vnsearch.json"
INDEX_NAME = "MAIN"


# What Whoosh raises on truncated, garbled or foreign files: at open, or only
# when a reader first touches the damaged part.
_DAMAGE = (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
           struct.error, zlib.error, pickle.UnpicklingError, UnicodeDecodeError, AssertionError,
           whoosh_index.IndexError)  # Whoosh's own: a table of contents it cannot read

DEFAULT_WAIT = 60.0
DEFAULT_COMMIT_EVERY = 1000  # articles written between two commits of one indexing run
_POLL = 0.1  # seconds between attempts at the write lock


def _rebuild_hint(path: Path) -> str:
    return (f"rebuild it from its stored articles with: vnsearch reindex --index-dir {path} "
            f"(or from the original files: vnsearch index --rebuild --index-dir {path} PATH…)")


def default_index_dir() -> Path:
    """``$VNSEARCH_INDEX`` if set, else ``index`` in the current directory."""
    return Path(os.environ.get("VNSEARCH_INDEX") or "index")


@dataclass
class Hit:
    """One search result. ``snippet`` is plain text; ``snippet_obj`` has the offsets."""

    id: str
    score: float
    rank: int
    title: str
    date: str
    source: str
    credit: str
    url: str
    category: str
    snippet: str
    highlights: list[tuple[int, int]]
    title_highlights: list[tuple[int, int]]
    title_derived: bool = False
    similar_ids: list[str] = field(default_factory=list)  # near-copies collapsed into this hit
    time: str = ""  # "2021-04-26T08:33:41+07:00" when the source gave a time

    @property
    def snippet_obj(self) -> Snippet:
        return Snippet(self.snippet, self.highlights)

    @property
    def title_snippet(self) -> Snippet:
        return Snippet(self.title, self.title_highlights)

    def snippet_html(self) -> str:
        return self.snippet_obj.html()

    @property
    def display_source(self) -> str:
        """Who published it: the source, else the credited original."""
        return self.source or self.credit

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "date": self.date,
            **({"time": self.time} if self.time else {}),
            "source": self.display_source,
            "url": self.url,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            **({"similar_ids": list(self.similar_ids)} if self.similar_ids else {}),
        }


class SearchResults(list):
    """A list of :class:`Hit`, best first, with the query's totals."""

    def __init__(self, hits: Iterable[Hit] = (), total: int = 0, matched: int = 0,
                 query: ParsedQuery | None = None, offset: int = 0, sort: str = "relevance",
                 facets: dict[str, dict[str, int]] | None = None) -> None:
        super().__init__(hits)
        self.total = total  # documents matching every word of the query (after filters)
        self.matched = matched  # documents matching at least one word
        self.query = query
        self.offset = offset
        self.sort = sort
        # With facets=True: {"source"|"category"|"credit"|"month": {name: count}}
        # over the `total` documents; "" counts those without a value.
        self.facets = facets
        self._suggestion: str | None = None
        self._compute_suggestion: Callable[[], str | None] | None = None
        self.near_duplicates = 0  # similar(): near-copies of the article left out

    @property
    def suggestion(self) -> str | None:
        """The query with its diacritics restored, if likely (see :meth:`SearchEngine.suggest`).

        Worked out when first read, from the hits' own text: restoring costs
        about as much again as the search, and most callers never ask.
        """
        compute = self._compute_suggestion
        if compute is not None:
            self._compute_suggestion = None
            self._suggestion = compute()
        return self._suggestion

    @suggestion.setter
    def suggestion(self, value: str | None) -> None:
        self._compute_suggestion = None
        self._suggestion = value


class SearchEngine:
    """A Vietnamese news index in one directory.

    >>> engine = SearchEngine("index")
    >>> engine.add_articles([{"id": "a1", "title": "Trí tuệ nhân tạo", "body": "…"}])
    1
    >>> engine.search("tri tue nhan tao")[0].id
    'a1'
    """

    def __init__(self, path: str | os.PathLike | None = None, create: bool = True,
                 params: RankParams | None = None, rebuild: bool = False,
                 wait: float | None = DEFAULT_WAIT, on_wait: Callable[[], None] | None = None) -> None:
        """Open the index at *path*, creating it if needed (unless ``create=False``).

        ``rebuild=True`` discards an existing index first, including one
        written by another version or too damaged to open.

        Only one process at a time can write to an index. A write (adding,
        deleting, clearing) that finds another process writing waits up to
        *wait* seconds for it to finish (``None``: as long as it takes),
        calling *on_wait* once when it starts waiting, then raises
        :class:`IndexBusy`. Searches never wait.
        """
        self.path = Path(path) if path is not None else default_index_dir()
        self.params = params or RankParams()
        self.wait = wait
        self.on_wait = on_wait
        self._ranker: Ranker | None = None
        self._searcher = None
        self._df = None  # document-frequency lookup for suggestions, per reader
        if rebuild and self.path.is_dir() and any(self._is_index_file(p.name) for p in self.path.iterdir()):
            # Under the write lock, so a process writing to the index is waited for, not broken.
            from whoosh.filedb.filestore import FileStorage

            lock = FileStorage(str(self.path)).lock(INDEX_NAME + "_WRITELOCK")
            self._wait_for(lambda: lock if lock.acquire(blocking=False) else None)
            try:
                self._remove_index_files()
                self._ix = self._open(create)
            finally:
                lock.release()
        else:
            self._ix = self._open(create)

    def _remove_index_files(self) -> None:
        """Delete this index's own files, and nothing else in the directory."""
        if not self.path.is_dir():
            return
        for p in self.path.iterdir():
            # The lock file stays: another process may be waiting on it.
            if p.is_file() and self._is_index_file(p.name) and p.name != INDEX_NAME + "_WRITELOCK":
                p.unlink()

    @staticmethod
    def _is_index_file(name: str) -> bool:
        return name == _META_FILE or name.startswith((INDEX_NAME + "_", "_" + INDEX_NAME + "_"))

    # -- opening --------------------------------------------------------------

    def _open(self, create: bool):
        path = self.path
        try:
            exists = whoosh_index.exists_in(str(path), indexname=INDEX_NAME)
        except _DAMAGE as exc:  # a table of contents that cannot be read
            raise self._damaged(exc) from exc
        if exists:
            problem = self._schema_problem()
            if problem:
                raise IndexVersionMismatch(f"{problem}; {_rebuild_hint(path)}")
            try:
                return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
            except _DAMAGE as exc:  # damaged segment files and the like
                raise self._damaged(exc) from exc
        if path.exists() and not path.is_dir():
            raise IndexUnusable(f"{path} is a file, not an index directory")
        files = sorted(p.name for p in path.iterdir()
                       if not p.name.startswith(".") and p.name != INDEX_NAME + "_WRITELOCK") if path.is_dir() else []
        ours = [name for name in files if self._is_index_file(name)]
        if ours:  # pieces of an index, but no table of contents to read them by
            raise IndexDamaged(f"{path}: the index is damaged and cannot be read (its table of contents "
                              f"is missing; found {', '.join(ours[:3])}); {_rebuild_hint(path)}")
        if files:
            raise (IndexUnusable if create else IndexNotFound)(
                f"{path} holds other files ({', '.join(files[:3])}{'…' if len(files) > 3 else ''}) "
                f"and no index; choose an empty or new directory")
        if not create:
            raise IndexNotFound(f"no index at {path}; build one with: vnsearch index --index-dir {path} PATH…")
        path.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
        self._write_meta()
        return ix

    def _schema_problem(self) -> str | None:
        meta = self._read_meta()
        if meta.get("schema_version") != SCHEMA_VERSION:
            return (f"{self.path} was written by another version of vnsearch "
                    f"(schema {meta.get('schema_version')!r}, this one reads {SCHEMA_VERSION})")
        return None

    @staticmethod
    def _damage_text(exc: BaseException) -> str:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return f"the index is damaged and cannot be read ({detail})"

    def _damaged(self, exc: BaseException) -> IndexDamaged:
        return IndexDamaged(f"{self.path}: {self._damage_text(exc)}; {_rebuild_hint(self.path)}")

    @contextmanager
    def _reading(self):
        """Turn what Whoosh raises on damaged files into an :class:`IndexUnusable`."""
        try:
            yield
        except (QueryError, IndexUnusable):
            raise
        except _DAMAGE as exc:
            raise self._damaged(exc) from exc

    def _read_meta(self) -> dict:
        try:
            return json.loads((self.path / _META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_meta(self) -> None:
        (self.path / _META_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n", "utf-8")

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
            self._ranker = None
        self._ix.close()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------

    def _current(self):
        """A searcher on the latest commit (reopened only when the index changed)."""
        if self._searcher is None:
            self._searcher = self._ix.searcher()
            self._ranker = None
        elif not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = self._ix.searcher()
            self._ranker = None
        if self._ranker is None:
            self._ranker = Ranker(self._searcher.reader(), self.params)
            self._df = None
        return self._searcher, self._ranker

    def __len__(self) -> int:
        with self._reading():
            return self._current()[0].doc_count()

    def __contains__(self, article_id: str) -> bool:
        with self._reading():
            return self._current()[0].document_number(id=article_id) is not None

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        with self._reading():
            fields = self._current()[0].document(id=article_id)
            return _article_from_fields(fields) if fields else None

    def ids(self) -> Iterator[str]:
        with self._reading():
            for fields in self._current()[0].all_stored_fields():
                yield fields["id"]

    # -- writing -----------------------------------------------------------------

    def _writer(self, **kwargs):
        """The index's writer, once the write lock is ours (see ``wait``)."""
        def attempt():
            try:
                return self._ix.writer(codec=CompactCodec(), **kwargs)
            except LockError:
                return None
        return self._wait_for(attempt)

    def _wait_for(self, attempt: Callable[[], object]):
        """``attempt()`` until it returns something, for at most ``self.wait`` seconds."""
        got = attempt()
        if got is not None:
            return got
        if self.on_wait:
            self.on_wait()
        deadline = None if self.wait is None else time.monotonic() + self.wait
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                raise IndexBusy(f"{self.path}: another process kept writing to the index for more than "
                                f"{self.wait:g} s; try again when it finishes, or wait longer")
            time.sleep(_POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic())))
            got = attempt()
            if got is not None:
                return got

    def add_articles(self, articles: Iterable[Article | Mapping], jobs: int | None = None,
                     on_progress: Callable[[Article], None] | None = None,
                     on_warning: Callable[[LoadWarning], None] | None = None,
                     commit_every: int | None = DEFAULT_COMMIT_EVERY) -> int:
        """Add or replace articles; returns how many were added or replaced."""
        return self.index_articles(articles, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                                   commit_every=commit_every).written

    def index_articles(self, articles: Iterable[Article | Mapping], jobs: int | None = None,
                       on_progress: Callable[[Article], None] | None = None,
                       on_warning: Callable[[LoadWarning], None] | None = None,
                       commit_every: int | None = DEFAULT_COMMIT_EVERY) -> IndexSummary:
        """Add or replace articles; an article whose content is unchanged is left alone.

        A bad record (no id, no text, wrong types) is skipped with a warning;
        the others are indexed. A commit follows every *commit_every* written
        articles (``None``: only at the end) and ends the call, so an
        interrupted run keeps everything up to its last commit. Between
        commits the write lock is let go, so another writer may go first;
        ids it added meanwhile are replaced, never added twice.
        """
        if commit_every is not None and commit_every < 1:
            raise ValueError("commit_every must be at least 1 (or None)")
        summary = IndexSummary()
        # The lock first, then the searcher: articles another process committed
        # while we waited must be seen, or their ids would be added twice.
        writer = bulk_writer(self._writer(limitmb=256))
        older = {s.segment_id() for s in writer.segments}  # what this run finds: see merge()
        try:
            with self._reading():
                searcher = self._current()[0]
        except BaseException:
            _cancel(writer)
            raise

        seen: set[str] = set()
        digests: dict[str, str] = {}

        def note(warning: LoadWarning) -> None:
            summary.warnings.append(str(warning))
            if on_warning:
                on_warning(warning)

        def changed() -> Iterator[Article]:
            """Valid articles whose content differs from what is indexed.

            The digest check comes before analysis, so unchanged input costs
            a hash and a lookup, never a segmentation.
            """
            for n, item in enumerate(articles, 1):
                try:
                    article = coerce_article(item)
                except ArticleError as exc:
                    summary.skipped += 1
                    where = getattr(item, "origin", "") or f"article #{n}"
                    note(LoadWarning(where, None, str(exc)))
                    continue
                digest = article_digest(article)
                if article.id not in seen:
                    existing = searcher.document(id=article.id)
                    if existing is not None and existing.get("digest") == digest:
                        summary.unchanged += 1
                        seen.add(article.id)
                        if on_progress:
                            on_progress(article)
                        continue
                    if existing is not None:
                        seen.add(article.id)
                digests[article.id] = digest
                if indexing.too_long(article):
                    limit = f"{indexing.MAX_ANALYSED_CHARS:,}"
                    note(LoadWarning(article.origin or f"article #{n}", None,
                                     f"article {article.id}: text longer than {limit} characters; "
                                     f"only the first {limit} are searchable"))
                yield article

        in_writer: set[str] = set()  # ids written since the writer opened
        recommitted = False
        try:
            for article, doc in prepare_documents(changed(), jobs=jobs):
                if "time" in doc and "time" not in writer.schema:
                    del doc["time"]  # an index made before times were stored: the day is kept
                doc["digest"] = digests.pop(article.id, None) or article_digest(article)
                # Whoosh only deletes committed documents: the same id twice in
                # one input needs a commit between, or both would stay.
                if article.id in in_writer or (commit_every is not None and len(in_writer) >= commit_every):
                    writer.commit(mergetype=merge_policy(final=False))
                    writer = bulk_writer(self._writer(limitmb=256))
                    in_writer.clear()
                    recommitted = True
                    with self._reading():
                        searcher = self._current()[0]  # what others committed meanwhile
                if article.id in seen or (recommitted and searcher.document_number(id=article.id) is not None):
                    summary.replaced += 1
                    writer.update_document(**doc)
                else:
                    summary.added += 1
                    add_prepared(writer, doc)
                seen.add(article.id)
                in_writer.add(article.id)
                if on_progress:
                    on_progress(article)
        except BaseException:
            _cancel(writer)
            raise
        if in_writer:
            writer.commit(mergetype=merge_policy(final=False))
        else:
            _cancel(writer)
        if summary.written:
            self.merge(older)
        return summary

    def merge(self, older: Collection[str] | None = None) -> bool:
        """Merge the index's small segments (see :func:`vnsearch.store.merge.choose`); True if any were.

        Every commit of an indexing run writes a segment, and each query pays
        per segment; a run merges what it wrote at its end (every segment
        whose id is not in *older*), so the whole corpus loaded in one run is
        one segment. Called by :meth:`index_articles`; call it after writing
        with Whoosh directly.
        """
        segments = self._ix._segments()
        live, chosen = plan(segments, older)
        if not chosen and len(live) == len(segments):
            return False  # nothing to merge, no empty segment to drop: no writer, no commit
        writer = self._writer()
        try:
            writer.commit(mergetype=merge_policy(final=True, older=older))
        except BaseException:
            if not writer.is_closed:
                _cancel(writer)
            raise
        return True

    def add_paths(self, paths: Sequence[str | os.PathLike], jobs: int | None = None,
                  on_progress: Callable[[Article], None] | None = None,
                  on_warning: Callable[[LoadWarning], None] | None = None,
                  strict: bool = False, commit_every: int | None = DEFAULT_COMMIT_EVERY,
                  map: Mapping[str, str] | Sequence[str] | None = None,  # the CLI's --map
                  tz: str | None = None) -> IndexSummary:
        """Load .txt / .jsonl / .ndjson / .json / RSS / Atom files, directories or ``"-"`` (stdin) and index them.

        ``map`` reads other sources' keys as ours: ``{"published": "date"}``
        or ``["published=date"]`` (a key mapped to ``""`` is ignored); common
        aliases are recognised without it. ``tz`` is the zone of times given
        without an offset and of the days articles are filed under
        (default Asia/Ho_Chi_Minh). A bad map or zone raises ValueError.

        ``strict=True``: each file is read in full first, and a file that gave
        any load warning is not indexed at all (not even its good records);
        it is listed in ``summary.rejected_files``. Files without warnings
        are indexed as usual. ``summary.load_warnings`` counts the warnings.
        """
        pairs = [f"{k}={v}" for k, v in map.items()] if isinstance(map, Mapping) else list(map or ())
        options = LoadOptions(FieldMap(parse_map(pairs)), tz)
        load_skipped = 0
        load_warnings = 0
        rejected: list[str] = []

        def warn(w: LoadWarning) -> None:
            nonlocal load_skipped, load_warnings
            load_warnings += 1
            if w.fatal:
                load_skipped += 1
            if on_warning:
                on_warning(w)

        def whole_files() -> Iterator[Article]:
            """Each file's articles, only if reading the whole file gave no warning."""
            nonlocal load_skipped
            for path in paths:
                p = Path(path)
                files = list(iter_files(p, warn)) if p.is_dir() else [p]
                for file in files:
                    found: list[LoadWarning] = []
                    loaded = list(load_path(file, on_warning=found.append, options=options))
                    for w in found:
                        warn(w)
                    if found:
                        load_skipped += len(loaded)  # good records of a rejected file
                        rejected.append(str(file))
                    else:
                        yield from loaded

        source = whole_files() if strict else load_paths(paths, on_warning=warn, options=options)
        summary = self.index_articles(source, jobs=jobs, on_progress=on_progress, on_warning=on_warning,
                                      commit_every=commit_every)
        summary.skipped += load_skipped
        summary.load_warnings = load_warnings
        summary.rejected_files = rejected
        return summary

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id; returns how many were found and deleted."""
        writer = self._writer()
        count = 0
        try:
            for article_id in ids:
                count += writer.delete_by_term("id", article_id)
        except BaseException:
            _cancel(writer)
            raise
        if count:
            writer.commit(mergetype=merge_policy(final=True))
        else:  # nothing found: the index stays as it was, files and all
            _cancel(writer)
        return count

    def clear(self) -> None:
        """Remove every article (the directory stays an index)."""
        self._writer().commit(mergetype=CLEAR)

    # -- searching ---------------------------------------------------------------

    def suggest(self, query: str | ParsedQuery, min_confidence: float = 0.6) -> str | None:
        """The query with its diacritics restored, when it was typed without them.

        Only for queries of words and quoted phrases (no exclusions, filters
        or OR), typed wholly without diacritics, and only when the index makes
        the restoration likely enough (``tri tue nhan tao`` → ``trí tuệ nhân
        tạo``; quotes are kept: ``xoa "doc tu than"`` → ``xóa "dốc tử thần"``).
        None otherwise. See :meth:`restoration` for how.
        """
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
        with self._reading():
            return self._suggest(parsed, min_confidence)

    def _suggest(self, parsed: ParsedQuery, min_confidence: float = 0.6,
                 documents: Sequence[Mapping] | None = None) -> str | None:
        if parsed.excluded or parsed.filters or parsed.has_date_filter or any(len(g) != 1 for g in parsed.groups):
            return None
        run = parsed.syllables()
        if not run or any(has_diacritics(s) for s in run):
            return None
        restored = self._restoration(run, documents)
        if restored.changed and restored.confidence >= min_confidence:
            return _respell(parsed.text, restored.syllables)
        return None

    def restore(self, text: str) -> str:
        """*text* with its diacritics restored: ``"tri tue nhan tao"`` → ``"trí tuệ nhân tạo"``.

        Lower-case syllables joined by spaces, punctuation left out; syllables
        typed with diacritics stay as typed. See :meth:`restoration`.
        """
        return self.restoration(text).text

    def restoration(self, text: str, context: bool = True, params: RestoreParams | None = None) -> Restoration:
        """The most likely accented spelling of *text*, with its confidence.

        The folded text is searched first, and the top hits' own title, lead
        and body vote for the spellings of every run of its syllables they
        contain (:func:`vnsearch.search.restore.context_evidence`): the headline of an
        indexed article is read off that article, and other text borrows the
        spellings of articles on the same subject. Syllables no hit covers fall
        back to the index-wide model (document frequencies of syllables and
        words, :func:`vnsearch.search.restore.restore`). ``context=False`` uses that
        model alone (no search).
        """
        syllables = query_syllables(text)
        with self._reading():
            return self._restoration(syllables, None if context else (), params)

    def _restoration(self, syllables: Sequence[str], documents: Sequence[Mapping] | None = None,
                     params: RestoreParams | None = None) -> Restoration:
        """Restore *syllables*; *documents* are the hits' stored fields (None: search for them)."""
        p = params or DEFAULT_PARAMS
        searcher, _ = self._current()
        if self._df is None:
            self._df = index_df(searcher.reader())
        df, total = self._df
        context = None
        if syllables and not all(has_diacritics(s) for s in syllables):
            if documents is None:
                documents = self._context_documents(syllables, p.context_hits)
            if documents:
                context = context_evidence(syllables, documents[: p.context_hits], p)
        return restore(syllables, df, total, p, context=context)

    def _context_documents(self, syllables: Sequence[str], limit: int) -> list[Mapping]:
        """Stored fields of the top *limit* hits of *syllables* as plain words (inside ``_reading``)."""
        searcher, ranker = self._current()
        reader = searcher.reader()
        parsed = ParsedQuery(groups=[[Phrase([s])] for s in syllables], runs=[list(syllables)],
                             text=" ".join(syllables))
        ranking = ranker.rank(parsed, limit=limit)
        return [reader.stored_fields(int(d)) for d in ranking.docs]

    def search(self, query: str | ParsedQuery, limit: int = 10, offset: int = 0,
               snippet_chars: int = 240, suggest: bool = True, *, since=None, until=None,
               sort: str = "relevance", facets: bool = False,
               source: str | Sequence[str] | None = None,
               category: str | Sequence[str] | None = None,
               recent: bool = False, half_life: float = 180, collapse: bool = True,
               page: int | None = None, half_life_days: float | None = None) -> SearchResults:
        """Best matches first. Raises :class:`QueryError` for an empty query.

        With ``suggest=True`` a query typed without diacritics also gets
        ``results.suggestion``: the accented query the index makes likely, if
        any (see :meth:`suggest`), worked out when first read.

        ``since`` / ``until`` (``"YYYY"``, ``"YYYY-MM"``, ``"YYYY-MM-DD"`` or a
        ``datetime.date``) keep dated articles from the start of the first
        period to the end of the second; undated articles are left out of a
        date-filtered search. ``source`` / ``category`` (a name or a list of
        names, any one of which will do) filter like ``source:`` and
        ``category:`` in the query. ``sort="newest"`` / ``"oldest"`` lists the
        ``total`` documents matching every word by date, undated last, ties
        by score. ``facets=True`` sets ``results.facets``.

        ``recent=True`` favours newer articles: each score is multiplied by
        ``0.5 ** (age_days / half_life)``, the age counted from the
        newest dated article in the index (not today, so results are stable);
        undated articles count as old as the oldest dated one. Only for
        ``sort="relevance"``.

        ``collapse=True`` shows one hit per group of near-duplicates (the
        best-ranked; the others' ids in ``hit.similar_ids``): matches sharing
        a MinHash band with it and an estimated 5-shingle Jaccard ≥ 0.7.
        ``offset`` counts groups; ``total`` and ``matched`` count articles.

        ``page`` (from 1) is the CLI's ``--page``: ``offset = (page - 1) * limit``.
        ``half_life_days`` is the earlier name of ``half_life``, still accepted.
        The parameters carry the CLI options' names (``--half-life`` is
        ``half_life``, ``--all`` is ``collapse=False``).
        """
        parsed = typed = query if isinstance(query, ParsedQuery) else parse_query(query)
        if limit < 0 or offset < 0:
            raise QueryError("limit and offset must not be negative")
        if page is not None:
            if isinstance(page, bool) or not isinstance(page, int) or page < 1:
                raise QueryError("page must be a whole number from 1")
            if offset:
                raise QueryError("give page or offset, not both")
            offset = (page - 1) * limit
        if half_life_days is not None:
            half_life = half_life_days
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}: use {', '.join(SORTS)}")
        life, half_life = half_life, None
        if recent:
            if sort != "relevance":
                raise QueryError(f"recent ranking applies to the relevance order, not sort={sort!r}")
            try:
                half_life = float(life)
            except (TypeError, ValueError):
                raise QueryError("half_life must be a number of days") from None
            if not half_life > 0 or half_life == float("inf"):
                raise QueryError("half_life must be a positive number of days")
        if since is not None or until is not None:
            parsed = copy.copy(parsed)  # the caller's query stays as it was
            parsed.restrict_dates(date_range(since, "since")[0] if since is not None else None,
                                  date_range(until, "until")[1] if until is not None else None)
        if parsed.since is not None and parsed.until is not None and parsed.since > parsed.until:
            raise QueryError(f"the date range is empty: since {_day(parsed.since)} is after until {_day(parsed.until)}")
        filters: dict[str, list[str]] = {}
        for key, value in (("source", source), ("category", category)):
            if value is not None:
                values = [value] if isinstance(value, str) else list(value)
                if not all(isinstance(v, str) and v.strip() for v in values):
                    raise QueryError(f"{key} must be a non-empty name or a list of them")
                filters[key] = values
        with self._reading():
            results = self._search(parsed, typed, limit, offset, snippet_chars, suggest, sort, facets, filters,
                                   half_life, collapse)
        if sort != "relevance":  # the index sorts by day; the stored times order a page's hits within a day
            results[:] = order_within_days(list(results), sort == "newest", lambda h: h.date, lambda h: h.time)
            for i, hit in enumerate(results):
                hit.rank = offset + i + 1
        return results

    def _search(self, parsed: ParsedQuery, typed: ParsedQuery, limit: int, offset: int, snippet_chars: int,
                suggest: bool, sort: str, facets: bool, filters: dict[str, list[str]],
                half_life: float | None = None, collapse: bool = False) -> SearchResults:
        searcher, ranker = self._current()
        reader = searcher.reader()
        highlighter = Highlighter.for_query(parsed)
        hits = []
        shown: list[Mapping] = []  # the hits' stored fields
        if not collapse:
            ranking = ranker.rank(parsed, limit=limit, offset=offset, sort=sort, facets=facets, filters=filters,
                                  half_life=half_life)
            for i, (doc, score) in enumerate(zip(ranking.docs, ranking.scores)):
                fields = reader.stored_fields(int(doc))
                shown.append(fields)
                hits.append(_hit(fields, float(score), offset + i + 1, highlighter, snippet_chars))
        else:
            fetch = (offset + limit) * 2 + 20
            while True:
                ranking = ranker.rank(parsed, limit=fetch, offset=0, sort=sort, facets=facets, filters=filters,
                                      half_life=half_life)
                groups = _collapse(reader, ranking.docs, offset + limit)
                if len(groups) >= offset + limit or len(ranking.docs) < fetch:
                    break
                fetch *= 4  # many copies among the matches: look further down
            position = {int(d): float(s) for d, s in zip(ranking.docs, ranking.scores)}
            for i, (doc, fields, copies) in enumerate(groups[offset: offset + limit]):
                shown.append(fields)
                hit = _hit(fields, position[doc], offset + i + 1, highlighter, snippet_chars)
                hit.similar_ids = [reader.stored_fields(c)["id"] for c in copies]
                hits.append(hit)
        results = SearchResults(hits, ranking.total, ranking.matched, parsed, offset, sort, ranking.facets)
        if suggest:
            # The hits' text is read for the restoration when they are the top
            # relevance hits for the query alone; otherwise it searches again.
            k = DEFAULT_PARAMS.context_hits
            own = (sort == "relevance" and not offset and half_life is None and not filters
                   and not parsed.has_date_filter and (len(shown) >= k or len(shown) < limit))
            # options like since= are not part of the query
            documents = shown if own else None

            def compute() -> str | None:
                with self._reading():
                    return self._suggest(typed, documents=documents)

            results._compute_suggestion = compute
        return results

    # -- related articles ---------------------------------------------------------

    def similar(self, article_id: str, limit: int = 10, snippet_chars: int = 240,
                terms: int = 25) -> SearchResults:
        """Articles about the same thing as *article_id*, best first.

        The article's stored text is re-tokenised (no segmenter) into folded
        syllables; the *terms* most distinctive of them (count in the article
        × idf from the index's ``text_f`` document frequencies; syllables no
        other article holds and bare numbers and dates left out) make a plain soft
        query for the usual ranker. The article itself and its
        near-duplicates (syllable 5-shingle Jaccard ≥ 0.7 with it, on the
        stored text) are left out. ``results.query.text`` holds the terms.
        Raises ``KeyError`` for an unknown id.
        """
        if limit < 0:
            raise QueryError("limit must not be negative")
        with self._reading():
            results = self._similar(article_id, limit, snippet_chars, terms)
        if results is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return results

    def _similar(self, article_id: str, limit: int, snippet_chars: int, terms: int) -> SearchResults | None:
        searcher, ranker = self._current()
        source = searcher.document(id=article_id)
        if source is None:
            return None
        reader = searcher.reader()
        folded = folded_syllables(article_text(source))
        counts: dict[str, int] = {}
        for syl in folded:
            counts[syl] = counts.get(syl, 0) + 1
        weighted = []
        for syl, tf in counts.items():
            if not any(c.isalpha() for c in syl):
                continue  # bare numbers and dates
            df = reader.doc_frequency("text_f", syl)
            if df <= 1:
                continue  # only this article (or nowhere): finds nothing else
            weighted.append((tf * ranker._idf(df), syl))
        weighted.sort(key=lambda x: (-x[0], x[1]))
        chosen = [syl for _, syl in weighted[:terms]]
        parsed = ParsedQuery(groups=[[Phrase([syl])] for syl in chosen], text=" ".join(chosen))
        results = SearchResults([], 0, 0, parsed)
        if not chosen or not limit:
            return results
        source_shingles = shingles(folded)
        self_doc = searcher.document_number(id=article_id)
        highlighter = Highlighter.for_query(parsed)
        want = limit
        fetch = limit * 2 + 10
        hits: list[Hit] = []
        excluded = 0
        while True:
            ranking = ranker.rank(parsed, limit=fetch)
            hits, excluded = [], 0
            for doc, score in zip(ranking.docs, ranking.scores):
                if int(doc) == self_doc:
                    excluded += 1
                    continue
                fields = reader.stored_fields(int(doc))
                if fields.get("id") == article_id or jaccard(
                        source_shingles, shingles(folded_syllables(article_text(fields)))) >= NEAR_DUPLICATE:
                    excluded += 1
                    continue
                hits.append(_hit(fields, float(score), len(hits) + 1, highlighter, snippet_chars))
                if len(hits) == want:
                    break
            if len(hits) == want or len(ranking.docs) < fetch:
                break
            fetch *= 4  # many near-duplicates: look further down
        results = SearchResults(hits, max(ranking.matched - excluded, len(hits)),
                                max(ranking.matched - excluded, len(hits)), parsed)
        results.near_duplicates = excluded - (1 if self_doc is not None else 0)
        return results

    # -- checking -----------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found in the index; an empty list means it is sound.

        Reads everything a search can touch: the schema version, every stored
        document (each must have an id, and no id may appear twice), the
        document count against the ids, and the id terms.
        """
        problems = []
        schema = self._schema_problem()
        if schema:
            problems.append(schema)
        try:
            searcher = self._current()[0]
            reader = searcher.reader()
            seen: dict[str, int] = {}
            stored = 0
            for docnum in reader.all_doc_ids():
                stored += 1
                fields = reader.stored_fields(docnum)
                article_id = fields.get("id")
                if not article_id:
                    problems.append(f"document #{docnum} has no id")
                    continue
                seen[article_id] = seen.get(article_id, 0) + 1
            twice = sorted(i for i, n in seen.items() if n > 1)
            if twice:
                problems.append(f"{len(twice)} id(s) stored more than once: {', '.join(twice[:5])}")
            count = searcher.doc_count()
            if count != stored:
                problems.append(f"the index counts {count} documents but {stored} can be read")
            if count != sum(seen.values()):
                problems.append(f"the index counts {count} documents but holds {sum(seen.values())} ids")
            terms = sum(1 for _ in reader.lexicon("id"))
            if terms < len(seen):
                problems.append(f"{len(seen) - terms} stored id(s) cannot be found by id")
        except _DAMAGE as exc:
            problems.append(self._damage_text(exc))
        return problems

    # -- statistics ---------------------------------------------------------------

    def stats(self) -> dict:
        """Articles, size on disk, date range: what ``vnsearch stats`` prints."""
        with self._reading():
            searcher = self._current()[0]
            dates = sorted(d for d in (f.get("date") for f in searcher.all_stored_fields()) if d)
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        return {
            "path": str(self.path),
            "articles": searcher.doc_count(),
            "size_bytes": size,
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
            "dated": len(dates),
        }

    # -- ingest: export and rebuild from stored articles (issue 18) ---------------------------
    # Thin: the records are made in vnsearch.ingest.export, the raw reading is vnsearch.store.dump.

    def export(self, *, since: str | None = None, until: str | None = None,
               source: str | Sequence[str] | None = None,
               category: str | Sequence[str] | None = None) -> Iterator[dict[str, str]]:
        """Every stored article (or those the filters keep) as an input record, streamed, in index order.

        Records carry the input's own keys (``sapo``, not ``lead``; see
        :func:`vnsearch.ingest.export.export_record`), so ``export`` then
        ``add_articles`` gives the same articles. The filters work as in
        :meth:`search` (days; source and category case-, accent- and
        punctuation-insensitive, part of the name will do).
        """
        keep = ArticleFilter(since=date_range(since, "since")[0] if since is not None else None,
                             until=date_range(until, "until")[1] if until is not None else None,
                             sources=[source] if isinstance(source, str) else source,
                             categories=[category] if isinstance(category, str) else category)
        with self._reading():
            reader = self._current()[0].reader()
            stored = (reader.stored_fields(d) for d in reader.all_doc_ids())
            yield from export_records(f for f in stored if keep(f))

    @classmethod
    def reindex(cls, path: str | os.PathLike, jobs: int | None = None,
                on_progress: Callable[[Article], None] | None = None,
                on_warning: Callable[[LoadWarning], None] | None = None,
                wait: float | None = DEFAULT_WAIT) -> IndexSummary:
        """Rebuild the index at *path* from its own stored articles, in this version's format.

        Works on an index another version wrote, as long as its stored
        articles can be read: the rebuild the version check asks for needs no
        original files. The new index is built beside the old one and takes
        its place only when complete; the old one is locked meanwhile.
        """
        from vnsearch.store import dump

        path = Path(path)
        hint = f"rebuild it from the original files: vnsearch index --rebuild --index-dir {path} PATH…"
        try:
            exists = whoosh_index.exists_in(str(path), indexname=INDEX_NAME)
        except _DAMAGE as exc:
            raise IndexDamaged(f"{path}: the index cannot be read ({type(exc).__name__}: {exc}); {hint}") from exc
        if not exists:
            raise IndexNotFound(f"no index at {path}")
        tmp = path.parent / f".{path.name}.reindex"
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp)

        def unreadable(docnum: int, exc: BaseException) -> None:
            if on_warning:
                on_warning(LoadWarning(str(path), None, f"stored article #{docnum} cannot be read "
                                                        f"({type(exc).__name__}: {exc}); left out"))

        with dump.write_lock(path, INDEX_NAME, wait):
            try:
                stored = dump.stored_articles(path, INDEX_NAME, unreadable)
            except _DAMAGE as exc:
                raise IndexDamaged(f"{path}: its stored articles cannot be read ({type(exc).__name__}: {exc}); "
                                   f"{hint}") from exc
            try:
                with cls(tmp, create=True) as new:
                    articles = (stored_article(fields) for fields in stored)
                    summary = new.index_articles(articles, jobs=jobs, on_progress=on_progress, on_warning=on_warning)
                dump.replace_files(tmp, path, cls._is_index_file, INDEX_NAME + "_WRITELOCK")
            except BaseException:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return summary
    # -- end of ingest block ------------------------------------------------------------------


def _collapse(reader, docs, wanted: int) -> list[tuple[int, dict, list[int]]]:
    """Walk ranked *docs*, folding near-copies into the best-ranked of each group.

    Returns up to *wanted* groups as (doc, stored fields, copies). A later
    match is a copy of a group's first doc when they share a MinHash band
    and their signatures estimate a 5-shingle Jaccard ≥ ``NEAR_DUPLICATE``.
    Only documents in *docs* are considered, so their bands are grouped here,
    in memory, from the signature column (one fixed-width read per doc).
    """
    order = [int(d) for d in docs]
    rank = {doc: i for i, doc in enumerate(order)}
    column = reader.column_reader("minhash") if reader.has_column("minhash") else None
    signatures = {doc: signature_of(column[doc]) if column is not None else None for doc in order}
    sharing: dict[tuple[int, bytes], list[int]] = {}  # band -> docs holding it, in rank order
    for doc in order:
        sig = signatures[doc]
        if sig is not None:
            for band in band_rows(sig):
                sharing.setdefault(band, []).append(doc)
    absorbed: set[int] = set()
    groups = []
    for doc in order:
        if doc in absorbed:
            continue
        fields = reader.stored_fields(doc)
        copies = []
        sig = signatures[doc]
        if sig is not None:
            candidates: set[int] = set()
            for band in band_rows(sig):
                holders = sharing[band]
                if len(holders) > 1:  # most bands are this doc's alone
                    candidates.update(holders)
            later = sorted((rank[c], c) for c in candidates
                           if c != doc and c not in absorbed and rank[c] > rank[doc])
            for _, c in later:
                other = signatures[c]
                if other is not None and estimated_jaccard(sig, other) >= NEAR_DUPLICATE:
                    absorbed.add(c)
                    copies.append(c)
        groups.append((doc, fields, copies))
        if len(groups) >= wanted:
            break
    return groups


def _day(value: int) -> str:
    return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


def _article_from_fields(fields: Mapping) -> Article:
    return Article(
        id=fields["id"], title=fields.get("title", ""), lead=fields.get("lead", ""),
        body=fields.get("body", ""), date=fields.get("date", "") or "", source=fields.get("source", ""),
        url=fields.get("url", ""), category=fields.get("category", ""), credit=fields.get("credit", ""),
        title_derived=bool(fields.get("title_derived", False)), time=fields.get("time", "") or "",
    )


def _respell(text: str, syllables: Sequence[str]) -> str:
    """*text* with its syllables replaced by *syllables*, quotes and punctuation kept.

    ``'xoa "doc tu than"'`` → ``'xóa "dốc tử thần"'``; if the text's words do
    not line up one for one with *syllables*, just the syllables.
    """
    words = [t for t in tokenize(text) if t.is_word]
    if len(words) != len(syllables) or not text:
        return " ".join(syllables)
    out, last = [], 0
    for token, spelt in zip(words, syllables):
        out.append(text[last:token.start])
        out.append(spelt)
        last = token.end
    out.append(text[last:])
    return " ".join("".join(out).split())


def _cancel(writer) -> None:
    """``writer.cancel()``, and the files it had opened for its segment deleted.

    Whoosh creates a writer's segment files when the writer opens and leaves
    them when it is cancelled, for the next commit to delete: a re-run that
    finds nothing changed would leave three empty files behind.
    """
    segment = getattr(writer, "newsegment", None)
    writer.cancel()
    if segment is not None:
        for name in segment.list_files(writer.storage):
            try:
                writer.storage.delete_file(name)
            except OSError:
                pass


def _hit(fields: Mapping, score: float, rank: int, highlighter: Highlighter, snippet_chars: int) -> Hit:
    title = fields.get("title", "")
    # The passage comes from the body if the query is found there, else the lead.
    best = None
    for zone in ("body", "lead"):
        # Only the indexed part can hold a match (and a huge text would be slow to scan).
        text = indexing.searchable(fields.get(zone, ""))
        if not text:
            continue
        snip = highlighter.snippet(text, snippet_chars)
        if snip.highlights or best is None:
            if best is None or len(snip.highlights) > len(best.highlights):
                best = snip
    best = best or Snippet("")
    title_snip = highlighter.snippet(title, whole=True)
    return Hit(
        id=fields["id"], score=score, rank=rank, title=title_snip.text, date=fields.get("date", "") or "",
        source=fields.get("source", ""), credit=fields.get("credit", ""), url=fields.get("url", ""),
        category=fields.get("category", ""), snippet=best.text, highlights=best.highlights,
        title_highlights=title_snip.highlights, title_derived=bool(fields.get("title_derived", False)),
        time=fields.get("time", "") or "",
    )
