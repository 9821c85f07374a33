#!/usr/bin/env python3
"""Relevance benchmark: vnsearch vs. stock peers on Vietnamese known-item search.

Every engine indexes the same documents and answers the same queries in one run, so the
numbers in a table are directly comparable. See bench/README.md for the query kinds.

    python bench/relevance.py [--docs 5000] [--per-kind 200] [--seed 0]
                              [--engines vnsearch,fts5,whoosh,bm25s] [--xquad|--no-xquad]
                              [--corpus DIR] [--rebuild] [--skip 5000] [--kinds kw-telex,kw-typo]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from corpus import DEFAULT_CORPUS_DIR, Collection, load_news, load_xquad
from peers import PEERS, Builder
from querysets import NEWS_KINDS, TYPING_KINDS, XQUAD_KIND, Query, news_query_sets, typing_queries, xquad_queries
from vnsearch_adapter import import_vnsearch, make_vnsearch_builder

OUT_DIR = Path(__file__).resolve().parent / "out"
K = 10
ALL_ENGINES = ("vnsearch", "fts5", "whoosh", "bm25s", "tantivy")
ALL_KINDS = NEWS_KINDS + TYPING_KINDS + (XQUAD_KIND,)


@dataclass
class CollectionRun:
    """One engine on one collection: build time, per-query ranks and latencies."""

    build_seconds: float | None = None
    index_reused: bool = False
    ranks: dict[str, int | None] = field(default_factory=dict)  # qid -> 1-based rank
    query_ms: list[float] = field(default_factory=list)
    error: str | None = None  # the build (or the whole run) failed
    query_errors: int = 0  # searches that raised; each counts as a miss
    first_query_error: str | None = None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=5000, help="index the first N news articles")
    ap.add_argument("--per-kind", type=int, default=200, help="queries per news query kind")
    ap.add_argument("--seed", type=int, default=0, help="seed for target/offset sampling")
    ap.add_argument("--skip", type=int, default=0,
                    help="index articles after the first SKIP (a slice of their own, e.g. 5000)")
    ap.add_argument("--kinds", default=None,
                    help="comma-separated query kinds to run, of " + ",".join(ALL_KINDS)
                    + " (default: the news kinds and xquad)")
    ap.add_argument("--engines", default=",".join(ALL_ENGINES),
                    help="comma-separated subset of " + ",".join(ALL_ENGINES))
    ap.add_argument("--xquad", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the XQuAD-vi question→passage kind (default: on)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR,
                    help=f"directory with news.jsonl.gz etc. (default {DEFAULT_CORPUS_DIR})")
    cache = ap.add_mutually_exclusive_group()
    cache.add_argument("--rebuild", action="store_true",
                       help="rebuild the cached vnsearch index even if it is up to date")
    cache.add_argument("--reuse-index", action="store_true",
                       help="reuse an up-to-date cached vnsearch index (the default)")
    args = ap.parse_args(argv)
    unknown = set(args.engines.split(",")) - set(ALL_ENGINES)
    if unknown:
        ap.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    if args.kinds is not None:
        bad = set(args.kinds.split(",")) - set(ALL_KINDS)
        if bad:
            ap.error(f"unknown kind(s): {', '.join(sorted(bad))}")
        args.xquad = XQUAD_KIND in args.kinds.split(",")
    return args


def resolve_builders(names: list[str], rebuild: bool) -> dict[str, Builder]:
    """Builders for the requested engines; vnsearch is dropped (with a note) if broken."""
    builders: dict[str, Builder] = {}
    for name in names:
        if name != "vnsearch":
            builders[name] = PEERS[name]
            continue
        module, note = import_vnsearch()
        print(f"note: {note}" + ("" if module else "; running the peers only"))
        if module is not None:
            builders[name] = make_vnsearch_builder(module, OUT_DIR, rebuild)
    return builders


def rank_of(target: str, hits: list[str]) -> int | None:
    """1-based position of the relevant document in the top K, or None."""
    try:
        return hits.index(target, 0, K) + 1
    except ValueError:
        return None


def run_collection(builder: Builder, collection: Collection, queries: list[Query]) -> CollectionRun:
    """Build one index and run its queries; an engine failure is recorded, not raised."""
    run = CollectionRun()
    searcher = None
    try:
        started = time.perf_counter()
        searcher = builder(collection)
        run.build_seconds = time.perf_counter() - started
        if getattr(searcher, "reused", False):
            run.index_reused = True
            run.build_seconds = searcher.build_seconds
        for query in queries:
            started = time.perf_counter()
            try:
                hits = searcher.search(query.text, k=K)
            except Exception as exc:
                hits = []
                run.query_errors += 1
                run.first_query_error = run.first_query_error or f"{query.qid}: {exc!r}"
            run.query_ms.append((time.perf_counter() - started) * 1000)
            run.ranks[query.qid] = rank_of(query.target, hits)
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        if searcher is not None:
            searcher.close()
    return run


def score(queries: list[Query], ranks: dict[str, int | None]) -> dict[str, float | int]:
    """MRR@K and recall@K over ``queries``; unanswered queries count as misses."""
    rr = [1.0 / r if (r := ranks.get(q.qid)) else 0.0 for q in queries]
    found = [1.0 if ranks.get(q.qid) else 0.0 for q in queries]
    n = len(queries)
    return {"mrr": sum(rr) / n if n else 0.0, "recall": sum(found) / n if n else 0.0, "n": n}


def clear_previous_outputs() -> None:
    """Drop last run's per-kind/per-engine files so bench/out/ always describes one run."""
    for pattern in ("queries-*.jsonl", "ranks-*.jsonl"):
        for path in OUT_DIR.glob(pattern):
            path.unlink()


