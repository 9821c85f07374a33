#!/usr/bin/env python3
"""Speed benchmark: vnsearch indexing, re-indexing, query latency and CLI start-up.

Every figure is set against a baseline measured in the same run on the same machine,
so the ratios survive a slower or busier machine better than the absolute numbers.

    python bench/speed.py [--docs 5000] [--jobs 2] [--queries 300] [--repeat 3]
                          [--seed 0] [--corpus DIR] [--out DIR]

See bench/README.md ("Speed") for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus import DEFAULT_CORPUS_DIR, load_news
from speed_compare import against_baseline, anchor_run, cold_cli_cpu
from textutil import syllables, title_words

OUT_DIR = Path(__file__).resolve().parent / "out"
ZONES = ("title", "sapo", "body")
CHUNK = 32  # articles per worker task; the same as vnsearch.store.indexing.BATCH_SIZE
QUERY_KINDS = ("headline", "headline_noacc", "two_words", "lead6", "phrase2")
MB = 1024 * 1024
# ru_maxrss is in KiB on Linux but in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024


# -- arguments -----------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=5000, help="index the first N news articles")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes, for vnsearch and the baseline")
    ap.add_argument("--queries", type=int, default=300, help="number of queries in the latency mix")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; figures are medians")
    ap.add_argument("--seed", type=int, default=0, help="seed of the query mix")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR,
                    help=f"directory holding news.jsonl.gz (default {DEFAULT_CORPUS_DIR})")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help=f"where speed.json goes (default {OUT_DIR})")
    ap.add_argument("--index", type=Path, default=None,
                    help="measure queries on this index of the first --docs articles (no indexing section)")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="source tree of another vnsearch checkout: its query latency and cold CLI on the same "
                         "index, turns interleaved, and this checkout's ratios to it")
    ap.add_argument("--baseline-index", type=Path, default=None,
                    help="the baseline's own index of the same articles (one it reads, when this checkout's "
                         "format is newer); default: --index")
    ap.add_argument("--anchors", default="",
                    help="peers timed on the same articles and query texts, e.g. tantivy,bm25s (bench extras)")
    args = ap.parse_args(argv)
    for name in ("docs", "jobs", "queries", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1")
    return args


# -- small helpers -------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: always a latency that was actually observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def article_text(doc: dict) -> list[str]:
    """The indexed zones of an article, the same strings for vnsearch and the baseline."""
    return [doc.get(zone) or "" for zone in ZONES]


def raw_text_bytes(docs: Iterable[dict]) -> int:
    """UTF-8 size of title+sapo+body: what the index size is compared with."""
    return sum(len(text.encode("utf-8")) for doc in docs for text in article_text(doc))


def count_syllables(docs: Iterable[dict]) -> int:
    """Syllables as bench/textutil counts them, so syllables/s is engine-neutral."""
    return sum(len(syllables(text)) for doc in docs for text in article_text(doc))


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss() -> dict[str, float]:
    """Peak RSS (MB) of this process and of its largest waited-for child.

    getrusage keeps only the *largest* child, not the sum of concurrent ones, so
    the process tree's peak is bounded by ``self + jobs × largest child`` rather
    than measured; that bound is what the report prints.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT / MB
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * _RSS_UNIT / MB
    return {"self_mb": own, "largest_child_mb": child}


def load_average() -> float | None:
    """The 1-minute load average: other work on the cores skews every figure."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not available on every platform
        return None


# -- running a measurement in a fresh process ------------------------------------------

def _trampoline(conn, fn: Callable[..., Any], args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def run_isolated(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a freshly spawned interpreter and return its result.

    Each measurement gets its own process so that its peak RSS (getrusage)
    covers only that measurement and its own workers, and so that no model,
    cache or page of memory is inherited from an earlier measurement.
    """
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_trampoline, args=(send, fn, args))
    proc.start()
    send.close()
    try:
        status, value = receive.recv()
    except EOFError:
        status, value = "error", "the measuring process died without a result"
    proc.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__name__} failed in its process:\n{value}")
    return value


# -- 1. baseline: bare underthesea segmentation --------------------------------------

