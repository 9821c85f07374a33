"""Same-run comparisons for bench/speed.py: a baseline checkout, the peer anchors, cold CLI CPU.

Issue 17's figures are each set against something measured in the same run:
query latency against a baseline checkout of vnsearch on the same index and
queries (turns interleaved, each turn a new process running that checkout's
code), and against tantivy and bm25s answering the same query texts over the
same articles (the anchors: what a compiled engine and a numpy BM25 cost);
the cold ``vnsearch search`` process in CPU seconds, for both checkouts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# A turn: one process of a checkout answering every query (speed.query_run: one
# cold pass, then warm passes); prints the warm per-query medians of CPU time.
# The baseline runs this checkout's bench/speed.py, so a baseline whose own
# query_run reports no CPU time is measured alike.
_TURN = r"""
import json, sys
sys.path.insert(0, {bench!r})
from speed import query_run
queries = json.load(open({qfile!r}, encoding="utf-8"))
run = query_run({index!r}, queries, warm_passes={passes})
print(json.dumps(run["warm_cpu_ms"]))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def tree_turn(tree: Path, index: Path, queries: list[str], passes: int) -> list[float]:
    """Warm per-query CPU milliseconds (of the searching thread) of *tree*'s code on *index*, in a new process.

    CPU rather than wall time: on a machine shared with other work, a turn's
    wall time says as much about the neighbours as about the code.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(queries, fh, ensure_ascii=False)
        qfile = fh.name
    try:
        env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
        code = _TURN.format(bench=str(HERE), qfile=qfile, index=str(index), passes=passes)
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True,
                             cwd=str(tree.resolve()))
    finally:
        os.unlink(qfile)
    return [float(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def against_baseline(index: Path, queries: list[str], baseline: Path, rounds: int, passes: int,
                     baseline_index: Path | None = None) -> dict[str, Any]:
    """This checkout and *baseline* on the same index and queries, turns interleaved; medians of per-round ratios.

    *baseline_index*: the baseline's own index of the same articles (one it can
    read, when this checkout writes a newer format); else both read *index*.
    """
    mine_tree = HERE.parent
    rows: list[dict[str, float]] = []
    for r in range(rounds):
        figs = {}
        for name, tree, where in (("baseline", baseline, baseline_index or index), ("vnsearch", mine_tree, index)):
            warm = tree_turn(tree, where, queries, passes)
            figs[name] = (statistics.median(warm), percentile(warm, 95))
        rows.append({"baseline_p50": figs["baseline"][0], "baseline_p95": figs["baseline"][1],
                     "p50": figs["vnsearch"][0], "p95": figs["vnsearch"][1]})
        print(f"  round {r + 1}: baseline p50 {figs['baseline'][0]:.2f} / p95 {figs['baseline'][1]:.2f} ms, "
              f"this checkout {figs['vnsearch'][0]:.2f} / {figs['vnsearch'][1]:.2f} ms", flush=True)
    return {"rounds": rows,
            "p50": statistics.median(r["p50"] for r in rows),
            "p95": statistics.median(r["p95"] for r in rows),
            "baseline_p50": statistics.median(r["baseline_p50"] for r in rows),
            "baseline_p95": statistics.median(r["baseline_p95"] for r in rows),
            "p50_ratio": statistics.median(r["p50"] / r["baseline_p50"] for r in rows),
            "p95_ratio": statistics.median(r["p95"] / r["baseline_p95"] for r in rows)}


def anchor_run(name: str, docs: list[dict], queries: list[str], passes: int) -> dict[str, Any]:
    """Build peer *name* over *docs* and time its top-10 search of every query (warm per-query medians)."""
    sys.path.insert(0, str(HERE))
    from corpus import Collection
    from peers import PEERS

    # The anchors run alone in their process, so their wall time is near their CPU time; both are kept.
    started = time.perf_counter()
    searcher = PEERS[name](Collection(name=f"speed-{len(docs)}", docs=docs))
    build_s = time.perf_counter() - started
    for q in queries:  # untimed: first-touch costs
        searcher.search(q, 10)
    runs, cpu_runs = [], []
    for _ in range(passes):
        times, cpu = [], []
        for q in queries:
            c0 = time.thread_time()
            t0 = time.perf_counter()
            searcher.search(q, 10)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        runs.append(times)
        cpu_runs.append(cpu)
    searcher.close()
    warm = [statistics.median(per) for per in zip(*runs)]
    warm_cpu = [statistics.median(per) for per in zip(*cpu_runs)]
    return {"build_s": build_s, "p50": statistics.median(warm), "p95": percentile(warm, 95),
            "cpu_p50": statistics.median(warm_cpu), "cpu_p95": percentile(warm_cpu, 95)}


def cold_cli_cpu(index: Path, query: str, trees: dict[str, Path], repeat: int,
                 indexes: dict[str, Path] | None = None) -> dict[str, float]:
    """Median CPU seconds of a new ``vnsearch search`` process per checkout (bench/cold_cli.py's measure).

    *indexes*: a checkout's own index of the same articles, by name (else *index*).
    """
    sys.path.insert(0, str(HERE))
    from cold_cli import cpu_seconds, search_argv

    where = {name: (indexes or {}).get(name, index) for name in trees}
    for name, tree in trees.items():  # untimed: writes the bytecode
        cpu_seconds(search_argv(where[name], query), tree)
    got: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(repeat):
        for name, tree in trees.items():
            got[name].append(cpu_seconds(search_argv(where[name], query), tree))
    return {name: statistics.median(v) for name, v in got.items()}
