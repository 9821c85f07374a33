"""Accent restoration accuracy: headlines typed without diacritics, restored from the index.

Takes article titles from ``news.jsonl.gz``, removes every diacritic
(``fold_all`` + lower case), tokenises them as queries
(:func:`vnsearch.lang.analysis.query_syllables`), restores them against an index
(two methods, below), and compares with the canonical lower-case syllables of
the original title.

Samples (``--n`` titles each, fixed seeds):

* ``held-out dev``   — titles of articles *not* in the index (records
  ``--first-held-out`` … + ``--held-out-pool``), seed ``--seed``: the sample
  the weights were tuned on (``--tune``, ``--tune-context``).
* ``held-out final`` — another held-out sample, seed ``--final-seed``: the
  figure to quote, never tuned on.
* ``in-index``       — titles of the first ``--in-index`` records (the ones the
  default index holds), for comparison.

Each sample is scored twice: whole titles (~12 syllables), and one random
6-syllable window per title (query length; the timing reference).

Two methods, each on every sample:

* ``words`` — :func:`vnsearch.search.restore.restore` alone: the index-wide model
  (syllable and word document frequencies).
* ``hits``  — what the engine does (:meth:`SearchEngine.restoration`, the
  "Did you mean" of ``search``): the folded query is searched and the top
  hits' own text votes for the spellings of every run of its syllables
  (:func:`vnsearch.search.restore.context_evidence`), on top of the same model.
  Timed twice: the library call, search included, and "in search()", where
  the hits a search has already read are reused (context + decoding only).

Figures: whole-query exact accuracy, per-syllable accuracy (all syllables, and
only ambiguous ones, i.e. with more than one spelling), confidence calibration,
and time per query with a cold df cache (as for a fresh query). The machine
is shared: compare the methods' times within one run.

``--adjacency`` adds to ``words`` a statistic the index does not hold today: in how many
documents each pair of adjacent syllables occurs, counted from the index's
stored text (~10 s for 5,000 articles), to show what it would be worth.

    python bench/restore.py                       # default index /tmp/ix5k
    python bench/restore.py --index /path/to/ix --n 500 --errors 5
    python bench/restore.py --adjacency
    python bench/restore.py --tune                # coordinate search on the dev sample
    python bench/restore.py --tune-context        # the same for the hits' evidence weights
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import statistics
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vnsearch.lang.analysis import query_syllables  # noqa: E402
from vnsearch.lang.text import fold_all  # noqa: E402
from vnsearch.search.restore import (  # noqa: E402
    DEFAULT_PARAMS,
    RestoreParams,
    context_evidence,
    pair_document_frequencies,
    restore,
    spellings,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
NEWS = SHARED / "corpus" / "news.jsonl.gz"
WINDOW = 6
# Whether engine.restoration weighs a syllable no neighbour makes a word with by its documents
# outside the words it starts (restore()'s standalone; True since it exists).
STANDALONE_IN_ENGINE = "standalone" in restore.__code__.co_varnames


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="/tmp/ix5k", help="index directory (only read)")
    ap.add_argument("--corpus", default=str(NEWS), help="news.jsonl.gz")
    ap.add_argument("--n", type=int, default=200, help="titles per sample")
    ap.add_argument("--seed", type=int, default=1, help="seed of the held-out dev sample (tuning)")
    ap.add_argument("--final-seed", type=int, default=2, help="seed of the held-out final sample")
    ap.add_argument("--in-index", type=int, default=5000, help="the index holds N records")
    ap.add_argument("--in-index-first", type=int, default=0,
                    help="from this record on (e.g. 5000 for bench/relevance.py --skip 5000)")
    ap.add_argument("--first-held-out", type=int, default=30000, help="first record of the held-out pool")
    ap.add_argument("--held-out-pool", type=int, default=4000, help="size of the held-out pool")
    ap.add_argument("--adjacency", action="store_true",
                    help="also score with adjacent-pair document frequencies counted from the stored text")
    ap.add_argument("--tune", action="store_true", help="coordinate search of the weights on the dev sample")
    ap.add_argument("--tune-context", action="store_true",
                    help="coordinate search of the hits-evidence weights on the dev sample")
    ap.add_argument("--errors", type=int, default=0, help="print up to N wrong restorations per sample")
    ap.add_argument("--json", help="also write the figures to this file")
    return ap.parse_args(argv)


def open_index(path: str):
    """(engine or None, Whoosh reader); the engine is None if vnsearch refuses the index.

    The index-wide model needs only the ``text`` field's document frequencies
    (and stored text for ``--adjacency``), which every schema version so far
    has held, so an index written by another version is still fine to measure
    with; the hits mode needs the engine's search.
    """
    from whoosh import index as whoosh_index

    from vnsearch import IndexUnusable, SearchEngine

    try:
        engine = SearchEngine(path, create=False)
        return engine, whoosh_index.open_dir(path, indexname="MAIN").reader()
    except IndexUnusable as exc:
        print(f"note: {exc.args[0].split(';')[0]}; reading its term statistics directly (no hits mode)",
              file=sys.stderr)
        return None, whoosh_index.open_dir(path, indexname="MAIN").reader()


def load_titles(corpus: Path, start: int, stop: int) -> list[str]:
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["title"] for line in itertools.islice(fh, start, stop)]


def make_cases(titles: list[str], n: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """(typed syllables, gold syllables) for *n* titles sampled with *seed*."""
    rng = random.Random(seed)
    order = list(range(len(titles)))
    rng.shuffle(order)
    cases = []
    for i in order:
        title = titles[i]
        gold = query_syllables(title)
        typed = query_syllables(fold_all(title).lower())
        if not gold or len(gold) != len(typed):
            continue
        cases.append((typed, gold))
        if len(cases) == n:
            break
    return cases


def windows(cases, size: int, seed: int):
    """One random run of *size* syllables from each case long enough to have one."""
    rng = random.Random(seed)
    out = []
    for typed, gold in cases:
        if len(typed) >= size:
            i = rng.randrange(len(typed) - size + 1)
            out.append((typed[i:i + size], gold[i:i + size]))
    return out


def evaluate(cases, df, params: RestoreParams, adjacent=None, timed: bool = False, errors: int = 0,
             contexts=None, restorer=None, standalone=None) -> dict:
    """Accuracy (and timing) of restoring *cases*; *df* should be uncached when *timed*.

    *contexts* (one list of hit documents per case) switches on the hits'
    context evidence; *restorer* (typed syllables → Restoration) replaces the
    whole call, e.g. ``engine.restoration`` to time the library path.
    *standalone* is restore()'s (the engine passes one).
    """
    exact = syl_ok = syl_all = amb_ok = amb_all = 0
    times: list[float] = []
    alone: list[float] = []
    lookups: list[int] = []
    rows: list[tuple[float, bool]] = []
    shown = 0
    calls = [0]

    def counted(term: str) -> int:
        calls[0] += 1
        return df(term)

    for k, (typed, gold) in enumerate(cases):
        calls[0] = 0
        t0 = time.perf_counter()
        if restorer is not None:
            r = restorer(typed)
        else:
            if contexts is not None and timed:
                # The index-wide model alone on the same query, just before: both
                # times see the same machine load.
                restore(typed, df, 0, params)
                t1 = time.perf_counter()
                alone.append((t1 - t0) * 1000)
                t0 = t1
            context = (context_evidence(typed, contexts[k][: params.context_hits], params)
                       if contexts is not None else None)
            extra = {"standalone": standalone} if standalone is not None else {}
            r = restore(typed, counted if timed else df, 0, params, adjacent=adjacent, context=context, **extra)
        times.append((time.perf_counter() - t0) * 1000)
        lookups.append(calls[0])
        ok = r.syllables == gold
        exact += ok
        rows.append((r.confidence, ok))
        for t, g, o in zip(typed, gold, r.syllables):
            syl_all += 1
            syl_ok += g == o
            if len(spellings(t)) > 1:
                amb_all += 1
                amb_ok += g == o
        if not ok and shown < errors:
            shown += 1
            print(f"    typed : {' '.join(typed)}\n    gold  : {' '.join(gold)}\n"
                  f"    got   : {r.text}  (confidence {r.confidence:.2f})")
    n = max(len(cases), 1)
    confident = [ok for c, ok in rows if c >= 0.5]
    out = {
        "queries": len(cases),
        "exact": exact / n,
        "syllable": syl_ok / max(syl_all, 1),
        "ambiguous_syllable": amb_ok / max(amb_all, 1),
        "mean_confidence": statistics.fmean(c for c, _ in rows) if rows else 0.0,
        "share_confident": len(confident) / n,  # confidence >= 0.5
        "exact_when_confident": sum(confident) / max(len(confident), 1),
    }
    if timed:
        out["median_ms"] = statistics.median(times)
        out["p95_ms"] = sorted(times)[int(0.95 * (len(times) - 1))]
        out["max_ms"] = max(times)
        out["median_lookups"] = statistics.median(lookups)
    if alone:
        out["alone_median_ms"] = statistics.median(alone)
    return out


def report(name: str, fig: dict) -> None:
    print(f"  {name:<22} {fig['queries']:>4} q  exact {fig['exact']:6.1%}  syllable {fig['syllable']:6.1%}  "
          f"ambiguous {fig['ambiguous_syllable']:6.1%}  | mean conf {fig['mean_confidence']:.2f}, "
          f"conf>=.5 on {fig['share_confident']:4.0%} ({fig['exact_when_confident']:4.0%} exact)"
          + (f"  | {fig['median_ms']:.2f} ms median, {fig['p95_ms']:.2f} p95, {fig['max_ms']:.1f} max, "
             f"{fig['median_lookups']:.0f} df lookups"
             if "median_ms" in fig else "")
          + (f"; in search() {fig['in_search_median_ms']:.2f} ms median, {fig['in_search_p95_ms']:.2f} p95 "
             f"(the words model alone, timed query by query alongside: {fig['alone_interleaved_median_ms']:.2f})"
             if "in_search_median_ms" in fig else ""))


def tune(cases, df, adjacent=None, contexts=None, start: RestoreParams | None = None) -> RestoreParams:
    """Coordinate search over the weights, on the dev sample only."""
    if contexts is not None:  # the hits' evidence on top of the index-wide model, as tuned before
        grid = {
            "wc1": [0.0, 0.5, 1.0, 1.5, 2.0],
            "beta_c1": [0.3, 1.0, 3.0, 10.0],
            "wc2": [0.5, 1.0, 2.0, 3.0, 4.0],
            "beta_c2": [0.3, 1.0, 3.0, 10.0],
            "run_power": [0.0, 1.0, 2.0, 3.0],
            "rank_decay": [0.0, 0.5, 1.0, 2.0],
            "title_weight": [1.0, 2.0, 4.0, 8.0],
            "context_hits": [3, 5, 10, 20],
            "whole_weight": [1.0, 2.0, 4.0, 16.0],
            "single_weight": [0.0, 0.3, 1.0, 3.0],
            "context_keep": [1, 2, 3, 4, 6, 12],
            "w2_context": [1.0, 1.5, 2.0, 3.0],
            "context_cover": [4.0, 16.0, 64.0],
            "context_chars": [3000, 20_000],
        }
    else:
        grid = {
            "w2": [0.5, 1.0, 1.5, 2.0, 3.0],
            "rho2": [0.0003, 0.001, 0.003, 0.01, 0.03],
            "w3": [0.0, 0.5, 1.0, 2.0],
            "rho3": [0.0003, 0.001, 0.01],
            "alpha": [0.03, 0.1, 0.5, 2.0],
            "w1": [0.7, 1.0, 1.3],
            "max_candidates": [6, 8, 12, 16],
            "trigram_candidates": [3, 4, 6],
        }
    if adjacent is not None:
        grid.update({"wa": [0.5, 1.0, 1.5, 2.0], "beta_a": [0.3, 1.0, 3.0, 10.0]})
    best = start or DEFAULT_PARAMS
    key = lambda f: (f["exact"], f["syllable"])
    best_fig = evaluate(cases, df, best, adjacent, contexts=contexts)
    print(f"  start: exact {best_fig['exact']:.1%} syllable {best_fig['syllable']:.2%}")
    for _round in range(3):
        improved = False
        for name, values in grid.items():
            for v in values:
                cand = replace(best, **{name: v})
                fig = evaluate(cases, df, cand, adjacent, contexts=contexts)
                if key(fig) > key(best_fig):
                    best, best_fig, improved = cand, fig, True
                    print(f"  {name}={v}: exact {fig['exact']:.1%} syllable {fig['syllable']:.2%}")
        if not improved:
            break
    print(f"  best on dev: {best}")
    return best


def hit_documents(engine, cases, limit: int) -> list[list[dict]]:
    """The stored fields of the top *limit* hits of each case's typed query, as the engine finds them."""
    from vnsearch.search.suggest import context_documents

    with engine._reading() as view:
        return [context_documents(view, typed, limit) for typed, _ in cases]


