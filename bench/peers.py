"""Peer engines that vnsearch is compared against, each in its stock configuration.

Every engine is built with ``build_<name>(collection) -> Searcher`` and queried with
``searcher.search(query, k) -> [doc_id, ...]`` (best first). The peers get no
Vietnamese-specific help beyond accent folding, which is what a developer would get by
picking them off the shelf; that is the baseline vnsearch has to beat.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from typing import Protocol

from corpus import Collection
from textutil import fold_tokens, syllables

TITLE_BOOST, SAPO_BOOST, BODY_BOOST = 3.0, 2.0, 1.0
# Whoosh query syntax lives in punctuation; "." is kept because StandardAnalyzer keeps
# dotted tokens such as "u.23" whole, and the query must tokenize like the documents.
_WHOOSH_UNSAFE = re.compile(r"[^\w.]+|_")


class Searcher(Protocol):
    """What the benchmark needs from an engine."""

    def search(self, query: str, k: int = 10) -> list[str]: ...

    def close(self) -> None: ...


Builder = Callable[[Collection], Searcher]


# --------------------------------------------------------------------------- FTS5

class Fts5Searcher:
    """SQLite FTS5, unicode61 tokenizer with diacritics removed, bm25() ranking.

    Note: unicode61 does not fold đ→d (đ has no combining mark), so unaccented queries
    miss words with đ. That is stock FTS5 behaviour and is kept on purpose.
    """

    def __init__(self, collection: Collection) -> None:
        self.ids = [doc["id"] for doc in collection.docs]
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(title, sapo, body, "
            "tokenize = 'unicode61 remove_diacritics 2')")
        self.db.executemany(
            "INSERT INTO docs(rowid, title, sapo, body) VALUES (?, ?, ?, ?)",
            ((i, d["title"], d["sapo"], d["body"]) for i, d in enumerate(collection.docs)))
        self.db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        self.db.commit()

    @staticmethod
    def match_expr(query: str) -> str:
        """Each syllable double-quoted (so no token is read as an operator), OR-ed."""
        return " OR ".join('"' + tok.replace('"', '""') + '"' for tok in syllables(query))

    def search(self, query: str, k: int = 10) -> list[str]:
        expr = self.match_expr(query)
        if not expr:
            return []
        rows = self.db.execute(
            f"SELECT rowid FROM docs WHERE docs MATCH ? "
            f"ORDER BY bm25(docs, {TITLE_BOOST}, {SAPO_BOOST}, {BODY_BOOST}) LIMIT ?",
            (expr, k))
        return [self.ids[rowid] for (rowid,) in rows]

    def close(self) -> None:
        self.db.close()


def build_fts5(collection: Collection) -> Searcher:
    return Fts5Searcher(collection)


# --------------------------------------------------------------------------- Whoosh

def _whoosh_charmap() -> dict[int, str]:
    """Whoosh's accent_map plus đ/Đ→d/D.

    Upstream Whoosh's accent_map lacks đ; whoosh-reloaded 2.7.5's already has it, so the
    addition is a no-op there but keeps the peer correct on either package.
    """
    from whoosh.support.charset import accent_map

    return {**accent_map, ord("đ"): "d", ord("Đ"): "D"}


class WhooshSearcher:
    """Stock Whoosh: StandardAnalyzer + accent folding, BM25F, OR-ed multifield query."""

    def __init__(self, collection: Collection) -> None:
        from whoosh import index, scoring
        from whoosh.analysis import CharsetFilter, StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.qparser import MultifieldParser, OrGroup

        analyzer = StandardAnalyzer() | CharsetFilter(_whoosh_charmap())
        schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer),
                        sapo=TEXT(analyzer=analyzer), body=TEXT(analyzer=analyzer))
        self.dir = tempfile.mkdtemp(prefix="vnsearch-bench-whoosh-")
        self.ix = index.create_in(self.dir, schema)
        writer = self.ix.writer(limitmb=512)
        for doc in collection.docs:
            writer.add_document(id=doc["id"], title=doc["title"], sapo=doc["sapo"],
                                body=doc["body"])
        writer.commit()
        self.parser = MultifieldParser(
            ["title", "sapo", "body"], schema,
            fieldboosts={"title": TITLE_BOOST, "sapo": SAPO_BOOST, "body": BODY_BOOST},
            group=OrGroup)
        self.searcher = self.ix.searcher(weighting=scoring.BM25F())

    @staticmethod
    def sanitize(query: str) -> str:
        """Lowercased words only (punctuation → space), so titles can't trigger query syntax.

        Without this, a headline containing ``:`` is parsed as a field query and one
        containing ``NOT``/``OR``/``AND`` as an operator.
        """
        return _WHOOSH_UNSAFE.sub(" ", query.lower()).strip()

    def search(self, query: str, k: int = 10) -> list[str]:
        text = self.sanitize(query)
        if not text:
            return []
        results = self.searcher.search(self.parser.parse(text), limit=k)
        return [hit["id"] for hit in results]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def build_whoosh(collection: Collection) -> Searcher:
    return WhooshSearcher(collection)


# --------------------------------------------------------------------------- bm25s

class Bm25sSearcher:
    """bm25s (Lucene BM25 variant) over title+sapo+body as one accent-folded field."""

    def __init__(self, collection: Collection) -> None:
        import bm25s

        # bm25s logs at DEBUG; keep the table readable if something enabled root DEBUG.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = [doc["id"] for doc in collection.docs]
        corpus = [fold_tokens(" ".join((d["title"], d["sapo"], d["body"])))
                  for d in collection.docs]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)

    def search(self, query: str, k: int = 10) -> list[str]:
        tokens = fold_tokens(query)
        if not tokens:
            return []
        docs, scores = self.retriever.retrieve([tokens], k=min(k, len(self.ids)),
                                               show_progress=False)
        # bm25s pads with zero-score (non-matching) documents; those are not hits.
        return [self.ids[d] for d, s in zip(docs[0], scores[0]) if s > 0]

    def close(self) -> None:
        pass


def build_bm25s(collection: Collection) -> Searcher:
    return Bm25sSearcher(collection)


# --------------------------------------------------------------------------- tantivy

class TantivySearcher:
    """tantivy (Rust, Lucene-like BM25) over a title and a body field, both syllables folded.

    The text is folded and split by :func:`fold_tokens` before tantivy sees it, like the
    other peers, so its default tokenizer only splits on the spaces we put there. The
    query is the folded tokens OR-ed over both fields (tantivy's query parser default).
    """

    def __init__(self, collection: Collection) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("title", stored=False)
        builder.add_text_field("body", stored=False)
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)  # in RAM
        writer = self.index.writer(heap_size=100_000_000, num_threads=1)
        for d in collection.docs:
            writer.add_document(tantivy.Document(
                title=" ".join(fold_tokens(d["title"])),
                body=" ".join(fold_tokens(" ".join((d["sapo"], d["body"])))), id=d["id"]))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query: str, k: int = 10) -> list[str]:
        tokens = fold_tokens(query)
        if not tokens:
            return []
        parsed = self.index.parse_query(" ".join(tokens), ["title", "body"])
        hits = self.searcher.search(parsed, k).hits
        return [self.searcher.doc(addr)["id"][0] for _score, addr in hits]

    def close(self) -> None:
        pass


def build_tantivy(collection: Collection) -> Searcher:
    return TantivySearcher(collection)


PEERS: dict[str, Builder] = {"fts5": build_fts5, "whoosh": build_whoosh, "bm25s": build_bm25s,
                             "tantivy": build_tantivy}
