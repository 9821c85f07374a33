#!/usr/bin/env python3
"""How cost grows with the corpus: one index grown to 5k, 10k, 20k and 35k articles (and 350k).

    python bench/scaling.py                       # 5000,10000,20000,34924; 1000 queries
    python bench/scaling.py --sizes 1000,2000 --queries 200     # a smoke run
    python bench/archive10x.py --out /tmp/news-10x.jsonl.gz     # the 10x archive, outside the project
    python bench/scaling.py --archive /tmp/news-10x.jsonl.gz --sizes 34924,349240

With ``--archive`` the articles come from that file (bench/archive10x.py's
expansion of the corpus: each article followed by its nine re-issues), so the
first 34,924 are the first 3,493 stories and their re-issues, and 349,240 the
whole archive: the p50 at 349,240 over the p50 at 34,924 is the issue's
"10x archive" ratio. Building the 350k index takes hours on a small machine.

The first N articles of news.jsonl.gz are indexed in steps (each step adds the
articles up to the next size with ``index_articles(..., jobs=J)``, as a user
adding news day by day would), and after each step the index is measured:
its size on disk against the raw text, and the latency of a fixed-seed query
mix (``bench/speed.py``'s five kinds, drawn from the articles indexed so far)
in a new process, one untimed pass and then ``--repeat`` timed passes, the
median per query. The last column is the p50 over the p50 at the first size:
searching must grow sub-linearly (the issue's bound is 3x from 5k to 35k).

Prebuilt indexes (``--index SIZE=DIR``, repeatable) are measured as they are,
nothing is built: the 10x archive's index takes hours to build, and the
comparison the issue asks for is between whole collections, the plain corpus
(/tmp/full10: all 34,924 articles of news.jsonl.gz) and the whole archive
(349,240: each of those articles and its nine re-issues)::

    python bench/scaling.py --index 34924=/tmp/full10 --index 349240=/tmp/archive/idx350k

The first 34,924 articles of the archive are *not* the plain corpus (each
article's copies follow it), so ``--archive FILE --sizes 34924,...`` compares
a tenth of the stories with all of them. With ``--index``, the query mix is
drawn from the plain corpus's articles (``--query-docs``, default all 34,924,
the originals every index here holds) with the same seed, so the same query
texts go to every index. Each index is measured ``--turns`` times in turns
(A B, B A, ...: load that drifts hits both alike), each turn a fresh process
that opens the index, runs one untimed pass and ``--repeat`` timed passes; a
query's figure is its median over every timed pass of every turn. Reported per
index: p50/p95 of the searching thread's CPU time (the figure that load on a
shared machine distorts least) and of wall time, the open (engine constructor
and first query, CPU), the searching process's RSS after opening and its peak,
the index size, and what the index holds (articles, re-issues: ids with
``~r``), counted in a separate process after the timed turns.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus import DEFAULT_CORPUS_DIR, load_news, read_jsonl_gz
from speed import (
    OUT_DIR,
    count_syllables,
    dir_size,
    format_table,
    load_average,
    make_queries,
    median,
    percentile,
    query_run,
    raw_text_bytes,
    run_isolated,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="5000,10000,20000,34924", help="comma-separated article counts")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for indexing")
    ap.add_argument("--queries", type=int, default=1000, help="queries in the latency mix at each size")
    ap.add_argument("--repeat", type=int, default=2, help="timed passes over the mix; per-query medians")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--archive", type=Path, default=None,
                    help="a .jsonl.gz of articles to read instead of the corpus's news.jsonl.gz "
                         "(bench/archive10x.py writes one)")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="where scaling.json goes")
    ap.add_argument("--keep", type=Path, default=None,
                    help="grow the index here and keep it (default: a temporary directory)")
    ap.add_argument("--index", action="append", default=[], metavar="SIZE=DIR",
                    help="measure this prebuilt index of SIZE articles instead of building (repeatable)")
    ap.add_argument("--turns", type=int, default=4, help="with --index: turns per index, interleaved")
    ap.add_argument("--query-docs", type=int, default=34924,
                    help="with --index: draw the queries from this many first articles of news.jsonl.gz")
    args = ap.parse_args(argv)
    args.prebuilt = []
    for item in args.index:
        size, sep, path = item.partition("=")
        if not sep or not size.strip().isdigit() or not path:
            ap.error(f"--index {item!r}: expected SIZE=DIR, e.g. 34924=/tmp/full10")
        if not Path(path).is_dir():
            ap.error(f"--index {item!r}: {path} is not a directory")
        args.prebuilt.append((int(size), Path(path)))
    if args.turns < 1 or args.repeat < 1 or args.queries < 1:
        ap.error("--turns, --repeat and --queries must be at least 1")
    return args


def grow(index_dir: Path, docs: list[dict[str, Any]], jobs: int) -> float:
    """Add *docs* to the index at *index_dir*; seconds taken."""
    from vnsearch import SearchEngine

    started = time.perf_counter()
    with SearchEngine(index_dir) as engine:
        engine.index_articles(docs, jobs=jobs)
    return time.perf_counter() - started


def _rss_mb() -> float:
    """This process's resident set now (MB), from /proc; NaN where there is none."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def prebuilt_turn(index_dir: Path, queries: list[str], repeat: int) -> dict[str, Any]:
    """One turn on a prebuilt index, in a fresh process: open, one untimed pass, *repeat* timed passes."""
    import resource

    from vnsearch import SearchEngine

    rss_start = _rss_mb()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    engine = SearchEngine(index_dir, create=False)
    open_cpu = time.process_time() - cpu0
    cpu1 = time.process_time()
    first_hits = len(engine.search(queries[0], limit=10))
    first_cpu = time.process_time() - cpu1
    open_wall = time.perf_counter() - wall0
    rss_open = _rss_mb()
    hits = []
    for q in queries:  # untimed: fills the caches and the page cache
        hits.append(len(engine.search(q, limit=10)))
    cpu_runs, wall_runs = [], []
    for _ in range(repeat):
        cpu, wall = [], []
        for q in queries:
            c0, t0 = time.thread_time(), time.perf_counter()
            engine.search(q, limit=10)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        cpu_runs.append(cpu)
        wall_runs.append(wall)
    engine.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # Linux: KiB
    return {"open_cpu_s": open_cpu, "first_query_cpu_s": first_cpu, "open_wall_s": open_wall,
            "first_hits": first_hits, "rss_start_mb": rss_start, "rss_open_mb": rss_open, "rss_peak_mb": peak,
            "cpu_ms": cpu_runs, "wall_ms": wall_runs, "hits": hits}