def _segment_chunk(chunk: list[list[str]]) -> int:
    """Segment each zone of each article; return the word count only.

    Returning a count, not the words, keeps inter-process traffic out of the
    baseline, so it is the floor that segmentation alone costs.
    """
    from underthesea import word_tokenize

    return sum(len(word_tokenize(text)) for zones in chunk for text in zones if text)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def baseline_run(corpus_dir: Path, n_docs: int, jobs: int) -> dict:
    """Wall time of ``word_tokenize`` over title, sapo and body, with ``jobs`` workers.

    underthesea is imported before the clock starts, as in :func:`index_run`;
    each worker loads the CRF model inside the timed region, as vnsearch's do.
    """
    import underthesea  # noqa: F401  (import cost is not segmentation cost)

    chunks = _chunks([article_text(d) for d in load_news(corpus_dir, n_docs).docs], CHUNK)
    started = time.perf_counter()
    if jobs == 1:  # vnsearch segments in-process with one job, so the baseline does too
        words = sum(map(_segment_chunk, chunks))
    else:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        words = sum(pool.imap(_segment_chunk, chunks))
        pool.close()
        pool.join()  # joined, so the workers count in RUSAGE_CHILDREN
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "words": words, **peak_rss()}


# -- 2 and 3. vnsearch indexing and re-indexing ----------------------------------------

def index_run(corpus_dir: Path, n_docs: int, jobs: int, index_dir: Path) -> dict:
    """Index into an empty directory, then index the same input again.

    The second pass measures the content-hash skip: every article is unchanged,
    so nothing should be segmented. RSS is read between the passes, so the peak
    belongs to the first one.
    """
    import underthesea  # noqa: F401  (same starting point as baseline_run)

    from vnsearch import SearchEngine

    docs = load_news(corpus_dir, n_docs).docs
    started = time.perf_counter()
    with SearchEngine(index_dir) as engine:
        first = engine.index_articles(docs, jobs=jobs)
    first_seconds = time.perf_counter() - started
    rss = peak_rss()
    started = time.perf_counter()
    with SearchEngine(index_dir) as engine:
        again = engine.index_articles(docs, jobs=jobs)
    again_seconds = time.perf_counter() - started
    return {"seconds": first_seconds, "reindex_seconds": again_seconds, **rss,
            "index_bytes": dir_size(index_dir), "summary": str(first), "reindex_summary": str(again),
            "added": first.added, "reindex_unchanged": again.unchanged}


@dataclass
class IndexingFigures:
    """Medians over the repeats of the baseline and vnsearch runs."""

    baseline: list[dict]
    vnsearch: list[dict]

    def med(self, runs: list[dict], key: str) -> float:
        return median([r[key] for r in runs])


def measure_indexing(corpus_dir: Path, n_docs: int, jobs: int, repeat: int,
                     workdir: Path) -> tuple[IndexingFigures, Path]:
    """Alternate baseline and vnsearch runs, so drifting load hits both alike.

    Returns the figures and the last index built, which the query phases use.
    """
    figures = IndexingFigures([], [])
    index_dir = workdir / "index"
    for i in range(repeat):
        print(f"  run {i + 1}/{repeat}: baseline ...", end="", flush=True)
        figures.baseline.append(run_isolated(baseline_run, corpus_dir, n_docs, jobs))
        print(f" {figures.baseline[-1]['seconds']:.1f} s; vnsearch ...", end="", flush=True)
        shutil.rmtree(index_dir, ignore_errors=True)  # every run starts from an empty directory
        run = run_isolated(index_run, corpus_dir, n_docs, jobs, index_dir)
        figures.vnsearch.append(run)
        print(f" {run['seconds']:.1f} s, again {run['reindex_seconds']:.2f} s ({run['summary']})", flush=True)
    return figures, index_dir


# -- 4. query latency ----------------------------------------------------------------------

def _random_run(words: list[str], length: int, rng: random.Random) -> list[str] | None:
    if len(words) < length:
        return None
    start = rng.randrange(len(words) - length + 1)
    return words[start:start + length]