def main(argv=None) -> int:
    args = parse_args(argv)
    corpus = Path(args.corpus)
    if not corpus.is_file():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    engine, reader = open_index(args.index)
    total_docs = reader.doc_count()

    def raw_df(term: str) -> int:  # uncached: restore() caches within a call only
        return reader.doc_frequency("text", term)

    memo: dict[str, int] = {}

    def cached_df(term: str) -> int:  # shared across queries: for tuning only
        got = memo.get(term)
        if got is None:
            got = memo[term] = raw_df(term)
        return got

    held_titles = load_titles(corpus, args.first_held_out, args.first_held_out + args.held_out_pool)
    in_titles = load_titles(corpus, args.in_index_first, args.in_index_first + args.in_index)
    samples = {
        "held-out dev": make_cases(held_titles, args.n, args.seed),
        "held-out final": make_cases(held_titles, args.n, args.final_seed),
        "in-index": make_cases(in_titles, args.n, args.seed),
    }
    overlap = {tuple(g) for _, g in samples["held-out dev"]} & {tuple(g) for _, g in samples["held-out final"]}
    print(f"index {args.index}: {total_docs} documents; held-out records {args.first_held_out}.."
          f"{args.first_held_out + len(held_titles) - 1} ({len(overlap)} titles in both held-out samples); "
          f"in-index records {args.in_index_first}..{args.in_index_first + len(in_titles) - 1}")

    adjacent = None
    if args.adjacency:
        t0 = time.perf_counter()
        stored = (reader.stored_fields(d) for d in range(reader.doc_count_all()) if not reader.is_deleted(d))
        table = pair_document_frequencies((f.get("title"), f.get("lead"), f.get("body")) for f in stored)
        adjacent = lambda term: table.get(term, 0)
        print(f"adjacency table: {len(table):,} pairs from the stored text in {time.perf_counter() - t0:.1f} s")

    params = DEFAULT_PARAMS
    if args.tune:
        params = tune(samples["held-out dev"], cached_df, adjacent)
    if args.tune_context and engine is not None:
        dev = samples["held-out dev"]
        params = tune(dev, cached_df, None, hit_documents(engine, dev, 20), start=params)
    print(f"params: {params}")

    evaluate(samples["in-index"][:30], raw_df, params)  # warm the term table's pages
    figures: dict = {"params": asdict(params), "index": args.index, "documents": total_docs}
    inside: dict[str, int] = {}

    def standalone(syllable: str) -> int:  # what index_standalone gives, from the reader
        got = inside.get(syllable)
        if got is None:
            got = inside[syllable] = sum(int(ti.doc_frequency())
                                         for _, ti in reader.iter_prefix("text", syllable + " "))
        return got

    modes = [("words", None)] + ([("words+standalone", None)] if STANDALONE_IN_ENGINE else []) \
        + ([("words+adjacency", adjacent)] if adjacent else [])
    if engine is not None:
        modes.append(("hits", None))
    for mode, adj in modes:
        print(f"\n{mode}:" + ("  (the hits' own text votes; times: the library call engine.restoration(text), "
                              "search included; 'in search()' reuses the hits a search has already read)"
                              if mode == "hits" else ""))
        for name, cases in samples.items():
            for label, subset in ((name, cases), (f"{name} {WINDOW}-syl", windows(cases, WINDOW, args.seed))):
                if mode == "hits":
                    restorer = lambda typed: engine.restoration(" ".join(typed), params=params)
                    fig = evaluate(subset, raw_df, params, timed=True, errors=args.errors, restorer=restorer)
                    docs = hit_documents(engine, subset, params.context_hits)
                    reuse = evaluate(subset, raw_df, params, timed=True, contexts=docs,
                                     standalone=standalone if STANDALONE_IN_ENGINE else None)
                    fig["median_lookups"] = reuse["median_lookups"]  # cold, per query
                    fig["in_search_median_ms"] = reuse["median_ms"]
                    fig["in_search_p95_ms"] = reuse["p95_ms"]
                    fig["alone_interleaved_median_ms"] = reuse["alone_median_ms"]
                    assert abs(reuse["exact"] - fig["exact"]) < 1e-9, "the library path and the bench disagree"
                else:
                    fig = evaluate(subset, raw_df, params, adj, timed=True, errors=args.errors,
                                   standalone=standalone if mode == "words+standalone" else None)
                figures[f"{mode} / {label}"] = fig
                report(label, fig)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
