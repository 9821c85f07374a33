"""A sharded index on Dask against one index: equivalence, indexing speed, fan-out overhead, statistics size.

    python bench/cluster.py equivalence --articles 5000 --queries 500
    python bench/cluster.py indexing --articles 10000        # 0 = the whole corpus
    python bench/cluster.py overhead --articles 10000 --queries 200
    python bench/cluster.py stats-size DIR…                   # sharded indexes already built
    python bench/cluster.py compare ONE SHARDED… --queries 500 [--corpus news-b.jsonl.gz] [--dask] [--control]

Everything on 127.0.0.1: a LocalCluster of 2 single-threaded workers.
Work directories go under --work (default /tmp/vnsearch-cluster-bench).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sharded_check import compare, queries_for  # noqa: E402
from vnsearch.engine import SearchEngine  # noqa: E402
from vnsearch.search.ranking import Ranker  # noqa: E402
from vnsearch.search.sharded import LocalFanout, ShardedView  # noqa: E402
from vnsearch.store.directory import IndexStore  # noqa: E402
from vnsearch.store.sharding import ShardedStore  # noqa: E402
from vnsearch.store.statistics import merge_partials, partial_statistics  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def articles(name: str, count: int) -> list[dict[str, Any]]:
    with gzip.open(CORPUS / name, "rt", encoding="utf-8") as f:
        lines = itertools.islice(f, count) if count else f
        return [json.loads(line) for line in lines]


def write_jsonl(records: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def local_client() -> Any:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0",
                           processes=True)
    return Client(cluster), cluster


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def equivalence(args: argparse.Namespace) -> dict[str, Any]:
    """Sharded (S = 1, 2, 7; in-process and Dask) against one index, and the per-shard-statistics control."""
    work = args.work / "equivalence"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out: dict[str, Any] = {}
    for corpus, count in (("news-b.jsonl.gz", 0), ("news.jsonl.gz", args.articles)):
        records = articles(corpus, count)
        queries = queries_for(records, args.queries)
        label = f"{corpus}:{len(records)}"
        t = time.monotonic()
        single = SearchEngine(work / label / "single")
        single.add_articles(records, jobs=2)
        print(f"{label}: one index in {time.monotonic() - t:.0f} s", flush=True)
        result: dict[str, Any] = {"articles": len(records), "queries": len(queries)}
        for shards in (1, 2, 7):
            t = time.monotonic()
            engine = SearchEngine(work / label / f"s{shards}", shards=shards)
            engine.add_articles(records, jobs=2)
            print(f"{label}: {shards} shards in {time.monotonic() - t:.0f} s", flush=True)
            diffs = compare(single, engine, queries)
            result[f"S={shards} in-process"] = len(diffs)
            print(f"  in-process S={shards}: {len(diffs)} differing of {len(queries)}", diffs[:3], flush=True)
            engine.close()
        client, cluster = local_client()
        try:
            for shards in (2, 7):
                engine = SearchEngine(work / label / f"s{shards}", cluster=client)
                diffs = compare(single, engine, queries)
                result[f"S={shards} dask"] = len(diffs)
                print(f"  dask S={shards}: {len(diffs)} differing", diffs[:3], flush=True)
                engine.close()
        finally:
            client.close()
            cluster.close()
        control = SearchEngine(work / label / "s2")
        control._views._make_view = lambda snap, params: ShardedView(  # type: ignore[assignment]
            snap, params, LocalFanout([Ranker(part, params) for part in snap.parts]))  # type: ignore[attr-defined]
        control._views.close()
        diffs = compare(single, control, queries)
        result["S=2 per-shard statistics (control)"] = len(diffs)
        print(f"  control (per-shard statistics) S=2: {len(diffs)} differing", flush=True)
        out[label] = result
    return out


def compare_built(args: argparse.Namespace) -> dict[str, Any]:
    """One index against sharded indexes of the same articles (the first N of --corpus), already built.

    Each sharded index in process; with --dask also through a LocalCluster; with --control also with
    each shard ranking by its own statistics (which must fail the check).
    """
    one_dir, *sharded_dirs = args.dirs
    single = SearchEngine(one_dir, create=False)
    records = articles(args.corpus, len(single))
    queries = queries_for(records, args.queries)
    out: dict[str, Any] = {"articles": len(single), "queries": len(queries)}

    def check(name: str, engine: SearchEngine) -> None:
        spelling: list[str] = []
        diffs = compare(single, engine, queries, spelling)
        out[name] = {"differing": len(diffs), "facet spelling only": len(spelling)}
        print(name, out[name], diffs[:3], flush=True)

    for path in sharded_dirs:
        engine = SearchEngine(path, create=False)
        check(f"{path.name} in-process", engine)
        if args.control:
            engine._views._make_view = lambda snap, params: ShardedView(  # type: ignore[assignment]
                snap, params, LocalFanout([Ranker(part, params) for part in snap.parts]))  # type: ignore[attr-defined]
            engine._views.close()
            check(f"{path.name} per-shard statistics (control)", engine)
        engine.close()
    if args.dask:
        client, cluster = local_client()
        try:
            for path in sharded_dirs:
                check(f"{path.name} dask", SearchEngine(path, create=False, cluster=client))
        finally:
            client.close()
            cluster.close()
    return out


def indexing(args: argparse.Namespace) -> dict[str, Any]:
    """`vnsearch index --jobs 2` against `--shards 2 --cluster local` (2 workers), same articles."""
    work = args.work / "indexing"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    records = articles("news.jsonl.gz", args.articles)
    data = work / "in.jsonl"
    write_jsonl(records, data)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = {"one index, --jobs 2": ["--jobs", "2"], "2 shards on 2 local Dask workers": ["--shards", "2",
                                                                                        "--cluster", "local"]}
    out: dict[str, Any] = {"articles": len(records)}
    for name, extra in runs.items():
        target = work / ("single" if "one" in name else "sharded")
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "vnsearch.cli", "index", "-q", "--index-dir", str(target), *extra,
                        str(data)], env=env, check=True, stdout=subprocess.DEVNULL)
        seconds = time.monotonic() - t
        out[name] = {"seconds": round(seconds, 1), "articles_per_s": round(len(records) / seconds, 1)}
        print(name, out[name], flush=True)
    one, sharded = SearchEngine(work / "single"), SearchEngine(work / "sharded")
    out["same articles"] = sorted(one.ids()) == sorted(sharded.ids())
    snap = IndexStore(work / "single", create=False).snapshot()
    mine = merge_partials([partial_statistics(snap)])
    theirs = ShardedStore(work / "sharded").statistics()
    out["same statistics"] = (mine.doc_count == theirs.doc_count and mine.dfs == theirs.dfs
                              and mine.tones == theirs.tones and mine.length_sums == theirs.length_sums
                              and (mine.newest, mine.oldest) == (theirs.newest, theirs.oldest))
    a, b = out["one index, --jobs 2"]["seconds"], out["2 shards on 2 local Dask workers"]["seconds"]
    out["speed ratio (sharded / one)"] = round(a / b, 2)
    print(out, flush=True)
    return out


def overhead(args: argparse.Namespace) -> dict[str, Any]:
    """Query latency: one index, the same articles in 2 shards in-process, and through Dask."""
    work = args.work / "indexing"
    if not (work / "single").is_dir():
        indexing(args)
    records = articles("news.jsonl.gz", args.articles)
    queries = [q for q, _ in queries_for(records, args.queries)]
    client, cluster = local_client()
    out: dict[str, Any] = {"queries": len(queries)}
    try:
        engines = {"one index": SearchEngine(work / "single"), "2 shards in-process": SearchEngine(work / "sharded"),
                   "2 shards on Dask": SearchEngine(work / "sharded", cluster=client)}
        for name, engine in engines.items():
            for q in queries[:20]:
                engine.search(q)  # warm: caches, worker shards open
            times = []
            for q in queries:
                t = time.perf_counter()
                engine.search(q)
                times.append((time.perf_counter() - t) * 1000)
            out[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(pct(times, 0.95), 1)}
            print(name, out[name], flush=True)
    finally:
        client.close()
        cluster.close()
    return out


def stats_size(args: argparse.Namespace) -> dict[str, Any]:
    """The statistics file of each sharded index given, and a Heaps'-law estimate for 10M articles."""
    rows = []
    for path in args.dirs:
        store = ShardedStore(Path(path))
        stats = store.statistics()
        file = Path(path) / f"statistics-{stats.version:06d}.npz"
        terms = sum(len(t) for t in stats.dfs.values()) + len(stats.tones) + len(stats.families)
        rows.append({"articles": stats.doc_count, "terms": terms, "bytes": file.stat().st_size})
        print(rows[-1], flush=True)
    out: dict[str, Any] = {"measured": rows}
    if len(rows) >= 2:
        (n1, v1), (n2, v2) = sorted((r["articles"], r["terms"]) for r in rows)[:: len(rows) - 1]
        beta = math.log(v2 / v1) / math.log(n2 / n1)
        per_term = rows[-1]["bytes"] / rows[-1]["terms"]
        terms_10m = v2 * (10_000_000 / n2) ** beta
        out["heaps_beta"] = round(beta, 3)
        out["10M articles, estimated terms"] = int(terms_10m)
        out["10M articles, estimated bytes"] = int(terms_10m * per_term)
        print(out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["equivalence", "compare", "indexing", "overhead", "stats-size"])
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--work", type=Path, default=Path("/tmp/vnsearch-cluster-bench"))
    parser.add_argument("--corpus", default="news.jsonl.gz", help="compare: the corpus file the indexes hold")
    parser.add_argument("--dask", action="store_true", help="compare: also through a local Dask cluster")
    parser.add_argument("--control", action="store_true", help="compare: also with per-shard statistics")
    args = parser.parse_args()
    run = {"equivalence": equivalence, "compare": compare_built, "indexing": indexing, "overhead": overhead,
           "stats-size": stats_size}
    print(json.dumps(run[args.what](args), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