def make_query(kind: str, doc: dict, rng: random.Random) -> str | None:
    """One query of ``kind`` drawn from ``doc``, or None if the article cannot supply it."""
    from vnsearch.lang.text import fold_all

    if kind == "headline":
        return doc["title"].strip() or None
    if kind == "headline_noacc":
        return fold_all(doc["title"].strip()) or None
    if kind == "two_words":
        words = list(dict.fromkeys(title_words(doc["title"])))
        if len(words) < 2:
            return None
        picked = sorted(rng.sample(range(len(words)), 2))
        return " ".join(words[i] for i in picked)
    if kind == "lead6":
        run = _random_run(syllables(doc["sapo"]), 6, rng)
        return " ".join(run) if run else None
    if kind == "phrase2":
        run = _random_run([s for s in syllables(doc["body"]) if '"' not in s], 2, rng)
        return f'"{run[0]} {run[1]}"' if run else None
    raise ValueError(f"unknown query kind {kind!r}")


def make_queries(docs: list[dict], total: int, seed: int) -> list[tuple[str, str]]:
    """A fixed-seed mix of ``(kind, text)``, kinds as equal as possible, interleaved.

    Shuffling the mix spreads each kind over the pass, so caches warmed by one
    kind do not flatter the next kind in line.
    """
    rng = random.Random(seed)
    queries: list[tuple[str, str]] = []
    for i, kind in enumerate(QUERY_KINDS):
        wanted = total // len(QUERY_KINDS) + (i < total % len(QUERY_KINDS))
        for _ in range(50 * wanted):  # bounded: a tiny corpus may lack, say, long sapos
            if not wanted:
                break
            text = make_query(kind, rng.choice(docs), rng)
            if text:
                queries.append((kind, text))
                wanted -= 1
    rng.shuffle(queries)
    return queries


def query_run(index_dir: Path, queries: list[str], warm_passes: int) -> dict:
    """Per-query latency of ``search(q, limit=10)``: one cold pass, then warm passes.

    Cold means a fresh process and a freshly opened engine (not a cold disk: the
    index was just written, so it sits in the page cache). The first query also
    opens the searcher and builds the ranker's statistics.
    """
    from vnsearch import SearchEngine

    started = time.perf_counter()
    engine = SearchEngine(index_dir, create=False)
    open_ms = (time.perf_counter() - started) * 1000

    def one_pass() -> tuple[list[float], list[int], list[float]]:
        times, hits, cpu = [], [], []
        for q in queries:
            c0 = time.thread_time()
            t0 = time.perf_counter()
            results = engine.search(q, limit=10)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
            hits.append(len(results))
        return times, hits, cpu

    cold, hits, _ = one_pass()
    warm_runs = [one_pass() for _ in range(warm_passes)]
    engine.close()
    warm = [median(per_query) for per_query in zip(*(r[0] for r in warm_runs))]
    # The CPU time of the searching thread: what a query costs, without the
    # waits for a core that a machine shared with other work adds to the wall time.
    warm_cpu = [median(per_query) for per_query in zip(*(r[2] for r in warm_runs))]
    return {"open_ms": open_ms, "cold_ms": cold, "warm_ms": warm, "warm_cpu_ms": warm_cpu, "hits": hits}


def latency_summary(kinds: list[str], run: dict) -> dict[str, dict]:
    """p50/p95 cold and warm, for all queries and per kind."""
    groups = {"all": list(range(len(kinds)))}
    for kind in QUERY_KINDS:
        groups[kind] = [i for i, k in enumerate(kinds) if k == kind]
    summary = {}
    for name, idx in groups.items():
        cold = [run["cold_ms"][i] for i in idx]
        warm = [run["warm_ms"][i] for i in idx]
        cpu = [run["warm_cpu_ms"][i] for i in idx]
        summary[name] = {"n": len(idx), "cold_p50": percentile(cold, 50), "cold_p95": percentile(cold, 95),
                         "warm_p50": percentile(warm, 50), "warm_p95": percentile(warm, 95),
                         "cpu_p50": percentile(cpu, 50), "cpu_p95": percentile(cpu, 95),
                         "no_hits": sum(1 for i in idx if run["hits"][i] == 0)}
    return summary


# -- 5. cold CLI --------------------------------------------------------------------------

