"""Turning articles into index documents and writing them to Whoosh.

Analysis (above all underthesea's segmentation) is the cost that dominates
indexing, so it happens in :func:`prepare_document`, a pure function that
worker processes can run in parallel; the single Whoosh writer in the parent
only encodes and stores what they return.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping

from .analysis import Segmenter, add_terms, analyze
from .articles import Article, ArticleError
from .schema import ZONE_OFFSET, ZONE_WEIGHTS, ZONES, facet_value
from .similar import article_text, folded_syllables, minhash, shingles, signature_bytes

__all__ = ["IndexSummary", "prepare_document", "prepare_documents", "article_digest", "coerce_article"]

BATCH_SIZE = 32

# Segmenting costs about 12 s per million characters, so a zone longer than this
# is stored whole but only its first MAX_ANALYSED_CHARS characters are indexed
# (searchable); the indexer warns about such articles.
MAX_ANALYSED_CHARS = 1_000_000


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


def coerce_article(item: Article | Mapping) -> Article:
    """Accept an :class:`Article` or a JSON-like dict (raises ArticleError)."""
    if isinstance(item, Article):
        # Articles built in code get the same checks and cleaning as loaded ones.
        data = item.to_dict()
        data["sapo"] = data.pop("lead", "")
        article = Article.from_dict(data, origin=item.origin, warn=lambda message: None)
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
    return h.hexdigest()


def prepare_document(article: Article, segmenter: Segmenter | None = None) -> dict:
    """The Whoosh field values for one article (picklable, for worker processes)."""
    segmenter = segmenter or Segmenter.shared()
    doc: dict = {
        "id": article.id,
        "date": article.date or None,
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
    exact: dict = {}
    folded: dict = {}
    title: dict = {}
    for i, zone in enumerate(ZONES):
        text = getattr(article, zone)
        if text:
            add_terms(analyze(searchable(text), segmenter), exact, folded, ZONE_WEIGHTS[i], i * ZONE_OFFSET,
                      title=title if zone == "title" else None)
            doc[zone] = text
    doc["text"] = exact
    doc["text_f"] = folded
    if title:
        doc["title_f"] = title
    signature = minhash(shingles(folded_syllables(article_text(article))))
    doc["minhash"] = signature_bytes(signature)
    return {k: v for k, v in doc.items() if v is not None}


def _prepare_batch(articles: list[Article]) -> list[dict]:
    segmenter = Segmenter.shared()
    return [prepare_document(a, segmenter) for a in articles]


def _batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def prepare_documents(articles: Iterable[Article], jobs: int | None = None,
                      batch_size: int = BATCH_SIZE) -> Iterator[tuple[Article, dict]]:
    """Analyse articles, in parallel when worthwhile, in input order.

    ``jobs=None`` uses every core, but only once the input proves longer than
    a few batches: starting workers (each loads the model) costs more than
    segmenting a handful of articles. At most ``2 × jobs`` batches are in
    flight, so memory stays bounded however long the input is.
    """
    jobs = default_jobs() if jobs is None else max(1, jobs)
    articles = iter(articles)
    head = list(itertools.islice(articles, batch_size * 2))
    if jobs == 1 or len(head) < batch_size * 2:
        # prepare_document loads the model on first use: input that is all
        # unchanged never pays for it.
        for article in itertools.chain(head, articles):
            yield article, prepare_document(article)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[tuple[list[Article], Future]] = deque()
        for batch in _batches(itertools.chain(head, articles), batch_size):
            pending.append((batch, pool.submit(_prepare_batch, batch)))
            if len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                yield from zip(done, future.result())
        while pending:
            done, future = pending.popleft()
            yield from zip(done, future.result())


ProgressCallback = Callable[[Article], None]
