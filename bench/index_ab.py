#!/usr/bin/env python3
"""Indexing time of two versions of vnsearch on the same articles, runs interleaved.

Each turn is a fresh ``vnsearch index`` process (the version's own CLI, its
source tree first on PYTHONPATH) indexing the first ``--docs`` articles of
news.jsonl.gz into an empty directory; turns go A B A B …, so machine noise
hits both alike. Prints each turn's wall and CPU seconds and the median of the
per-round ratios B / A.

With ``--underthesea`` each round also runs bare underthesea segmentation of
the same articles (``bench/speed.py``'s baseline: ``word_tokenize`` of title,
sapo and body with ``--jobs`` workers) in a fresh process, and prints each
version's CPU as a ratio to it: the issue's "indexing ÷ bare segmentation"
figure, in CPU seconds (process and workers), which a loaded machine skews
far less than wall time.

    git worktree add /tmp/before <rev>       # or any checkout of the old code
    python bench/index_ab.py --a /tmp/before --b . [--docs 10000] [--rounds 2] [--underthesea]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_CORPUS_DIR  # noqa: E402


def turn(tree: Path, source: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its workers) of one indexing run."""
    target = Path(tempfile.mkdtemp(prefix="index-ab-"))
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "vnsearch.cli", "index", "-q", "--jobs", str(jobs),
                        "-d", str(target / "ix"), str(source)], env=env, check=True, cwd=str(tree),
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(target, ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def segmentation_turn(corpus: Path, docs: int, jobs: int) -> tuple[float, float]:
    """(wall, CPU seconds) of bare underthesea segmentation of the articles, in a fresh process."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); from speed import baseline_run; "
            "baseline_run(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(HERE), str(corpus), str(docs), str(jobs)], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="source tree of version A (the baseline)")
    ap.add_argument("--b", type=Path, required=True, help="source tree of version B")
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--underthesea", action="store_true",
                    help="also time bare underthesea segmentation each round; print CPU ratios to it")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="index-ab-src-"))
    source = work / f"first-{args.docs}.jsonl"
    with gzip.open(args.corpus / "news.jsonl.gz", "rt", encoding="utf-8") as fh, source.open("w") as out:
        out.writelines(itertools.islice(fh, args.docs))
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    to_segmentation: dict[str, list[float]] = {"A": [], "B": []}
    try:
        for r in range(args.rounds):
            walls, cpus = {}, {}
            if args.underthesea:
                wall, cpu = segmentation_turn(args.corpus, args.docs, args.jobs)
                cpus["underthesea"] = cpu
                print(f"round {r + 1} underthesea: {wall:.1f} s wall, {cpu:.1f} s CPU ({load()})", flush=True)
            for name, tree in (("A", args.a), ("B", args.b)):
                wall, cpu = turn(tree, source, args.jobs)
                walls[name], cpus[name] = wall, cpu
                extra = ""
                if args.underthesea:
                    to_segmentation[name].append(cpu / cpus["underthesea"])
                    extra = f", {cpu / cpus['underthesea']:.3f}x underthesea's CPU"
                print(f"round {r + 1} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU{extra} ({load()})", flush=True)
            ratios.append(walls["B"] / walls["A"])
            cpu_ratios.append(cpus["B"] / cpus["A"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"B / A wall time, median of {args.rounds} rounds: {statistics.median(ratios):.3f}x "
          f"({', '.join(f'{x:.3f}' for x in ratios)})")
    print(f"B / A CPU time, median of {args.rounds} rounds: {statistics.median(cpu_ratios):.3f}x "
          f"({', '.join(f'{x:.3f}' for x in cpu_ratios)})")
    for name, values in to_segmentation.items():
        if values:
            print(f"{name} CPU / underthesea CPU, median: {statistics.median(values):.3f}x "
                  f"({', '.join(f'{x:.3f}' for x in values)})")
    return 0


def load() -> str:
    """The 1-minute load average, for the record of how busy the machine was."""
    try:
        return f"load {os.getloadavg()[0]:.1f}"
    except OSError:
        return "load unknown"


if __name__ == "__main__":
    sys.exit(main())
