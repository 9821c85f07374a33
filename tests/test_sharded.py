"""A sharded index answers exactly as one index of the same articles (in this process).

The check: same top-10 ids in the same order, scores equal to 1e-9, same
totals, facets, suggestions and near-duplicate groups, for queries of every
kind, on S = 1, 2 and 7 shards; and a negative control (each shard ranking
with its own statistics) fails the same check, so the check can fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import read_corpus_lines
from tests.sharded_check import compare, queries_for
from vnsearch.engine import SearchEngine
from vnsearch.search.ranking import Ranker
from vnsearch.search.sharded import LocalFanout, ShardedSnapshot, ShardedView
from vnsearch.store.sharding import MANIFEST, ShardedStore, shard_of
from vnsearch.store.statistics import GlobalStatistics

ARTICLES = 240


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return read_corpus_lines("news-b.jsonl.gz", 0, ARTICLES)


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp("single") / "ix")
    engine.add_articles(corpus)
    return engine


@pytest.fixture(scope="module", params=[1, 2, 7])
def sharded(request, corpus, tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp(f"sharded{request.param}") / "ix", shards=request.param)
    engine.add_articles(corpus, commit_every=100)
    return engine


def test_same_results_as_one_index(single, sharded, corpus):
    queries = queries_for(corpus, 40)
    diffs = compare(single, sharded, queries)
    assert not diffs, diffs[:5]
    assert len(sharded) == len(single) == len(corpus)


def test_per_shard_statistics_fail_the_check(single, corpus, tmp_path):
    engine = SearchEngine(tmp_path / "ix", shards=2)
    engine.add_articles(corpus)
    # The negative control: each shard ranks with its own statistics (what query_then_fetch does).
    engine._views._make_view = lambda snap, params: ShardedView(
        snap, params, LocalFanout([Ranker(part, params) for part in snap.parts]))
    engine._views.close()
    diffs = compare(single, engine, queries_for(corpus, 40))
    assert len(diffs) > 10


def test_layout_and_routing(tmp_path, corpus):
    engine = SearchEngine(tmp_path / "ix", shards=3)
    engine.add_articles(corpus[:30])
    assert (tmp_path / "ix" / MANIFEST).is_file()
    store = ShardedStore(tmp_path / "ix")
    assert store.shards == 3 and store.manifest["statistics"] >= 1
    for article in corpus[:30]:  # an id always lands in the same shard, which holds it
        i = shard_of(article["id"], 3)
        snap = store.stores[i].snapshot()
        assert snap.doc_number(article["id"]) is not None
        snap.release()
    stats = store.statistics()
    assert isinstance(stats, GlobalStatistics) and stats.doc_count == 30
    # A re-run adds nothing; replace and delete stay in the shard.
    summary = engine.index_articles(corpus[:30])
    assert summary.unchanged == 30 and summary.written == 0 and len(engine) == 30
    assert engine.delete([corpus[0]["id"]]) == 1 and len(engine) == 29
    assert engine.get(corpus[0]["id"]) is None and engine.get(corpus[1]["id"]) is not None
    assert engine.check() == []
    assert engine.stats()["articles"] == 29
    assert sorted(engine.ids()) == sorted(a["id"] for a in corpus[1:30])
    with pytest.raises(Exception, match="shards"):
        SearchEngine(tmp_path / "ix", shards=4)


def test_similar_is_the_same(single, sharded, corpus):
    for article in corpus[:5]:
        a = single.similar(article["id"], limit=5)
        b = sharded.similar(article["id"], limit=5)
        assert [h.id for h in a] == [h.id for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-9)


def test_composite_snapshot_numbers(sharded):
    with sharded._reading() as view:
        snap = view.snapshot
        assert isinstance(snap, ShardedSnapshot)
        ids = [snap.stored(d)["id"] for d in snap.live_docs()]
        assert len(ids) == len(sharded)
        assert all(snap.doc_number(i) is not None for i in ids[:20])


def test_no_dask_without_a_cluster(sharded):
    code = ("import sys; from vnsearch.engine import SearchEngine; "
            f"e = SearchEngine({str(sharded.path)!r}); e.search('việt nam'); "
            "print('dask' in sys.modules or 'distributed' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


def test_statistics_file_and_tone_unions(tmp_path):
    """Shares add up: a syllable one shard lacks still counts that shard's other tones; the file round-trips."""
    docs = [{"id": f"a{i}", "title": t, "body": b, "date": f"2021-0{1 + i % 9}-01"}
            for i, (t, b) in enumerate([("bàn ghế", "bán hàng"), ("bạn bè", "ban nhạc"), ("bàn tay", "bản tin"),
                                        ("cá", "cà phê"), ("bán nhà", "giá bán"), ("tin tức", "bàn thắng")])]
    one = SearchEngine(tmp_path / "one")
    one.add_articles(docs)
    sharded = SearchEngine(tmp_path / "sharded", shards=4)
    sharded.add_articles(docs)
    store = ShardedStore(tmp_path / "sharded")
    stats = store.statistics()
    again = GlobalStatistics.load(tmp_path / "sharded" / f"statistics-{stats.version:06d}.npz")
    assert (again.dfs, again.tones, again.families, again.length_sums) == (
        stats.dfs, stats.tones, stats.families, stats.length_sums)
    with one._reading() as view:
        ranker = view.ranker
        for syllable in ("bàn", "bán", "bạn", "ban", "bản", "bãn"):
            held = int((ranker._tone_tier(syllable)[1] > 0).sum())
            assert stats.other_tones(syllable, -1) == held, syllable
    assert not store.stale()
    store.stores[0].delete([d["id"] for d in docs])  # written behind the manifest's back
    assert store.stale() or not any(shard_of(d["id"], 4) == 0 for d in docs)
