#!/usr/bin/env python3
"""What dynamic pruning could skip on this ranking, measured before anything is built (issue 17).

    python bench/pruning.py --index DIR --docs N [--queries 300] [--seed 0] [--block 128]
                            [--floors 1000,3000,10000] [--coverages 0.3,0.5] [--json FILE]

MaxScore, WAND and block-max WAND skip the postings of documents that cannot
reach the k-th best score so far (θ). Whether they skip anything depends on
the ranking: here every query syllable is a soft-AND group, a document's sum
is scaled by the share of the query's idf it holds (``coverage_power``) and
tripled where its title holds every word. This script takes each query of
bench/speed.py's mix (same seed), has ``Ranker.first_phase`` (the code
``rank`` runs) report every group's scores as it sums them, checks that the
re-rank window and its scores are those of ``rank(shard=True)``, and counts,
as shares of the postings an exhaustive pass reads:

* a group's *postings*: the documents it scores or covers (its tiers,
  spellings and corrections merged, as one impact list of a pruned index
  would hold them); each run bonus (segmenter words) is one more list, of
  idf 0;
* **MaxScore θ300 / θ10**: each group bounded by its highest score. A
  document holding only the groups of a set scores at most (their bounds
  summed) × (their idf ÷ the query's) ** ``coverage_power`` (no title
  factor: that needs every group). The groups under which that stays below
  θ, smallest bounds first, are read only in the blocks (``--block``
  postings with their first and last document, as a skip list keeps them)
  holding a candidate (a document of another group); the rest whole. θ is
  the oracle's: the true last score of the re-rank window
  (``RankParams.rerank``, which the proximity and title steps reorder, so
  finding it exactly is finding the top 10 exactly), or of the top 10 (what
  a bound on the proximity bonus could at best allow);
* **block bounds**: kinder than block-max WAND can be: each document
  bounded by the highest score of its block in each group it is in, times
  its own coverage and title factor, as if those were known before reading;
  only documents bounded at θ300 or above are read (their blocks); in
  brackets, the share of the matching documents they are;
* **top 10 / window within the rarest ≥ N** (``--floors``): the lossy
  alternative, a candidate set made of the documents of the rarest groups,
  group after group until it holds N: the share of queries whose top 10
  (after proximity), and whose whole re-rank window, lie within it;
* **coverage ≥ c** (``--coverages``): MaxScore if a match had to hold a
  share c of the query's idf (``RankParams.min_coverage``, 0 today), a
  change of ranking whose relevance bench/relevance.py judges: the groups
  that cannot make a match alone, or reach θ, are probed only.

Every θ is the oracle's (a real pass knows less), so these are bounds on
what pruning can skip. ``total`` and facets (documents holding every
required group: an intersection skip lists serve well) are not counted.
Nothing here is timed; ``--json`` keeps every query's counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_CORPUS_DIR, load_news  # noqa: E402
from speed import QUERY_KINDS, make_queries  # noqa: E402


@dataclass
class ObservedPhase:
    """A query's first phase, group by group: what ``Ranker.rank`` sums before the proximity step."""

    scores: list[np.ndarray]  # per group (then each run bonus), dense float32
    holders: list[np.ndarray]  # per group, the documents it scores or covers (ascending)
    idfs: list[float]  # per group (0 for the run bonuses)
    weight_total: float
    candidates: np.ndarray
    final: np.ndarray  # per candidate, the first-phase score
    title_all: np.ndarray | None  # per candidate
    title_all_weight: float
    coverage: np.ndarray  # per candidate: the share of the query's idf it holds


def first_phase(ranker: Any, query: Any, alternatives: Mapping[str, Sequence[Any]] | None) -> ObservedPhase | None:
    """``Ranker.rank``'s first phase (relevance order, no filters), kept group by group as it is summed.

    (``rank`` lowers a question's proximity weights first; the first phase reads none of them.)
    """
    p = ranker.params
    question = query.text.rstrip().endswith("?")
    scores: list[np.ndarray] = []
    holders: list[np.ndarray] = []
    idfs: list[float] = []

    def observe(score: np.ndarray, cover: np.ndarray, idf: float) -> None:
        scores.append(np.asarray(score, dtype=np.float32))
        holders.append(np.flatnonzero(cover | (score != 0)))
        idfs.append(idf)

    phase = ranker.first_phase(query, ranker.allowed(query), p, question, alternatives, observe)
    if not phase.candidates.size or not query.groups:
        return None
    candidates = phase.candidates
    return ObservedPhase(scores, holders, idfs, sum(idfs), candidates, phase.scores(),
                      phase.title_all[candidates] if phase.title_all is not None else None, p.title_all_weight,
                      phase.coverage[candidates])


def window_floor(values: np.ndarray, k: int) -> float:
    """The k-th largest of *values* (the re-rank window's last score), or 0 where there are fewer."""
    if values.size < k:
        return 0.0
    return float(np.partition(values, values.size - k)[values.size - k])


