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
    return ap.parse_args(argv)


def grow(index_dir: Path, docs: list[dict], jobs: int) -> float:
    """Add *docs* to the index at *index_dir*; seconds taken."""
    from vnsearch import SearchEngine

    started = time.perf_counter()
    with SearchEngine(index_dir) as engine:
        engine.index_articles(docs, jobs=jobs)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
