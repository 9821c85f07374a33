"""Soak test: one process indexes the news corpus in batches while others search.

    python bench/soak.py                     # the full corpus (34,924 articles), batches of 1000, 4 searchers
    python bench/soak.py --docs 1000 --batch 100 --searchers 4
    python bench/soak.py --shared-engine --seconds 150 --threads 8 --articles 3000

``--shared-engine`` is the longer form of tests/test_threads.py: ``--threads``
threads share ONE SearchEngine and search (and call ``get``, ``similar``,
``len``, ``in``, the lazy suggestion) for at least ``--seconds`` while another
process indexes ``--articles`` short generated articles ``--commit-every`` at a
time and a thread of the same engine adds three articles and deletes two,
over and over. Targets: 0 errors, their articles' count never falling within
a thread, every hit of theirs resolvable by ``get``, all of them there at the
end, and ``check()`` clean.

The indexer calls ``index_articles`` once per batch (each call commits at its
end, and every ``--commit-every`` articles within it) while the searchers run
random queries built from the corpus titles against the same directory, each
reopening to the latest commit as it appears. At the end it reports queries
answered, errors (target 0) and articles lost or stored twice (target 0:
every id the indexer accepted is in the index exactly once), plus ``check()``.
Exit status 1 if any target is missed. Not part of the unit suite: it takes
minutes (word segmentation) at the default size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import DEFAULT_CORPUS_DIR, read_jsonl_gz  # noqa: E402


def indexer(index: str, docs: list[dict], batch: int, jobs: int, commit_every: int, out: mp.Queue) -> None:
    from vnsearch import SearchEngine

    try:
        with SearchEngine(index) as engine:
            for start in range(0, len(docs), batch):
                t = time.monotonic()
                summary = engine.index_articles(docs[start:start + batch], jobs=jobs, commit_every=commit_every)
                out.put(("batch", start // batch + 1, summary.added, summary.replaced, summary.unchanged,
                         summary.skipped, round(time.monotonic() - t, 1), len(engine)))
        out.put(("indexer-done",))
    except Exception:
        out.put(("indexer-error", traceback.format_exc()))


def searcher(index: str, queries: list[str], seed: int, stop, out: mp.Queue) -> None:
    from vnsearch import SearchEngine
    from vnsearch.search.query import QueryError

    rng = random.Random(seed)
    answered = errors = empty = 0
    samples: list[str] = []
    latency = 0.0
    with SearchEngine(index, create=False) as engine:
        while not stop.is_set():
            q = rng.choice(queries)
            t = time.monotonic()
            try:
                hits = engine.search(q, limit=10)
                ids = [h.id for h in hits]
                if len(set(ids)) != len(ids):
                    raise AssertionError(f"duplicate ids in results: {ids}")
                answered += 1
                empty += not hits
            except QueryError:
                answered += 1  # a clear answer to a query the syntax rejects
            except Exception as exc:
                errors += 1
                if len(samples) < 5:
                    samples.append(f"{q!r}: {type(exc).__name__}: {exc}")
            latency += time.monotonic() - t
    out.put(("searcher", seed, answered, errors, empty, round(1000 * latency / max(answered + errors, 1), 1),
             samples))


def make_queries(docs: list[dict], n: int, rng: random.Random) -> list[str]:
    """Random pieces of titles: 1–4 consecutive words, sometimes the whole title."""
    queries = []
    titles = [d["title"] for d in docs if isinstance(d.get("title"), str) and d["title"].strip()]
    for _ in range(n):
        words = rng.choice(titles).split()
        if rng.random() < 0.2:
            queries.append(" ".join(words))
            continue
        k = rng.randint(1, min(4, len(words)))
        i = rng.randint(0, len(words) - k)
        queries.append(" ".join(words[i:i + k]))
    return queries


def shared_engine(args: argparse.Namespace) -> int:
    """The --shared-engine mode; prints its figures, exit status 1 on any failure."""
    from tests.test_threads import stress

    index = args.index_dir or Path(tempfile.mkdtemp(prefix="vnsearch-soak-")) / "ix"
    every = args.commit_every if args.commit_every != 1000 else 100
    try:
        figures = stress(index, threads=args.threads, articles=args.articles, commit_every=every,
                         min_seconds=args.seconds, max_seconds=args.seconds + 600)
    except BaseException:
        traceback.print_exc()
        print("FAILED")
        return 1
    print(f"shared engine: {args.threads} threads, {figures['queries']:,} searches answered in "
          f"{figures['seconds']} s ({figures['queries'] / figures['seconds']:.0f}/s), errors {figures['errors']}; "
          f"the other process added {args.articles:,} articles {every} per commit; this engine's writer "
          f"added 3 and deleted 2 {figures['writer_rounds']} times; {figures['articles']:,} articles at the end; "
          f"check() clean")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=0, help="articles to index [0: the whole corpus]")
    ap.add_argument("--batch", type=int, default=1000, help="articles per index_articles call [1000]")
    ap.add_argument("--commit-every", type=int, default=1000, help="commit_every within a call [1000]")
    ap.add_argument("--searchers", type=int, default=4, help="searching processes [4]")
    ap.add_argument("--jobs", type=int, default=2, help="segmentation workers of the indexer [2]")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR / "news.jsonl.gz")
    ap.add_argument("--index-dir", type=Path, default=None, help="[a new temporary directory]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shared-engine", action="store_true",
                    help="threads sharing one engine instead of searching processes (see above)")
    ap.add_argument("--threads", type=int, default=8, help="--shared-engine: searching threads [8]")
    ap.add_argument("--seconds", type=float, default=150, help="--shared-engine: search at least this long [150]")
    ap.add_argument("--articles", type=int, default=3000, help="--shared-engine: articles the other process adds")
    args = ap.parse_args()
    if args.shared_engine:
        return shared_engine(args)

    from vnsearch import SearchEngine
    from vnsearch.ingest.articles import ArticleError
    from vnsearch.store.indexing import coerce_article

    docs = list(itertools.islice(read_jsonl_gz(args.corpus), args.docs or None))
    expected = set()
    for d in docs:
        try:
            expected.add(coerce_article(d).id)
        except ArticleError:
            pass
    queries = make_queries(docs, 2000, random.Random(args.seed))
    index = str(args.index_dir or Path(tempfile.mkdtemp(prefix="vnsearch-soak-")) / "ix")
    SearchEngine(index).close()  # exists before the searchers open it

    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    started = time.monotonic()
    writer = ctx.Process(target=indexer, args=(index, docs, args.batch, args.jobs, args.commit_every, out))
    readers = [ctx.Process(target=searcher, args=(index, queries, args.seed * 100 + i, stop, out))
               for i in range(args.searchers)]
    for p in [writer, *readers]:
        p.start()
    print(f"soak: {len(docs)} articles ({len(expected)} distinct valid ids) in batches of {args.batch}, "
          f"{args.searchers} searchers, index {index}", flush=True)
    indexer_error = None
    while True:
        msg = out.get()
        if msg[0] == "batch":
            _, n, added, replaced, unchanged, skipped, secs, total = msg
            print(f"  batch {n}: {added} added, {replaced} replaced, {unchanged} unchanged, {skipped} skipped "
                  f"in {secs} s; index holds {total}", flush=True)
        elif msg[0] == "indexer-error":
            indexer_error = msg[1]
            print(indexer_error, file=sys.stderr)
            break
        elif msg[0] == "indexer-done":
            break
    writer.join()
    stop.set()
    answered = errors = empty = 0
    samples: list[str] = []
    for _ in readers:
        _, seed, a, e, m, ms, s = out.get()
        print(f"  searcher {seed}: {a} queries answered ({m} with no hit), {e} errors, {ms} ms mean", flush=True)
        answered, errors, empty = answered + a, errors + e, empty + m
        samples += s
    for p in readers:
        p.join()
    elapsed = time.monotonic() - started

    with SearchEngine(index, create=False) as engine:
        problems = engine.check()
        counts = Counter(engine.ids())
    lost = sorted(expected - set(counts))
    twice = sorted(i for i, c in counts.items() if c > 1)
    extra = sorted(set(counts) - expected)
    result = {"docs": len(docs), "expected_ids": len(expected), "indexed_ids": len(counts),
              "queries_answered": answered, "queries_without_hits": empty, "errors": errors,
              "lost": len(lost), "stored_twice": len(twice), "unexpected": len(extra),
              "check_problems": problems, "indexer_error": bool(indexer_error), "seconds": round(elapsed, 1)}
    print(json.dumps(result, ensure_ascii=False))
    for s in samples:
        print(f"  error sample: {s}")
    if lost:
        print(f"  lost (first 5): {lost[:5]}")
    if twice:
        print(f"  stored twice (first 5): {twice[:5]}")
    ok = not (errors or lost or twice or extra or problems or indexer_error)
    print("soak: OK" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
