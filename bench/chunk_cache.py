#!/usr/bin/env python3
"""What the segmenter's chunk cache costs and saves when indexing, in one process.

    python bench/chunk_cache.py [--docs 2000] [--skip 10000] [--rounds 3] [--input FILE.jsonl.gz]
    python bench/chunk_cache.py --hit-rate-only [--docs 0]     # hit rate alone, over the whole input

``Segmenter.word_starts`` keeps the word starts of the last
``CHUNK_CACHE_SIZE`` sentence chunks (vnsearch.lang.analysis.ChunkCache). This
prepares the same articles (``prepare_packed``: everything a worker does for
an article) with a segmenter that remembers nothing and with one that caches,
in alternating turns (A B, B A, ...), each turn with a freshly emptied cache,
and prints the CPU time (``time.thread_time``) per article of each, the
median of the turn-by-turn ratios, and the cache's hit rate. Both must give
the same documents; the script checks that the word starts agree.

``--hit-rate-only`` runs no model: it cuts the input into chunks as the
segmenter does and counts what an LRU cache of that size would hit, which
is cheap enough for the whole corpus or the whole 10x archive.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_CORPUS_DIR, read_jsonl_gz  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=DEFAULT_CORPUS_DIR / "news.jsonl.gz",
                    help="a .jsonl.gz of articles (default: the shared corpus's news.jsonl.gz)")
    ap.add_argument("--docs", type=int, default=2000, help="articles to use (0: all)")
    ap.add_argument("--skip", type=int, default=0, help="articles to skip first")
    ap.add_argument("--rounds", type=int, default=3, help="turns of each variant")
    ap.add_argument("--hit-rate-only", action="store_true", help="count hits without running the model")
    args = ap.parse_args(argv)
    if args.docs < 0 or args.skip < 0 or args.rounds < 1:
        ap.error("--docs and --skip must be at least 0, --rounds at least 1")
    return args


def load(args: argparse.Namespace) -> list[dict[str, Any]]:
    stop = args.skip + args.docs if args.docs else None
    return list(itertools.islice(read_jsonl_gz(args.input), args.skip, stop))


def hit_rate_only(records: list[dict[str, Any]]) -> None:
    from vnsearch.lang.analysis import CHUNK_CACHE_SIZE, ChunkCache, sentence_chunks, tokenize

    cache = ChunkCache(CHUNK_CACHE_SIZE)
    tokens_hit = tokens_all = 0
    for record in records:
        for zone in ("title", "sapo", "body"):
            text = record.get(zone) or ""
            for chunk in map(tuple, sentence_chunks(tokenize(text))):
                tokens_all += len(chunk)
                if cache.get(chunk) is None:
                    cache.put(chunk, [False] * len(chunk))
                else:
                    tokens_hit += len(chunk)
    chunks = cache.hits + cache.misses
    print(f"{len(records):,} articles, {chunks:,} chunks: cache of {cache.size} hits {cache.hits:,} "
          f"({cache.hits / max(1, chunks):.1%} of chunks, {tokens_hit / max(1, tokens_all):.1%} of tokens)")


def timed_turn(articles: list[Any], segmenter: Any) -> tuple[float, list[Any]]:
    from vnsearch.store.indexing import prepare_packed

    docs = []
    started = time.thread_time()
    for article in articles:
        docs.append(prepare_packed(article, segmenter))
    return time.thread_time() - started, docs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    records = load(args)
    print(f"{len(records):,} articles of {args.input} after {args.skip:,}")
    if args.hit_rate_only:
        hit_rate_only(records)
        return 0
    from vnsearch.ingest.articles import Article
    from vnsearch.lang.analysis import Segmenter, tokenize

    articles = [Article.from_dict(r, origin=f"{args.input}:{args.skip + i + 1}") for i, r in enumerate(records)]
    plain, cached = Segmenter(cache_size=0), Segmenter()
    for record in records[:200]:  # the same starts; and both decoders' tables warmed alike
        for zone in ("title", "sapo", "body"):
            tokens = tokenize(record.get(zone) or "")
            if plain.word_starts(tokens) != cached.word_starts(tokens):
                raise SystemExit(f"cache and decoding disagree on {record.get('id')}")
    seconds: dict[str, list[float]] = {"no cache": [], "cache": []}
    hits = misses = 0
    for turn in range(args.rounds):
        order = [("no cache", plain), ("cache", cached)]
        for name, segmenter in order if turn % 2 == 0 else order[::-1]:
            segmenter.chunks = type(segmenter.chunks)(segmenter.chunks.size)  # emptied for every turn
            spent, _ = timed_turn(articles, segmenter)
            seconds[name].append(spent)
            if name == "cache":
                hits, misses = segmenter.chunks.hits, segmenter.chunks.misses
            print(f"  turn {turn + 1} {name}: {spent / len(articles) * 1000:.2f} ms CPU per article", flush=True)
    ratios = [c / p for c, p in zip(seconds["cache"], seconds["no cache"])]
    print(f"CPU per article: no cache {statistics.median(seconds['no cache']) / len(articles) * 1000:.2f} ms, "
          f"cache {statistics.median(seconds['cache']) / len(articles) * 1000:.2f} ms; cache / no cache by turn "
          f"{', '.join(f'{r:.3f}' for r in ratios)} (median {statistics.median(ratios):.3f}); "
          f"hit rate {hits / max(1, hits + misses):.1%} of {hits + misses:,} chunks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