def time_command(argv: list[str], repeat: int, ok_codes: tuple[int, ...] = (0,)) -> list[float]:
    """Wall seconds of ``repeat`` runs, after one untimed run that warms the page cache."""
    times = []
    for i in range(repeat + 1):
        started = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - started
        if proc.returncode not in ok_codes:
            raise RuntimeError(f"{argv!r} exited with {proc.returncode}: {proc.stderr.strip()[:500]}")
        if i:
            times.append(elapsed)
    return times


def measure_cli(index_dir: Path, query: str, repeat: int) -> dict[str, dict]:
    """Interpreter start, import of the CLI, and a full ``vnsearch search``.

    The middle figure splits the CLI's cost between imports and the search itself.
    """
    script = Path(sys.executable).parent / "vnsearch"
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], (0,)),
        "python -c 'import vnsearch.cli'": ([sys.executable, "-c", "import vnsearch.cli"], (0,)),
        "vnsearch search": ([str(script), "search", "-d", str(index_dir), query], (0, 1)),  # 1 = no hits
    }
    return {name: {"argv": argv, "seconds": time_command(argv, repeat, ok)}
            for name, (argv, ok) in commands.items()}


# -- report -------------------------------------------------------------------------------

def format_table(rows: list[list[str]]) -> str:
    """Plain-text table: first row is the header, first column left-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  " + "  ".join(cells).rstrip())
        if j == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def indexing_report(fig: IndexingFigures, n_docs: int, syllable_count: int, raw_bytes: int,
                    jobs: int) -> tuple[str, dict]:
    base_s = fig.med(fig.baseline, "seconds")
    index_s = fig.med(fig.vnsearch, "seconds")
    again_s = fig.med(fig.vnsearch, "reindex_seconds")
    index_bytes = fig.med(fig.vnsearch, "index_bytes")
    rss = {who: {"self_mb": fig.med(runs, "self_mb"), "largest_child_mb": fig.med(runs, "largest_child_mb")}
           for who, runs in (("baseline", fig.baseline), ("vnsearch", fig.vnsearch))}
    for r in rss.values():
        r["tree_bound_mb"] = r["self_mb"] + (jobs * r["largest_child_mb"] if jobs > 1 else 0)
    rows = [["", "wall s", "articles/s", "syllables/s", "ratio"],
            ["underthesea word_tokenize (baseline)", f"{base_s:.2f}", f"{n_docs / base_s:.1f}",
             f"{syllable_count / base_s:,.0f}", "1.00x"],
            ["vnsearch index_articles", f"{index_s:.2f}", f"{n_docs / index_s:.1f}",
             f"{syllable_count / index_s:,.0f}", f"{index_s / base_s:.2f}x baseline"],
            ["vnsearch re-run, unchanged input", f"{again_s:.2f}", f"{n_docs / again_s:.1f}", "-",
             f"{again_s / index_s:.3f}x first run"]]
    per_run = ", ".join(f"{v['seconds'] / b['seconds']:.2f}x" for b, v in zip(fig.baseline, fig.vnsearch))
    text = "\n".join([
        format_table(rows),
        f"  vnsearch / baseline, run by run: {per_run}",
        "  peak RSS, MB (process / largest worker / tree bound = process + jobs x worker):",
        *(f"    {who:<9} {r['self_mb']:6.0f} / {r['largest_child_mb']:6.0f} / {r['tree_bound_mb']:6.0f}"
          for who, r in rss.items()),
        f"  index on disk {index_bytes / MB:.1f} MB for {raw_bytes / MB:.1f} MB of raw text "
        f"(title+sapo+body, UTF-8): {index_bytes / raw_bytes:.2f}x",
    ])
    data = {"baseline_seconds": base_s, "index_seconds": index_s, "reindex_seconds": again_s,
            "index_vs_baseline": index_s / base_s,
            "index_vs_baseline_per_run": [v["seconds"] / b["seconds"] for b, v in zip(fig.baseline, fig.vnsearch)],
            "reindex_vs_index": again_s / index_s,
            "articles_per_s": n_docs / index_s, "baseline_articles_per_s": n_docs / base_s,
            "syllables_per_s": syllable_count / index_s, "baseline_syllables_per_s": syllable_count / base_s,
            "syllables": syllable_count, "raw_text_bytes": raw_bytes, "index_bytes": index_bytes,
            "index_vs_raw": index_bytes / raw_bytes, "peak_rss": rss,
            "runs": {"baseline": fig.baseline, "vnsearch": fig.vnsearch}}
    return text, data


def latency_report(summary: dict[str, dict], open_ms: float, first_ms: float) -> str:
    rows = [["ms", "n", "cold p50", "cold p95", "warm p50", "warm p95", "CPU p50", "CPU p95", "no hits"]]
    for name, s in summary.items():
        rows.append([name, str(s["n"]), *(f"{s[k]:.1f}" for k in ("cold_p50", "cold_p95", "warm_p50", "warm_p95",
                                                                   "cpu_p50", "cpu_p95")),
                     str(s["no_hits"])])
    return (format_table(rows)
            + f"\n  opening the engine {open_ms:.1f} ms; first query of the cold pass {first_ms:.1f} ms")


def cli_report(cli: dict[str, dict], query: str) -> str:
    base = median(cli["python -c pass"]["seconds"])
    rows = [["", "median s", "over python -c pass"]]
    for name, c in cli.items():
        m = median(c["seconds"])
        rows.append([name, f"{m:.3f}", "-" if name == "python -c pass" else f"+{m - base:.3f} s"])
    return format_table(rows) + f"\n  query: {query}"


def environment(args: argparse.Namespace) -> dict:
    """What a reader needs to judge the numbers: machine, load, versions, checkout."""
    from importlib.metadata import version

    def git(*git_args: str) -> str:
        repo = Path(__file__).resolve().parents[1]
        return subprocess.run(["git", "-C", str(repo), *git_args], capture_output=True, text=True).stdout.strip()

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "underthesea": version("underthesea"), "whoosh": version("whoosh-reloaded"),
            "git_head": git("rev-parse", "--short", "HEAD"), "git_dirty": bool(git("status", "--porcelain")),
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
            "corpus": str(args.corpus)}


def issue_table(latency: dict[str, dict], index_data: dict, compared: dict[str, Any]) -> str:
    """Issue 17's table: each figure of this run, and what it is set against in the same run."""
    warm = latency["all"]
    rows = [["figure", "this checkout", "compared with"]]
    rows.append(["query p50 / p95, top 10 with snippets, warm, wall",
                 f"{warm['warm_p50']:.2f} / {warm['warm_p95']:.2f} ms", ""])
    rows.append(["the same, CPU of the searching thread", f"{warm['cpu_p50']:.2f} / {warm['cpu_p95']:.2f} ms", ""])
    base = compared.get("baseline")
    mine_cpu = warm["cpu_p50"]
    if base:
        # The comparison: both checkouts in turns, close in time, so alike in load.
        rows.append(["query CPU p50 / p95, turns interleaved with the baseline",
                     f"{base['p50']:.2f} / {base['p95']:.2f} ms",
                     f"baseline {base['baseline_p50']:.2f} / {base['baseline_p95']:.2f} ms: "
                     f"{base['p50_ratio']:.2f}x / {base['p95_ratio']:.2f}x"])
        mine_cpu = base["p50"]
    for name in ("tantivy", "bm25s"):
        if name in compared:
            a = compared[name]
            rows.append([f"  anchor: {name}, CPU (wall p50)", f"{a['cpu_p50']:.2f} / {a['cpu_p95']:.2f} ms "
                         f"({a['p50']:.2f})", f"vnsearch CPU p50 is {mine_cpu / max(a['cpu_p50'], 1e-6):.0f}x"])
    if index_data:
        rows.append(["indexing / bare underthesea segmentation", f"{index_data['index_vs_baseline']:.2f}x",
                     f"{index_data['index_seconds']:.0f} s / {index_data['baseline_seconds']:.0f} s"])
        rss = index_data["peak_rss"]["vnsearch"]
        rows.append(["peak memory indexing (tree bound) / index size",
                     f"{rss['tree_bound_mb']:.0f} MB / {index_data['index_vs_raw']:.2f}x raw text", ""])
    cpu = compared.get("cli_cpu_s", {})
    if "vnsearch" in cpu:
        rows.append(["cold vnsearch search, CPU s (median)", f"{cpu['vnsearch']:.3f}",
                     f"baseline {cpu['baseline']:.3f}: {cpu['vnsearch'] / cpu['baseline']:.2f}x"
                     if "baseline" in cpu else "-"])
    return format_table(rows)


