#!/usr/bin/env python3
"""Query latency of two versions of vnsearch on the same index, runs interleaved.

A change that must not slow queries (a restructuring, a new storage boundary) is
measured against the code before it: both versions open the same index (its format
unchanged), answer the same fixed query mix (bench/speed.py's), and take turns
A B A B …, each turn a fresh process, so machine noise hits both alike. It prints
each turn's warm p50 / p95 and the median of the per-round ratios B / A.

    git worktree add /tmp/before <rev>       # or any checkout of the old code
    python bench/query_ab.py --index DIR --a /tmp/before --b . [--rounds 3] [--queries 1000]

A change of the index format: build an index of the same articles with each
version and give B's with ``--index-b DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_CORPUS_DIR, load_news  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, {bench!r})
from speed import query_run
queries = json.load(open({qfile!r}))
run = query_run({index!r}, queries, warm_passes={passes})
print(json.dumps(run["warm_ms"]))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def turn(tree: Path, index: Path, qfile: Path, passes: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
    code = CHILD.format(bench=str(HERE), qfile=str(qfile), index=str(index), passes=passes)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True,
                         cwd=str(tree))
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True, help="an index both versions can read")
    ap.add_argument("--index-b", type=Path, default=None,
                    help="B's own index of the same articles (a format change: each version reads its own)")
    ap.add_argument("--a", type=Path, required=True, help="source tree of version A (the baseline)")
    ap.add_argument("--b", type=Path, required=True, help="source tree of version B")
    ap.add_argument("--docs", type=int, default=34924, help="articles the query mix is drawn from")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--passes", type=int, default=2, help="warm passes per turn")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    args = ap.parse_args()

    sys.path.insert(0, str(args.b.resolve()))
    from speed import make_queries

    docs = load_news(args.corpus, args.docs).docs
    queries = [q for _, q in make_queries(docs, args.queries, args.seed)]
    qfile = HERE / "out" / "query_ab.json"
    qfile.parent.mkdir(parents=True, exist_ok=True)
    qfile.write_text(json.dumps(queries, ensure_ascii=False))
    ratios: dict[str, list[float]] = {"p50": [], "p95": []}
    for r in range(args.rounds):
        figs = {}
        for name, tree, index in (("A", args.a, args.index), ("B", args.b, args.index_b or args.index)):
            warm = turn(tree, index, qfile, args.passes)
            figs[name] = (statistics.median(warm), percentile(warm, 0.95))
            print(f"round {r + 1} {name}: p50 {figs[name][0]:.2f} ms, p95 {figs[name][1]:.2f} ms", flush=True)
        ratios["p50"].append(figs["B"][0] / figs["A"][0])
        ratios["p95"].append(figs["B"][1] / figs["A"][1])
    print(f"B / A, median of {args.rounds} rounds: p50 {statistics.median(ratios['p50']):.3f}x, "
          f"p95 {statistics.median(ratios['p95']):.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
