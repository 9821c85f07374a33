"""A snapshot the engine has moved past is let go, with what searching it built.

A long-lived engine (the server) opens a new snapshot after each commit. What a
query builds for one (the ranker's caches, the query reader's vocabulary: typo
index, word pairs, up to millions of cached ids) must go with it once no search
holds it, or every commit would leave its snapshot in memory for good.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from vnsearch import SearchEngine
from vnsearch.ingest.articles import Article
from vnsearch.search.understand import vocabulary


def _article(i: int) -> Article:
    return Article(id=f"a{i}", title=f"Khởi nghiệp số {i}", body=f"Câu chuyện khởi nghiệp của doanh nghiệp số {i}.")


def test_an_old_snapshot_goes_once_no_search_holds_it(tmp_path: Path) -> None:
    with SearchEngine(tmp_path / "ix") as eng:
        eng.add_articles([_article(0), _article(1)], jobs=1)
        eng.search("khoi nghiep")  # a short query: the reader's vocabulary is built
        eng.search("khởi nghệp")  # a slip: its typo lookups too
        with eng._reading() as view:
            old = weakref.ref(view.snapshot)
            vocab = weakref.ref(vocabulary(view.snapshot))
        del view
        eng.add_articles([_article(2)], jobs=1)  # a new commit
        assert [h.id for h in eng.search("khởi nghiệp số 2")][:1] == ["a2"]  # the engine moved on
        gc.collect()  # the snapshot (in cycles of its own); its death drops the vocabulary from the cache
        assert old() is None
        gc.collect()  # then the vocabulary (its typo lookups' closures refer back to it)
        assert vocab() is None