# -- main -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    docs = load_news(args.corpus, args.docs).docs
    n_docs = len(docs)
    load_start = load_average()
    print(f"vnsearch speed: {n_docs} articles, jobs={args.jobs}, {args.queries} queries, "
          f"repeat={args.repeat} (figures are medians); {os.cpu_count()} CPUs, "
          f"load average {load_start} at start")

    with tempfile.TemporaryDirectory(prefix="vnsearch-speed-") as tmp:
        index_text, index_data = "", {}
        if args.index is None:
            print("indexing:")
            fig, index_dir = measure_indexing(args.corpus, n_docs, args.jobs, args.repeat, Path(tmp))
            index_text, index_data = indexing_report(fig, n_docs, count_syllables(docs), raw_text_bytes(docs),
                                                     args.jobs)
        else:
            index_dir = args.index

        queries = make_queries(docs, args.queries, args.seed)
        kinds = [k for k, _ in queries]
        texts = [q for _, q in queries]
        print(f"queries: {len(queries)} ...", flush=True)
        qrun = run_isolated(query_run, index_dir, texts, args.repeat)
        latency = latency_summary(kinds, qrun)

        cli_query = next(q for k, q in queries if k == "headline")
        print("cold CLI ...", flush=True)
        cli = measure_cli(index_dir, cli_query, args.repeat)
        compared: dict[str, Any] = {}
        trees = {"vnsearch": Path(__file__).resolve().parents[1]}
        if args.baseline is not None:
            print(f"against the baseline {args.baseline}, turns interleaved ...", flush=True)
            compared["baseline"] = against_baseline(index_dir, texts, args.baseline, args.repeat, 2,
                                                    args.baseline_index)
            trees["baseline"] = args.baseline
        own = {"baseline": args.baseline_index} if args.baseline_index else None
        compared["cli_cpu_s"] = cold_cli_cpu(index_dir, cli_query, trees, max(5, args.repeat), own)
        for name in filter(None, args.anchors.split(",")):
            print(f"anchor {name} ...", flush=True)
            compared[name] = run_isolated(anchor_run, name, docs, texts, args.repeat)

    load_end = load_average()
    print()
    if index_text:
        print(f"Indexing {n_docs} articles with {args.jobs} jobs (median of {args.repeat}):")
        print(index_text)
        print()
    print(f"Query latency, search(q, limit=10) in-process (warm = median of {args.repeat} passes per query):")
    print(latency_report(latency, qrun["open_ms"], qrun["cold_ms"][0]))
    print()
    print(f"Cold CLI (new process each time, median of {args.repeat} after one untimed run):")
    print(cli_report(cli, cli_query))
    print()
    print(f"Issue 17's figures, {n_docs} articles (same run):")
    print(issue_table(latency, index_data, compared))
    print()
    print(f"load average {load_start} at start, {load_end} at end "
          f"({os.cpu_count()} CPUs; other processes share them); total {time.perf_counter() - started:.0f} s")

    report = {
        "config": {"docs": n_docs, "jobs": args.jobs, "queries": len(queries), "repeat": args.repeat,
                   "seed": args.seed, "chunk": CHUNK},
        "environment": {**environment(args), "load_average_start": load_start, "load_average_end": load_end},
        "indexing": index_data,
        "latency": {"open_ms": qrun["open_ms"], "first_query_ms": qrun["cold_ms"][0], "summary": latency,
                    "queries": [{"kind": k, "text": q, "cold_ms": c, "warm_ms": w, "warm_cpu_ms": u, "hits": h}
                                for (k, q), c, w, u, h in zip(queries, qrun["cold_ms"], qrun["warm_ms"],
                                                              qrun["warm_cpu_ms"], qrun["hits"])]},
        "compared": compared,
        "cli": {"query": cli_query,
                **{name: {"median_s": median(c["seconds"]), "seconds": c["seconds"]} for name, c in cli.items()}},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "speed.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
