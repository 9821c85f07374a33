"""A sharded index indexed and searched on Dask (a LocalCluster on 127.0.0.1 only).

Same results as one index through Dask; a worker killed during a stream of
queries fails none of them; an indexing driver killed mid-run and run again
leaves every article exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

from tests.conftest import CORPUS, read_corpus_lines
from tests.sharded_check import compare, queries_for
from vnsearch.engine import SearchEngine
from vnsearch.store.sharding import ShardedStore

ARTICLES = 200
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0",
                           processes=True)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return read_corpus_lines("news-b.jsonl.gz", 0, ARTICLES)


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp("single") / "ix")
    engine.add_articles(corpus)
    return engine


@pytest.fixture(scope="module")
def on_cluster(corpus, client, tmp_path_factory) -> SearchEngine:
    path = tmp_path_factory.mktemp("cluster") / "ix"
    engine = SearchEngine(path, shards=3, cluster=client)
    summary = engine.index_articles(corpus)  # raw batches to the workers, one writer per shard
    assert summary.added == ARTICLES
    return engine


def test_indexed_and_searched_on_dask_as_one_index(single, on_cluster, corpus):
    assert len(on_cluster) == ARTICLES
    assert not compare(single, on_cluster, queries_for(corpus, 24))


def test_rerun_adds_nothing(on_cluster, corpus):
    summary = on_cluster.index_articles(corpus)
    assert summary.unchanged == ARTICLES and summary.written == 0
    assert len(on_cluster) == ARTICLES


def test_a_commit_during_a_search_is_searched_again(on_cluster, corpus, tmp_path):
    """A shard committing between the engine's snapshot and a worker's ranking: StaleShard, then a fresh search."""
    from vnsearch.search.query import parse_query
    from vnsearch.search.sharded import StaleShard

    on_cluster.search("thị trường")  # the workers hold the shards open
    writer = SearchEngine(on_cluster.path)  # another writer, in its own process's way
    fresh = {"id": "stale-check-1", "title": "Chim cánh cụt hoàng đế", "body": "Chim cánh cụt sống ở Nam Cực."}
    with on_cluster._reading() as view:
        writer.add_articles([fresh])
        with pytest.raises(StaleShard):
            view.ranker.rank(parse_query("chim cánh cụt"))
    assert on_cluster.search("chim cánh cụt")[0].id == "stale-check-1"
    writer.delete(["stale-check-1"])
    writer.close()
    assert "stale-check-1" not in [h.id for h in on_cluster.search("chim cánh cụt")]


def test_a_lost_worker_fails_no_query(on_cluster, client, corpus):
    queries = [q for q, _ in queries_for(corpus, 40)] * 5  # 200 queries
    expected = {q: [h.id for h in on_cluster.search(q)] for q in set(queries)}
    failed = 0
    killed = False
    pids = list(client.run(os.getpid).values())  # our own LocalCluster's worker processes
    for n, query in enumerate(queries):
        if n == 50 and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed = True
        try:
            assert [h.id for h in on_cluster.search(query)] == expected[query]
        except Exception:
            failed += 1
    assert killed and failed == 0


@pytest.mark.skipif(not (CORPUS / "news-b.jsonl.gz").is_file(), reason="shared corpus not available")
def test_killed_driver_then_rerun_keeps_every_article_once(tmp_path, corpus):
    data = tmp_path / "in.jsonl"
    with data.open("w", encoding="utf-8") as f:
        for article in corpus:
            f.write(json.dumps(article, ensure_ascii=False) + "\n")
    index = tmp_path / "ix"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "vnsearch.cli", "index", "-q", "--index-dir", str(index), "--shards", "2",
            "--cluster", "local", str(data)]
    driver = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if any((index / f"shard-{i:03d}").glob("*.seg") for i in range(2)):
            break  # a batch is committed: kill the driver mid-run
        time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait(30)
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    engine = SearchEngine(index)
    ids = list(engine.ids())
    assert len(ids) == len(set(ids)) == len({a["id"] for a in corpus})
    assert ShardedStore(index).statistics().doc_count == len(ids)
    engine.close()
