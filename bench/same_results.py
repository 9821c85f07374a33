"""Record, or compare against a record, the top-10 ids and scores of fixed query sets.

A change that must not alter ranking (a restructuring, a faster query path) is checked
with it: record before the change, compare after. Each hit's snippet, its highlighted
spans, and its title with its highlights are compared too (a record made before they
were kept is compared on what it holds).

    python bench/same_results.py record before.json --docs 5000
    python bench/same_results.py compare before.json --docs 5000

The index is built once into ``--index`` (default ``bench/out/same-<docs>``) from the
first ``--docs`` articles of news.jsonl.gz; queries are the relevance benchmark's kinds
for seeds 0 and 1 (200 per kind each), plus the options a news search uses (date sort,
facets, collapsing, exclusions, fields).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from corpus import DEFAULT_CORPUS_DIR, load_news  # noqa: E402

CORPUS = Path(__import__("os").environ.get("VNSEARCH_CORPUS", DEFAULT_CORPUS_DIR))
from querysets import news_query_sets  # noqa: E402

OPTION_QUERIES = [
    ("covid", {"sort": "newest"}),
    ("bóng đá", {"facets": True}),
    ("giá vàng", {"collapse": False}),
    ("ha noi -covid", {}),
    ('"thành phố" OR "hồ chí minh"', {}),
    ("kinh tế", {"limit": 20, "offset": 10}),
    ("chính phủ", {"recent": True}),
]


def _spans(hit, name: str) -> list[list[int]]:
    """A hit's highlighted spans (of its snippet or title) as lists, as JSON gives them back."""
    return [list(span) for span in getattr(hit, name, None) or []]


def run(engine, docs: int, seeds: list[int]) -> dict[str, list]:
    collection = load_news(CORPUS, docs)
    out: dict[str, list] = {}
    for seed in seeds:
        for kind, queries in news_query_sets(collection.docs, 200, seed).items():
            for q in queries:
                res = engine.search(q.text, limit=10)
                out[f"{seed}/{kind}/{q.qid}/{q.text}"] = [res.total, [
                    (h.id, h.score, str(h.snippet), _spans(h, "highlights"), h.title, _spans(h, "title_highlights"))
                    for h in res]]
    for text, opts in OPTION_QUERIES:
        try:
            res = engine.search(text, **opts)
        except TypeError:  # an option this version does not have
            continue
        facets = getattr(res, "facets", None)
        out[f"opt/{text}/{sorted(opts)}"] = [res.total, [(h.id, h.score) for h in res],
                                             json.loads(json.dumps(facets, default=str))]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["record", "compare"])
    ap.add_argument("file", type=Path)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--index", type=Path, default=None)
    args = ap.parse_args()
    from vnsearch import SearchEngine

    index = args.index or HERE / "out" / f"same-{args.docs}"
    engine = SearchEngine(index)
    if len(engine) == 0:
        engine.add_articles(load_news(CORPUS, args.docs).docs)
    got = run(engine, args.docs, [int(s) for s in args.seeds.split(",")])
    if args.mode == "record":
        args.file.write_text(json.dumps(got, ensure_ascii=False))
        print(f"recorded {len(got)} queries to {args.file}")
        return 0
    want = json.loads(args.file.read_text())
    differ = 0
    for key, value in want.items():
        mine = json.loads(json.dumps(got.get(key)))
        same = mine is not None and mine[0] == value[0] and len(mine[1]) == len(value[1]) and all(
            a[0] == b[0] and a[2:len(b)] == b[2:] and math.isclose(a[1], b[1], rel_tol=1e-9, abs_tol=1e-12)
            for a, b in zip(mine[1], value[1])) and mine[2:] == value[2:]
        if not same:
            differ += 1
            if differ <= 10:
                print("differs:", key, "\n  before:", value, "\n  after: ", mine)
    print(f"{len(want) - differ} of {len(want)} queries identical (ids, order, scores, totals, facets, snippets"
          " with their highlights and titles where the record has them)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