def blocks_read(holders: np.ndarray, probes: np.ndarray, block: int) -> int:
    """Postings of *holders* (ascending) read to look up *probes*: the blocks whose range holds one."""
    if not holders.size or not probes.size:
        return 0
    at = np.searchsorted(holders, probes, side="right") - 1
    inside = at >= 0
    at, probes = at[inside], probes[inside]
    which = at // block
    last = holders[np.minimum((which + 1) * block, holders.size) - 1]
    touched = np.unique(which[probes <= last])
    return int(np.minimum(block, holders.size - touched * block).sum())  # the last block may be short


def _split_read(fp: ObservedPhase, non_essential: Sequence[int], block: int) -> tuple[int, int]:
    """(postings read, candidates): the other groups read whole, *non_essential* only where a candidate is."""
    essential = [g for g in range(len(fp.holders)) if g not in non_essential]
    candidates = np.unique(np.concatenate([fp.holders[g] for g in essential]))
    read = sum(fp.holders[g].size for g in essential)
    return read + sum(blocks_read(fp.holders[g], candidates, block) for g in non_essential), int(candidates.size)


def maxscore_read(fp: ObservedPhase, theta: float, power: float, block: int) -> int:
    """Postings MaxScore reads at threshold *theta*, each group bounded by its highest score."""
    bounds = [float(s.max()) if s.size else 0.0 for s in fp.scores]
    order = sorted(range(len(bounds)), key=lambda g: bounds[g])
    non_essential: list[int] = []
    summed = idf = 0.0
    for g in order[:-1]:  # the group with the highest bound is always read
        summed += bounds[g]
        idf += fp.idfs[g]
        if summed * (idf / max(fp.weight_total, 1e-9)) ** power >= theta:
            break
        non_essential.append(g)
    return _split_read(fp, non_essential, block)[0]


