#!/usr/bin/env python3
"""The ranker's postings cache: how many postings a pass decodes under each policy, same budget.

Records every list the ranker asks for while answering bench/speed.py's
query mix (the same seed and count) for several passes, then replays those
requests through plain least-recently-used and through the ranker's
:class:`vnsearch.search.cache.ListCache` (recency, with admission by
frequency), each with the same budget, and prints the postings each
decodes in each pass (a miss decodes the whole list). The replay is
deterministic: what it measures is the policy, not the machine.

    python bench/cache_policy.py --index DIR --docs 34924 [--budget 3000000] [--passes 3]
"""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_CORPUS_DIR, load_news  # noqa: E402
from speed import make_queries  # noqa: E402

Request = tuple[tuple[str, str], int]  # (field, term), postings


def record(index: Path, queries: list[str], passes: int) -> list[list[Request]]:
    """Per pass, every (field, term) the ranker asked for with a list, and the list's length."""
    from vnsearch import SearchEngine
    from vnsearch.search import scoring

    passes_seen: list[list[Request]] = []
    asked = scoring.TermScorer.postings

    def recording(self: scoring.TermScorer, fieldname: str, term: str) -> object:
        got = asked(self, fieldname, term)
        if len(got.docs):
            passes_seen[-1].append(((fieldname, term), len(got.docs)))
        return got

    scoring.TermScorer.postings = recording  # type: ignore[method-assign]
    try:
        with SearchEngine(index, create=False) as engine:
            for _ in range(passes):
                passes_seen.append([])
                for q in queries:
                    engine.search(q, limit=10)
    finally:
        scoring.TermScorer.postings = asked  # type: ignore[method-assign]
    return passes_seen


def replay_lru(passes: list[list[Request]], budget: int) -> list[int]:
    """Postings decoded per pass by least-recently-used within *budget* (each list costing one more)."""
    kept: OrderedDict[tuple[str, str], int] = OrderedDict()
    used = 0
    decoded = []
    for requests in passes:
        n = 0
        for key, size in requests:
            if key in kept:
                kept.move_to_end(key)
                continue
            n += size
            if size + 1 <= budget:
                kept[key] = size + 1
                used += size + 1
                while used > budget:
                    used -= kept.popitem(last=False)[1]
        decoded.append(n)
    return decoded


def replay_list_cache(passes: list[list[Request]], budget: int) -> list[int]:
    """Postings decoded per pass by the ranker's ListCache with *budget*."""
    from vnsearch.search.cache import ListCache

    cache: ListCache[tuple[str, str], int] = ListCache(budget, lambda size: size + 1)
    decoded = []
    for requests in passes:
        n = 0
        for key, size in requests:
            if cache.get(key) is None:
                n += size
                cache.offer(key, size)
        decoded.append(n)
    return decoded


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--docs", type=int, required=True, help="the index's articles: the first DOCS of the corpus")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--budget", type=int, action="append", help="postings (default: the ranker's own)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    args = ap.parse_args()
    from vnsearch.search.scoring import CACHE_POSTINGS

    docs = load_news(args.corpus, args.docs).docs
    queries = [q for _, q in make_queries(docs, args.queries, args.seed)]
    passes = record(args.index, queries, args.passes)
    asked = sum(size for _, size in passes[0])
    distinct = {key: size for key, size in passes[0]}
    print(f"{len(queries)} queries, {args.passes} passes; a pass asks for {len(passes[0]):,} lists, "
          f"{asked / 1e6:.1f} M postings ({len(distinct):,} distinct lists, {sum(distinct.values()) / 1e6:.1f} M)")
    print("postings decoded per pass, millions:")
    for budget in args.budget or [CACHE_POSTINGS]:
        lru = replay_lru(passes, budget)
        ours = replay_list_cache(passes, budget)
        print(f"  budget {budget / 1e6:g} M   LRU: {' / '.join(f'{n / 1e6:.1f}' for n in lru)}"
              f"   ListCache: {' / '.join(f'{n / 1e6:.1f}' for n in ours)}"
              f"   last pass {ours[-1] / max(lru[-1], 1):.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
