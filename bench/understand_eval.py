#!/usr/bin/env python3
"""What Telex/VNI conversion and typo correction (vnsearch.search.understand) give, as text and as wired.

Three figures per kind: the engine with the understanding off
(``telex=False, typos=False``) on the query as typed; the same engine on the
query *text* rewritten (converted Telex, best corrections); and, with
``--wired``, the engine as it is (corrections scored next to the typed
syllables). For the kinds that already work it counts how many queries the
rewrite changes at all, which must be none or nearly none.

    python bench/understand_eval.py [--docs 5000] [--skip 5000] [--per-kind 200] [--seed 11]
                                    [--kinds ...] [--wired] [--tolerance-study]

The index is the one bench/relevance.py caches for the same slice (built on first use).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from corpus import DEFAULT_CORPUS_DIR, load_news
from querysets import NEWS_KINDS, TYPING_KINDS, document_frequencies, news_query_sets, two_rarest, typing_queries
from relevance import OUT_DIR, K, format_table, rank_of
from vnsearch_adapter import import_vnsearch, make_vnsearch_builder


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--skip", type=int, default=5000, help="the slice: articles after the first SKIP")
    ap.add_argument("--per-kind", type=int, default=200)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--kinds", default=",".join(NEWS_KINDS + TYPING_KINDS))
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--wired", action="store_true",
                    help="also the engine as it is wired (SearchEngine.search with Telex and typos on)")
    ap.add_argument("--tolerance-study", action="store_true",
                    help="also measure, per typed length, what one and two edits find for kw-typo's slipped words")
    return ap.parse_args(argv)


def tolerance_study(vocab, docs: list[dict], queries, seed: int) -> str:
    """Per folded length of the slipped word: how often its true word is the best / any candidate, and how many."""
    from vnsearch.lang.text import fold_all

    df = document_frequencies(docs)
    by_id = {d["id"]: d for d in docs}
    rows: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for q in queries:
        truth = two_rarest(by_id[q.target]["title"], df) or []
        typed = q.text.split()
        for t, w in zip(typed, truth):
            if t == w:
                continue
            ft, fw = fold_all(t.lower()), fold_all(w)
            if not ft.isalpha() or not ft.isascii() or not fw.isascii():
                continue
            known = vocab.folded_frequency(ft) > 0
            for edits in (1, 2):
                cands = [c for c in vocab.typos.candidates(ft, edits=edits, limit=10_000) if c.distance]
                words = [c.word for c in cands]
                rows.setdefault((len(ft), edits), []).append(
                    (int(bool(words) and words[0] == fw), int(fw in words), len(words) + 1000 * known))
    table = [["typed length", "edits", "n", "true word best", "true word among", "mean candidates",
              "typed is a known word"]]
    for (length, edits), got in sorted(rows.items()):
        n = len(got)
        table.append([str(length), str(edits), str(n), f"{sum(g[0] for g in got) / n:.2f}",
                      f"{sum(g[1] for g in got) / n:.2f}", f"{statistics.mean(g[2] % 1000 for g in got):.1f}",
                      f"{sum(g[2] >= 1000 for g in got) / n:.2f}"])
    return format_table(table)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    module, note = import_vnsearch()
    print(f"note: {note}")
    if module is None:
        return 1
    from vnsearch.search.query import QueryError, parse_query
    from vnsearch.search.understand import understand, vocabulary

    news = load_news(args.corpus, args.docs, args.skip)
    kinds = args.kinds.split(",")
    sets = {**news_query_sets(news.docs, args.per_kind, args.seed),
            **typing_queries(news.docs, args.per_kind, args.seed)}
    searcher = make_vnsearch_builder(module, OUT_DIR, False)(news)
    engine = searcher.engine
    snapshot = engine._current()[0]
    started = time.perf_counter()
    vocab = vocabulary(snapshot)
    print(f"vocabulary of {news.name}: {len(vocab.typos)} folded syllables, {len(vocab.pairs)} pairs, "
          f"built in {time.perf_counter() - started:.2f} s")

    rows = [["kind", "n", "changed", "telex", "corrected", f"MRR@{K} typed", f"MRR@{K} rewritten",
             "understand p50 ms"] + ([f"MRR@{K} wired"] if args.wired else [])]
    report: dict[str, dict] = {}
    examples: dict[str, list[tuple[str, str]]] = {}
    for kind in kinds:
        queries = sets[kind]
        rr_before, rr_after, rr_wired, ms = [], [], [], []
        changed = telex = corrected = 0
        for q in queries:
            t0 = time.perf_counter()
            try:
                u = understand(parse_query(q.text), snapshot)
                rewritten = u.corrected_text() or u.rewritten or q.text
            except QueryError:
                u, rewritten = None, q.text
            ms.append((time.perf_counter() - t0) * 1000)
            before = [h.id for h in engine.search(q.text, limit=K, suggest=False, telex=False, typos=False)]
            r = rank_of(q.target, before)
            rr_before.append(1 / r if r else 0.0)
            if rewritten != q.text:
                changed += 1
                telex += bool(u and u.telex)
                corrected += bool(u and u.alternatives)
                after = [h.id for h in engine.search(rewritten, limit=K, suggest=False, telex=False, typos=False)]
                r = rank_of(q.target, after)
                examples.setdefault(kind, []).append((q.text, rewritten))
            rr_after.append(1 / r if r else 0.0)
            if args.wired:
                hits = [h.id for h in engine.search(q.text, limit=K, suggest=False)]
                r = rank_of(q.target, hits)
                rr_wired.append(1 / r if r else 0.0)
        n = len(queries)
        report[kind] = {"n": n, "changed": changed, "telex": telex, "corrected": corrected,
                        "mrr_typed": sum(rr_before) / n, "mrr_rewritten": sum(rr_after) / n,
                        "understand_p50_ms": statistics.median(ms),
                        "mrr_wired": sum(rr_wired) / n if rr_wired else None}
        rows.append([kind, str(n), str(changed), str(telex), str(corrected), f"{sum(rr_before) / n:.3f}",
                     f"{sum(rr_after) / n:.3f}", f"{statistics.median(ms):.2f}"]
                    + ([f"{sum(rr_wired) / n:.3f}"] if args.wired else []))
        print(rows[-1], flush=True)
    print()
    print(f"Rewritten as text through the unchanged engine ({news.name}, seed {args.seed}):")
    print(format_table(rows))
    for kind, ex in examples.items():
        print(f"\n{kind}: e.g. " + "; ".join(f"{a!r} -> {b!r}" for a, b in ex[:5]))
    if args.tolerance_study:
        print("\nkw-typo slipped words: what each tolerance finds (typed is a known word: never corrected)")
        print(tolerance_study(vocab, news.docs, sets["kw-typo"], args.seed))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "understand_eval.json").write_text(json.dumps(
        {"config": vars(args) | {"corpus": str(args.corpus)}, "results": report,
         "examples": {k: v[:20] for k, v in examples.items()}}, indent=2, ensure_ascii=False))
    snapshot.release()
    searcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