def write_queries(query_sets: dict[str, list[Query]]) -> None:
    """bench/out/queries-<kind>.jsonl, for eyeballing what was actually asked."""
    for kind, queries in query_sets.items():
        with open(OUT_DIR / f"queries-{kind}.jsonl", "w", encoding="utf-8") as fh:
            for q in queries:
                fh.write(json.dumps(q.to_json(), ensure_ascii=False) + "\n")


def write_ranks(engine: str, query_sets: dict[str, list[Query]], runs: dict[str, CollectionRun]) -> None:
    """bench/out/ranks-<engine>.jsonl: per-query rank (null = not in top K), for diffing."""
    merged = {qid: r for run in runs.values() for qid, r in run.ranks.items()}
    with open(OUT_DIR / f"ranks-{engine}.jsonl", "w", encoding="utf-8") as fh:
        for queries in query_sets.values():
            for q in queries:
                if q.qid in merged:
                    fh.write(json.dumps({"qid": q.qid, "kind": q.kind, "rank": merged[q.qid]}) + "\n")


def format_table(rows: list[list[str]]) -> str:
    """Plain-text table, first row as header, first column left-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def relevance_table(kinds: list[str], engines: list[str], results: dict) -> str:
    rows = [["kind", "n"] + [f"{e} MRR / R@{K}" for e in engines]]
    for kind in kinds:
        cells = []
        for e in engines:
            s = results[e].get(kind)
            cells.append(f"{s['mrr']:.3f} / {s['recall']:.3f}" if s else "error")
        n = next((results[e][kind]["n"] for e in engines if kind in results[e]), 0)
        rows.append([kind, str(n)] + cells)
    return format_table(rows)


def timing_table(engines: list[str], timings: dict, collections: list[str]) -> str:
    header = ["engine"]
    for c in collections:
        header += [f"build {c} (s)", f"median query {c} (ms)"]
    rows = [header]
    for e in engines:
        row = [e]
        for c in collections:
            t = timings[e].get(c, {})
            build = t.get("build_seconds")
            row.append("-" if build is None else f"{build:.1f}" + (" (cached)" if t.get("index_reused") else ""))
            med = t.get("median_query_ms")
            row.append("-" if med is None else f"{med:.2f}")
        rows.append(row)
    return format_table(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    clear_previous_outputs()

    news = load_news(args.corpus, args.docs, args.skip)
    wanted = args.kinds.split(",") if args.kinds else list(NEWS_KINDS)
    query_sets = news_query_sets(news.docs, args.per_kind, args.seed)
    if set(wanted) & set(TYPING_KINDS):
        query_sets.update(typing_queries(news.docs, args.per_kind, args.seed))
    query_sets = {k: query_sets[k] for k in wanted if k != XQUAD_KIND}
    workload: list[tuple[Collection, list[str]]] = [(news, list(query_sets))]
    if args.xquad:
        xquad, questions = load_xquad(args.corpus)
        query_sets[XQUAD_KIND] = xquad_queries(questions)
        workload.append((xquad, [XQUAD_KIND]))
    write_queries(query_sets)
    print(f"corpus {args.corpus}: {len(news.docs)} news docs; queries per kind: "
          + ", ".join(f"{k}={len(v)}" for k, v in query_sets.items()))

    builders = resolve_builders(args.engines.split(","), args.rebuild)
    engines = list(builders)
    results: dict[str, dict] = {e: {} for e in engines}
    timings: dict[str, dict] = {e: {} for e in engines}
    errors: dict[str, dict] = {e: {} for e in engines}
    for engine, builder in builders.items():
        runs: dict[str, CollectionRun] = {}
        for collection, kinds in workload:
            print(f"[{engine}] {collection.name}: indexing {len(collection.docs)} docs ...", flush=True)
            run = runs[collection.name] = run_collection(
                builder, collection, [q for k in kinds for q in query_sets[k]])
            if run.error:
                errors[engine][collection.name] = run.error
                continue
            for kind in kinds:
                results[engine][kind] = score(query_sets[kind], run.ranks)
            timings[engine][collection.name] = {
                "build_seconds": run.build_seconds, "index_reused": run.index_reused,
                "median_query_ms": statistics.median(run.query_ms) if run.query_ms else None,
                "queries": len(run.query_ms), "query_errors": run.query_errors}
            if run.query_errors:
                errors[engine][collection.name] = (
                    f"{run.query_errors} queries raised (counted as misses); "
                    f"first: {run.first_query_error}")
        write_ranks(engine, query_sets, runs)

    kinds = [k for k in query_sets]
    print()
    print(f"Known-item relevance, top {K} ({len(news.docs)} news docs, seed {args.seed}):")
    print(relevance_table(kinds, engines, results))
    print()
    print(timing_table(engines, timings, [c.name for c, _ in workload]))
    for e, errs in errors.items():
        for coll, err in errs.items():
            print(f"error: {e} on {coll}: {err}")

    report = {"config": {"docs": len(news.docs), "per_kind": args.per_kind, "seed": args.seed,
                         "k": K, "corpus": str(args.corpus), "engines": engines, "skip": args.skip,
                         "xquad": args.xquad},
              "results": results, "timings": timings, "errors": errors}
    (OUT_DIR / "relevance.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nwrote {OUT_DIR / 'relevance.json'}")
    return 1 if any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