def index_contents(index_dir: Path) -> dict[str, int]:
    """What an index holds: live articles, and how many are re-issues (ids ``<id>~r<k>``)."""
    from vnsearch import SearchEngine

    with SearchEngine(index_dir, create=False) as engine:
        ids = list(engine.ids())
    return {"articles": len(ids), "reissues": sum(1 for i in ids if "~r" in i),
            "originals": sum(1 for i in ids if "~r" not in i)}


def measure_prebuilt(args: argparse.Namespace) -> int:
    """The latency of the same queries on prebuilt indexes, in interleaved turns."""
    prebuilt = sorted(args.prebuilt)
    docs = load_news(args.corpus, args.query_docs).docs
    mix = make_queries(docs, args.queries, args.seed)
    queries = [q for _, q in mix]
    kinds = [k for k, _ in mix]
    print(f"vnsearch scaling (prebuilt): {', '.join(f'{n:,}={d}' for n, d in prebuilt)}; {len(queries)} queries "
          f"drawn from the first {len(docs):,} articles of news.jsonl.gz (seed {args.seed}); {args.turns} turns x "
          f"{args.repeat} timed passes; {os.cpu_count()} CPUs, load average {load_average()} at start", flush=True)
    turns: dict[int, list[dict[str, Any]]] = {size: [] for size, _ in prebuilt}
    for t in range(args.turns):
        order = prebuilt if t % 2 == 0 else prebuilt[::-1]
        for size, index_dir in order:
            turn = run_isolated(prebuilt_turn, index_dir, queries, args.repeat)
            turns[size].append(turn)
            cpu = [median(per_query) for per_query in zip(*turn["cpu_ms"])]
            print(f"  turn {t + 1}/{args.turns} {size:,}: CPU p50 {median(cpu):.2f} ms, p95 {percentile(cpu, 95):.2f} "
                  f"ms; open {turn['open_cpu_s']:.2f} s + first query {turn['first_query_cpu_s']:.2f} s CPU; "
                  f"RSS {turn['rss_open_mb']:.0f} MB open, {turn['rss_peak_mb']:.0f} MB peak; "
                  f"load {load_average()}", flush=True)
    rows, data, base_p50 = [], [], None
    for size, index_dir in prebuilt:
        runs = turns[size]
        cpu = [median(per_query) for per_query in zip(*(r for turn in runs for r in turn["cpu_ms"]))]
        wall = [median(per_query) for per_query in zip(*(r for turn in runs for r in turn["wall_ms"]))]
        contents = run_isolated(index_contents, index_dir)
        on_disk = dir_size(index_dir)
        p50, p95 = percentile(cpu, 50), percentile(cpu, 95)
        base_p50 = base_p50 or p50
        per_kind = {kind: {"cpu_p50_ms": percentile([c for c, k in zip(cpu, kinds) if k == kind], 50),
                           "cpu_p95_ms": percentile([c for c, k in zip(cpu, kinds) if k == kind], 95)}
                    for kind in dict.fromkeys(kinds)}
        figures = {"size": size, "index": str(index_dir), **contents, "index_bytes": on_disk,
                   "cpu_p50_ms": p50, "cpu_p95_ms": p95, "wall_p50_ms": percentile(wall, 50),
                   "wall_p95_ms": percentile(wall, 95), "p50_vs_first": p50 / base_p50,
                   "open_cpu_s": median([r["open_cpu_s"] for r in runs]),
                   "first_query_cpu_s": median([r["first_query_cpu_s"] for r in runs]),
                   "open_wall_s": median([r["open_wall_s"] for r in runs]),
                   "rss_open_mb": median([r["rss_open_mb"] for r in runs]),
                   "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
                   "no_hits": sum(1 for h in runs[0]["hits"] if not h), "per_kind": per_kind,
                   "turn_cpu_p50_ms": [median([median(q) for q in zip(*r["cpu_ms"])]) for r in runs]}
        data.append(figures)
        rows.append([f"{contents['articles']:,}", f"{contents['reissues']:,}", f"{on_disk / 1e6:.0f} MB",
                     f"{p50:.2f} ms", f"{p95:.2f} ms", f"{p50 / base_p50:.2f}x", f"{figures['wall_p50_ms']:.2f} ms",
                     f"{figures['open_cpu_s']:.2f} + {figures['first_query_cpu_s']:.2f} s",
                     f"{figures['rss_open_mb']:.0f} / {figures['rss_peak_mb']:.0f} MB"])
    print()
    print(format_table([["articles", "of them re-issues", "index", "CPU p50", "CPU p95", "p50 vs first",
                         "wall p50", "open + first query (CPU)", "RSS open / peak"], *rows]))
    print(f"load average {load_average()} at end")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "scaling-prebuilt.json"
    config = {"indexes": [[n, str(d)] for n, d in prebuilt], "queries": args.queries, "seed": args.seed,
              "turns": args.turns, "repeat": args.repeat, "query_docs": len(docs), "corpus": str(args.corpus)}
    out.write_text(json.dumps({"config": config, "indexes": data, "queries": mix}, indent=2,
                              ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.prebuilt:
        return measure_prebuilt(args)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.archive is not None:
        docs = list(itertools.islice(read_jsonl_gz(args.archive), sizes[-1]))
    else:
        docs = load_news(args.corpus, sizes[-1]).docs
    sizes = [min(s, len(docs)) for s in sizes]
    print(f"vnsearch scaling: sizes {sizes}, jobs={args.jobs}, {args.queries} queries x {args.repeat} passes; "
          f"{os.cpu_count()} CPUs, load average {load_average()} at start", flush=True)
    rows, data = [], []
    with tempfile.TemporaryDirectory(prefix="vnsearch-scaling-") as tmp:
        index_dir = args.keep if args.keep is not None else Path(tmp) / "index"
        done, total_seconds = 0, 0.0
        base_p50 = None
        for size in sizes:
            step = docs[done:size]
            seconds = run_isolated(grow, index_dir, step, args.jobs)
            total_seconds += seconds
            done = size
            raw = raw_text_bytes(docs[:size])
            on_disk = dir_size(index_dir)
            queries = [q for _, q in make_queries(docs[:size], args.queries, args.seed)]
            run = run_isolated(query_run, index_dir, queries, args.repeat)
            warm = run["warm_ms"]
            p50, p95 = median(warm), percentile(warm, 95)
            base_p50 = base_p50 or p50
            figures = {"docs": size, "step_docs": len(step), "step_seconds": seconds,
                       "total_seconds": total_seconds, "syllables": count_syllables(docs[:size]),
                       "raw_bytes": raw, "index_bytes": on_disk, "size_ratio": on_disk / raw,
                       "p50_ms": p50, "p95_ms": p95, "cold_p50_ms": median(run["cold_ms"]),
                       "no_hits": sum(1 for h in run["hits"] if not h), "load_average": load_average()}
            data.append(figures)
            rows.append([f"{size:,}", f"{total_seconds:.0f} s", f"{len(step) / seconds:.0f}/s",
                         f"{on_disk / 1e6:.1f} MB", f"{on_disk / raw:.2f}x", f"{p50:.1f} ms", f"{p95:.1f} ms",
                         f"{p50 / base_p50:.2f}x"])
            print(f"  {size:,} articles: +{len(step)} in {seconds:.0f} s, index {on_disk / 1e6:.1f} MB "
                  f"({on_disk / raw:.2f}x raw), p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    print()
    print(format_table([["articles", "indexing (cumulative)", "step rate", "index", "x raw text",
                         "query p50", "query p95", "p50 vs first"], *rows]))
    print(f"load average {load_average()} at end")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "scaling.json"
    out.write_text(json.dumps({"config": vars(args) | {"corpus": str(args.corpus), "out": str(args.out),
                                                       "archive": str(args.archive), "keep": str(args.keep)},
                               "sizes": data}, indent=2) + "\n", "utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