def block_bound_read(fp: ObservedPhase, theta: float, power: float, block: int) -> tuple[int, int]:
    """(postings read, documents kept) if each document were bounded by its blocks' highest scores.

    Kinder than block-max WAND can be: each document's bound sums the
    highest score of the block holding it in each group it is in, times its
    own coverage and title factor, as if both were known before reading;
    only documents bounded at θ or above are looked up (their blocks read).
    """
    size = fp.scores[0].size
    bound = np.zeros(size, dtype=np.float64)
    covered = np.zeros(size, dtype=np.float64)
    for score, holders, idf in zip(fp.scores, fp.holders, fp.idfs):
        blocks = (holders.size + block - 1) // block
        padded = np.zeros(blocks * block, dtype=np.float64)
        padded[: holders.size] = score[holders]
        bound[holders] += padded.reshape(blocks, block).max(axis=1)[np.arange(holders.size) // block]
        covered[holders] += idf
    titled = np.zeros(size, dtype=bool)
    if fp.title_all is not None:
        titled[fp.candidates] = fp.title_all
    bound *= (covered / max(fp.weight_total, 1e-9)) ** power * np.where(titled, 1 + fp.title_all_weight, 1.0)
    kept = fp.candidates[bound[fp.candidates] >= theta]  # (a quoted phrase's other holders are no candidates)
    return sum(blocks_read(h, kept, block) for h in fp.holders), int(kept.size)


def floor_read(fp: ObservedPhase, floor: float, k: int, power: float, block: int) -> tuple[int, int]:
    """(postings read, candidates) by MaxScore if a match had to hold *floor* of the query's idf.

    ``RankParams.min_coverage`` = *floor*: the re-rank window is then the top
    *k* of the documents that hold it. The groups of least idf whose idf sums
    to less than the floor cannot make a match alone, nor can the groups a
    document holding only them stays below θ with; both are read only where
    a candidate (a document of the other groups) is.
    """
    held = fp.coverage >= min(floor, 1.0 - 1e-6)
    theta = window_floor(fp.final[held], k)
    order = sorted(range(len(fp.holders)), key=lambda g: (fp.idfs[g], fp.scores[g].max(initial=0.0)))
    non_essential: list[int] = []
    summed = idf = 0.0
    total = max(fp.weight_total, 1e-9)
    for g in order[:-1]:
        summed += float(fp.scores[g].max(initial=0.0))
        idf += fp.idfs[g]
        if idf / total >= floor and summed * (idf / total) ** power >= theta:
            break
        non_essential.append(g)
    return _split_read(fp, non_essential, block)


def rarest_first(fp: ObservedPhase, least: int) -> np.ndarray:
    """The documents of the rarest groups, group after group until there are *least* of them (or all)."""
    groups = sorted((g for g in range(len(fp.holders)) if fp.idfs[g] > 0), key=lambda g: fp.holders[g].size)
    docs = np.zeros(0, dtype=np.int64)
    for g in groups:
        docs = np.union1d(docs, fp.holders[g])
        if docs.size >= least:
            break
    return docs


def measure(index: Path, docs: list[dict], queries: int, seed: int, block: int,
            floors: Sequence[int], coverages: Sequence[float]) -> dict[str, list[dict[str, Any]]]:
    """Per query kind, each query's counts (see the module's docstring)."""
    from vnsearch import SearchEngine
    from vnsearch.search import ranking as ranking_module

    engine = SearchEngine(index, create=False)
    captured: list[tuple[Any, Any, Any]] = []
    original = ranking_module.Ranker.rank

    def capturing(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        captured.append((self, query, kwargs.get("alternatives")))
        return original(self, query, *args, **kwargs)

    per_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ranking_module.Ranker.rank = capturing  # type: ignore[method-assign]
    try:
        for kind, text in make_queries(docs, queries, seed):
            captured.clear()
            engine.search(text, limit=10)
            if not captured:
                continue
            ranker, query, alternatives = captured[0]
            fp = first_phase(ranker, query, alternatives)
            if fp is None:
                continue
            p = ranker.params
            k = min(fp.candidates.size, max(p.rerank, 10))
            check = original(ranker, query, limit=10, alternatives=alternatives, shard=True)
            top = np.argpartition(-fp.final, k - 1)[:k] if k < fp.candidates.size else np.arange(fp.candidates.size)
            window = fp.candidates[top]
            if dict(zip(window.tolist(), fp.final[top].tolist())) != dict(zip(check.docs.tolist(),
                                                                              check.first.tolist())):
                raise SystemExit(f"the first phase observed differs from Ranker.rank on {text!r}")
            shown = original(ranker, query, limit=10, alternatives=alternatives).docs
            theta = window_floor(fp.final, p.rerank)
            kept_read, kept_docs = block_bound_read(fp, theta, p.coverage_power, block)
            row: dict[str, Any] = {
                "text": text, "groups": len(fp.holders), "matching": int(fp.candidates.size),
                "postings": int(sum(h.size for h in fp.holders)),
                "maxscore": maxscore_read(fp, theta, p.coverage_power, block),
                "maxscore_top10": maxscore_read(fp, window_floor(fp.final, 10), p.coverage_power, block),
                "block_bound": kept_read, "block_bound_docs": kept_docs}
            for least in floors:
                rarest = rarest_first(fp, least)
                row[f"rarest{least}_top10"] = bool(np.isin(shown, rarest).all())
                row[f"rarest{least}_window"] = bool(np.isin(window, rarest).all())
                row[f"rarest{least}_docs"] = int(rarest.size)
            for floor in coverages:
                row[f"coverage{floor}"], row[f"coverage{floor}_docs"] = floor_read(
                    fp, floor, p.rerank, p.coverage_power, block)
            per_kind[kind].append(row)
    finally:
        ranking_module.Ranker.rank = original  # type: ignore[method-assign]
        engine.close()
    return per_kind


def _share(items: Sequence[Mapping[str, Any]], key: str) -> str:
    """The postings *key* counts over the exhaustive pass's, all queries summed."""
    return f"{sum(r[key] for r in items) / max(sum(r['postings'] for r in items), 1):.3f}"


def summary(per_kind: Mapping[str, list[dict[str, Any]]], floors: Sequence[int],
            coverages: Sequence[float]) -> list[list[str]]:
    """One row per query kind and one for all: shares of the exhaustive pass."""
    head = ["kind", "queries", "postings (median)", "MaxScore θ300", "MaxScore θ10", "block bounds θ300 (docs)"]
    head += [f"top 10 / window within the rarest ≥{least:,}" for least in floors]
    head += [f"coverage ≥ {floor}: read (candidates)" for floor in coverages]
    rows = [head]
    for kind in [k for k in QUERY_KINDS if k in per_kind] + ["all"]:
        items = [r for rs in per_kind.values() for r in rs] if kind == "all" else list(per_kind[kind])
        postings = np.array([r["postings"] for r in items], dtype=float)

        docs = sum(r["block_bound_docs"] for r in items) / max(sum(r["matching"] for r in items), 1)
        row = [kind, str(len(items)), f"{np.median(postings):,.0f}", _share(items, "maxscore"),
               _share(items, "maxscore_top10"), f"{_share(items, 'block_bound')} ({docs:.2f})"]
        for least in floors:
            row.append(f"{np.mean([r[f'rarest{least}_top10'] for r in items]):.3f} / "
                       f"{np.mean([r[f'rarest{least}_window'] for r in items]):.3f}")
        for floor in coverages:
            cands = sum(r[f"coverage{floor}_docs"] for r in items) / max(sum(r["matching"] for r in items), 1)
            row.append(f"{_share(items, f'coverage{floor}')} ({cands:.2f})")
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--docs", type=int, required=True, help="the first N articles of the corpus draw the queries")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--block", type=int, default=128, help="postings a block (a skip list's step)")
    ap.add_argument("--floors", default="1000,3000,10000",
                    help="documents of the rarest groups a candidate set starts from (comma-separated)")
    ap.add_argument("--coverages", default="0.3,0.5",
                    help="min_coverage values to measure MaxScore under (comma-separated)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--json", type=Path, help="write every query's counts here")
    args = ap.parse_args(argv)
    docs = load_news(args.corpus, args.docs).docs
    floors = [int(f) for f in args.floors.split(",") if f]
    coverages = [float(c) for c in args.coverages.split(",") if c]
    per_kind = measure(args.index, docs, args.queries, args.seed, args.block, floors, coverages)
    rows = summary(per_kind, floors, coverages)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    if args.json:
        args.json.write_text(json.dumps(per_kind, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
