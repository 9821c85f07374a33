#!/usr/bin/env python3
"""CPU seconds of a cold ``vnsearch search`` process, for two versions of vnsearch, turns interleaved.

A command-line search is a new process: interpreter start, imports, opening the
index, one query, printing. Wall time on a shared machine says as much about
the neighbours as about us, so this counts the CPU seconds the child used
(``resource.getrusage(RUSAGE_CHILDREN)`` before and after each run). Each
version runs its own source tree (first on PYTHONPATH) with the same
interpreter, on the same index and queries; turns go A B A B …, and the
figures are medians over ``--rounds`` × the queries.

    python bench/cold_cli.py --index DIR --a /work/main --b . [--rounds 5] [--query Q ...]

The first run of each version is not timed (it writes the bytecode).
``python -c pass`` and ``python -c 'import vnsearch.cli'`` of version B are
measured in the same run, so the report splits B's cost into start-up,
imports and the search itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

QUERIES = ["giá vàng hôm nay", "Hà Nội mưa lớn ngập đường", "bong da viet nam", '"thủ tướng"']


def cpu_seconds(argv: list[str], tree: Path) -> float:
    """CPU seconds (user + system) of one run of *argv* with *tree* first on PYTHONPATH.

    Compiled bytecode is kept, as an installed package has it (a shell that
    sets PYTHONDONTWRITEBYTECODE would otherwise compile every module in every
    run), under a cache directory of its own per tree, so no source tree gets
    ``__pycache__`` directories.
    """
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()),
               PYTHONPYCACHEPREFIX=str(Path(tempfile.gettempdir()) / "vnsearch-cold-cli" / tree.resolve().name))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          cwd="/")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: no hits
        raise RuntimeError(f"{argv!r} exited with {proc.returncode}: {proc.stderr.strip()[:400]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def search_argv(index: Path, query: str) -> list[str]:
    # The installed console script imports whatever `vnsearch` PYTHONPATH puts first.
    return [sys.executable, "-c", "import sys; from vnsearch.cli import main; sys.exit(main())",
            "search", "-d", str(index), query]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True, help="an index both versions can read")
    ap.add_argument("--a", type=Path, required=True, help="source tree of version A (the baseline)")
    ap.add_argument("--b", type=Path, required=True, help="source tree of version B")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--query", action="append", default=None,
                    help="a query to run instead of the four default ones (repeatable), e.g. a Telex one")
    args = ap.parse_args()
    queries = args.query or QUERIES

    for tree in (args.a, args.b):  # untimed: page cache and .pyc files
        cpu_seconds(search_argv(args.index, queries[0]), tree)
    times: dict[str, list[float]] = {"A": [], "B": [], "B: python -c pass": [], "B: import vnsearch.cli": []}
    for r in range(args.rounds):
        for query in queries:
            for name, tree in (("A", args.a), ("B", args.b)):
                times[name].append(cpu_seconds(search_argv(args.index, query), tree))
        times["B: python -c pass"].append(cpu_seconds([sys.executable, "-c", "pass"], args.b))
        times["B: import vnsearch.cli"].append(cpu_seconds([sys.executable, "-c", "import vnsearch.cli"], args.b))
        print(f"round {r + 1}: A {statistics.median(times['A'][-len(queries):]):.3f} s, "
              f"B {statistics.median(times['B'][-len(queries):]):.3f} s", flush=True)
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.3f} CPU s over {len(values)} runs")
    print(f"B / A: {statistics.median(times['B']) / statistics.median(times['A']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
